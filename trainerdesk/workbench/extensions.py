"""Extension points of the workbench, filled in by the apps that build on it.

The layers run one way (lib <- accounts <- workbench <- quality <- later apps; import-linter
checks it in `make lint`), so the workbench never imports an app above it. Where a
workbench page or workflow needs something such an app owns (an item's final answer, the
reviews in an export, a filter on agreement scores, links in the project bar), the app
registers a function here from its `AppConfig.ready()` and the workbench calls whatever
is registered. Without the app, each point has a plain default (no final answer, no
reviews, no extra links), so the workbench works alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavLink:
    """One link in the project bar. `url_name` is reversed with the project's id (and the
    user's name when `with_username`); `current` lists the url names that mark it as the
    current page (default: `url_name`). `roles` limits it to members with one of those
    roles (empty: everyone who can open the project)."""

    label: str
    url_name: str
    order: int
    roles: tuple[str, ...] = ()
    current: tuple[str, ...] = ()
    with_username: bool = False
    primary: bool = False  # the one main action (Annotate), drawn as a filled button


_nav: dict[tuple[str, str], NavLink] = {}
_final_labeler: Callable[[Any], Any] | None = None
_final_answers: Callable[..., dict] | None = None
_export_enrichers: list[Callable[..., tuple[dict, dict]]] = []
_item_filters: dict[str, Callable[[Any, Any, Any], Any]] = {}
_annotate_context: list[Callable[..., dict]] = []
_answer_feedback: Callable[..., Any] | None = None
_sent_back: Callable[..., Any] | None = None


def _once(name: str, current: object, new: object) -> None:
    if current is not None and current != new:
        raise RuntimeError(f"{name} is registered twice; one app owns it")


# --- the project bar ----------------------------------------------------------------------


def register_nav_link(link: NavLink) -> None:
    _nav[(link.url_name, link.label)] = link  # registering the same link again replaces it


def nav_links() -> list[NavLink]:
    return sorted(_nav.values(), key=lambda link: (link.order, link.label))


# --- final answers and the export ---------------------------------------------------------


def register_final_labeler(factory: Callable[[Any], Any], *, answers: Callable[..., dict]) -> None:
    """`factory(project)` gives an object whose `.final(item_id, annotation_records)` is
    the item's final answer (the export's records); `answers(project=, item_ids=,
    annotations=)` the same for a few items read with the ORM (item pages, gold)."""
    global _final_labeler, _final_answers
    _once("the final labeler", _final_labeler, factory)
    _final_labeler, _final_answers = factory, answers


def final_labeler(project) -> Any | None:
    return _final_labeler(project) if _final_labeler else None


def final_answers(*, project, item_ids: Iterable[int], annotations=None) -> dict[int, Any]:
    if _final_answers is None:
        return dict.fromkeys(item_ids)
    return _final_answers(project=project, item_ids=item_ids, annotations=annotations)


def register_export_enricher(enrich: Callable[..., tuple[dict, dict]]) -> None:
    """`enrich(cursor, project_id=, first_id=, last_id=)` for one export page returns
    ({annotation id: [review, ...]}, {item id: [returned answer, ...]})."""
    if enrich not in _export_enrichers:
        _export_enrichers.append(enrich)


def export_enrichers() -> list[Callable[..., tuple[dict, dict]]]:
    return list(_export_enrichers)


# --- the data manager ---------------------------------------------------------------------


def register_item_filter(name: str, apply: Callable[[Any, Any, Any], Any]) -> None:
    """`apply(queryset, project, value)` narrows the data manager's items for filter `name`."""
    _item_filters[name] = apply


def apply_item_filter(name: str, queryset, project, value):
    apply = _item_filters.get(name)
    return apply(queryset, project, value) if apply else queryset


# --- the annotation page and the queue ----------------------------------------------------


def register_annotate_context(extra: Callable[..., dict]) -> None:
    """`extra(item=, user=)` returns context the annotation page shows (e.g. a reviewer's
    note on an item sent back); called with item None when the queue is empty."""
    if extra not in _annotate_context:
        _annotate_context.append(extra)


def annotate_context(*, item, user) -> dict:
    context: dict = {}
    for extra in _annotate_context:
        context |= extra(item=item, user=user)
    return context


def register_answer_feedback(feedback: Callable[..., Any]) -> None:
    """`feedback(project=, annotation=)`: what to show after a gold answer (or None)."""
    global _answer_feedback
    _once("answer feedback", _answer_feedback, feedback)
    _answer_feedback = feedback


def answer_feedback(*, project, annotation) -> Any | None:
    return _answer_feedback(project=project, annotation=annotation) if _answer_feedback else None


def register_sent_back(condition: Callable[..., Any]) -> None:
    """`condition(user=)` is a boolean expression over `OuterRef("pk")` (an item): a
    reviewer sent this user's answer on it back. The queue serves those items first."""
    global _sent_back
    _once("the sent-back condition", _sent_back, condition)
    _sent_back = condition


def sent_back_condition(*, user) -> Any | None:
    return _sent_back(user=user) if _sent_back else None
