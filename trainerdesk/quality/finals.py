"""Final answers for pages that show a few items at a time (the data manager's table, the
item page, marking items gold).

There is one definition of an item's final answer: the project's final label rule as
`services.FinalLabeler` applies it to an item's annotation records with their reviews.
The export feeds it records read page by page with raw SQL; this module reads the same
records with the ORM for a handful of items, so every page shows what the export writes
(a tie is no final answer, a reviewer's fix wins under the reviewer rule).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max

from trainerdesk.quality.models import QualitySettings, Review
from trainerdesk.quality.services import FinalLabeler
from trainerdesk.workbench.models import Annotation, Project


def final_answers(
    *,
    project: Project,
    item_ids: Iterable[int],
    annotations: dict[int, list[dict]] | None = None,
) -> dict[int, dict | None]:
    """{item id: its final answer, or None when it has none} for each of the items.

    `annotations` ({item id: [{"id", "answer", "skipped"}, ...]} oldest first) saves the
    query when the caller has read them already; their reviews are read here (one query,
    none when there are no annotations)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    if annotations is None:
        annotations = {}
        for pk, item_id, answer, skipped in (
            Annotation.objects.filter(project=project, item_id__in=ids)
            .order_by("item_id", "created_at", "id")
            .values_list("id", "item_id", "answer", "skipped")
        ):
            annotations.setdefault(item_id, []).append(
                {"id": pk, "answer": answer, "skipped": skipped}
            )
    # Copies, so the reviews added below stay out of the caller's records.
    records = {pk: [dict(a) for a in annotations.get(pk, [])] for pk in ids}
    by_id = {a["id"]: a for anns in records.values() for a in anns}
    if by_id:
        for annotation_id, decision, fixed, created in (
            Review.objects.filter(annotation_id__in=list(by_id))
            .order_by("created_at", "id")
            .values_list("annotation_id", "decision", "fixed_answer", "created_at")
        ):
            review = {"decision": decision, "created_at": created}
            if decision == Review.Decision.FIXED:
                review["fixed_answer"] = fixed
            by_id[annotation_id].setdefault("reviews", []).append(review)
    labeler = _labeler(project)
    return {pk: labeler.final(pk, anns) for pk, anns in records.items()}


# Dawid–Skene fits over every annotation of the project (0.4 s for 20,000 on the dev
# machine), too slow to repeat for each page of the data manager; the fit is kept per
# process while the project's annotations (count, newest id, last edit) and labels stay
# the same.
_FITTED: dict[int, tuple[tuple, FinalLabeler]] = {}
_FITTED_MAX = 8


def _labeler(project: Project) -> FinalLabeler:
    rule = QualitySettings.for_project(project).final_label_rule
    if rule != QualitySettings.FinalLabelRule.DAWID_SKENE:
        return FinalLabeler(project)
    state = Annotation.objects.filter(project=project).aggregate(
        n=Count("id"), last=Max("id"), edited=Max("updated_at")
    )
    key = (state["n"], state["last"], state["edited"], repr(project.label_schema))
    cached = _FITTED.get(project.pk)
    if cached and cached[0] == key:
        return cached[1]
    labeler = FinalLabeler(project)
    if len(_FITTED) >= _FITTED_MAX:
        _FITTED.pop(next(iter(_FITTED)))
    _FITTED[project.pk] = (key, labeler)
    return labeler
