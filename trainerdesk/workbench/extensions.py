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


@dataclass(frozen=True)
class SettingsSection:
    """An app's part of a project's settings, kept in the app's own `OneToOne(Project)`
    model (DEVELOPERS.md, "Per-app project settings"). The settings page shows `form`
    below the workbench's fields (one page, one Save); `GET`/`PATCH
    /api/v1/projects/<id>` carry `api_fields` beside the project's own, and
    `workbench.services.update_project` hands those keys to `update`, in its transaction.

    - `form`: a Django form class whose field names are the setting names (no prefix:
      the page posts what the API takes); its `clean()` drops a field not posted.
    - `api_fields`: name -> (type, `pydantic.Field` keyword arguments: constraints such
      as `ge`/`le` and the `description`) of the PATCH body; GET shows each as
      `type | None`.
    - `read(project=)` -> {name: value}: the current values (initial form values, GET).
    - `update(project=, by=, **changes)`: validates (InvalidInput naming the field),
      writes and audits.
    - `staff_only`: names shown to managers and reviewers only (null for annotators).
    - `describe(project=)` -> {name: text}: what a page says about a value (e.g. the
      final label rule's label), for the workbench templates that mention it."""

    app: str
    title: str
    form: type
    api_fields: dict[str, tuple[Any, dict[str, Any]]]
    read: Callable[..., dict[str, Any]]
    update: Callable[..., Any]
    staff_only: frozenset[str] = frozenset()
    describe: Callable[..., dict[str, str]] | None = None


_nav: dict[tuple[str, str], NavLink] = {}
_final_labeler: Callable[[Any], Any] | None = None
_final_answers: Callable[..., dict] | None = None
_export_enrichers: list[Callable[..., tuple[dict, dict]]] = []
_item_filters: dict[str, Callable[[Any, Any, Any], Any]] = {}
_annotate_context: list[Callable[..., dict]] = []
_answer_feedback: Callable[..., Any] | None = None
_sent_back: Callable[..., Any] | None = None
_project_created: list[Callable[..., Any]] = []
_settings_sections: dict[str, SettingsSection] = {}
_sections_read = False  # set once the API schemas are built from the sections


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
    """`extra(project=, item=, user=)` returns context the annotation page shows (e.g. a
    reviewer's note on an item sent back); called with item None when the queue is empty,
    where a `done_action` ({"label", "url"}) replaces "Back to the project" (an
    assessment's workspace leads to the candidate's result instead)."""
    if extra not in _annotate_context:
        _annotate_context.append(extra)


def annotate_context(*, project, item, user) -> dict:
    context: dict = {}
    for extra in _annotate_context:
        context |= extra(project=project, item=item, user=user)
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


# --- project creation and per-app project settings ------------------------------------------


def register_project_created(hook: Callable[..., Any]) -> None:
    """`hook(project=, by=)` runs inside create_project's transaction (e.g. an app makes
    its settings row): anything it raises rolls the new project back."""
    if hook not in _project_created:
        _project_created.append(hook)


def project_created(*, project, by) -> None:
    for hook in _project_created:
        hook(project=project, by=by)


def register_settings_section(section: SettingsSection) -> None:
    """One section per app (registering it again replaces it). Must run in the app's
    `ready()`: the API's project schemas are built from the sections when the URLconf is
    first loaded, so a section registered later would be missing from them."""
    if _sections_read and _settings_sections.get(section.app) != section:
        raise RuntimeError(
            f"settings section {section.app!r} registered after the API schemas were built; "
            "register it in AppConfig.ready()"
        )
    others = [s for app, s in _settings_sections.items() if app != section.app]
    taken = {name for other in others for name in other.api_fields}
    if clash := taken & set(section.api_fields):
        raise RuntimeError(f"settings {sorted(clash)} are already owned by another app")
    _settings_sections[section.app] = section


def settings_sections(*, for_schemas: bool = False) -> list[SettingsSection]:
    global _sections_read
    _sections_read = _sections_read or for_schemas
    return sorted(_settings_sections.values(), key=lambda section: section.app)


def settings_section_of(name: str) -> SettingsSection | None:
    """The section that owns setting `name` (None: not an app's setting)."""
    return next((s for s in _settings_sections.values() if name in s.api_fields), None)


def describe_settings(project) -> dict[str, str]:
    """Every section's `describe(project=)`, merged: e.g. {"final_label_rule": "Majority
    vote"} for the pages that mention a setting; empty without the app."""
    out: dict[str, str] = {}
    for section in settings_sections():
        if section.describe is not None:
            out |= section.describe(project=project)
    return out
