"""The progress page's counters (ProgressCount): answers, skips and active seconds per
project, annotator and local day, moved by every service that adds, changes or removes
annotations, inside its transaction.

The page used to aggregate every annotation of the project per request (1.27 s at
500,000); with these it sums a few rows per annotator and day. `recount` rebuilds them
from the annotations (`trainerdesk recount_progress`): after a change of TIME_ZONE (days
are local days) or a direct database edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from trainerdesk.workbench.models import Annotation, ProgressCount

# (project id, annotator key, local day) -> [done, skipped, seconds]
Counts = dict[tuple[int, int, date], list]


def _fold(counts: Counts, project_id, annotator_id, created_at: datetime, skipped, lead_time, sign):
    key = (project_id, annotator_id or 0, timezone.localtime(created_at).date())
    row = counts.setdefault(key, [0, 0, 0.0])
    row[0 if not skipped else 1] += sign
    row[2] += sign * (lead_time or 0)


def _apply(counts: Counts) -> None:
    # Raw upsert: an increment in one statement on both databases (the ORM has no
    # "INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n").
    if not counts:
        return
    table = ProgressCount._meta.db_table
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (project_id, annotator_key, day, done, skipped, seconds)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (project_id, annotator_key, day) DO UPDATE SET"
            f" done = {table}.done + excluded.done,"
            f" skipped = {table}.skipped + excluded.skipped,"
            f" seconds = {table}.seconds + excluded.seconds",
            [(p, a, adapt(d), *values) for (p, a, d), values in counts.items()],
        )


def count_answer(annotation: Annotation, *, was_skipped: bool | None, seconds: float | None):
    """An annotation was created (`was_skipped` None) or answered again (its skip state
    before, `seconds` the lead time added)."""
    counts: Counts = {}
    row = (annotation.project_id, annotation.annotator_id, annotation.created_at)
    if was_skipped is not None:
        _fold(counts, *row, was_skipped, 0, -1)
    _fold(counts, *row, annotation.skipped, seconds, 1)
    _apply(counts)


def count_annotations(annotations: Iterable[Annotation], *, sign: int = 1) -> None:
    """New annotations (sign 1: imports) or removed ones (-1: withdrawal)."""
    counts: Counts = {}
    for a in annotations:
        _fold(counts, a.project_id, a.annotator_id, a.created_at, a.skipped, a.lead_time, sign)
    _apply(counts)


def _rows(annotations):
    return annotations.values_list(
        "project_id", "annotator_id", "created_at", "skipped", "lead_time"
    ).iterator(chunk_size=5000)


def forget_items(item_ids: list[int]) -> None:
    """Before these items are deleted with their annotations."""
    counts: Counts = {}
    for project_id, annotator_id, created_at, skipped, lead_time in _rows(
        Annotation.objects.filter(item_id__in=item_ids)
    ):
        _fold(counts, project_id, annotator_id, created_at, skipped, lead_time, -1)
    _apply(counts)


def recount(*, project=None) -> int:
    """Rebuild the counters (of one project, or all) from the annotations; the rows
    written."""
    annotations = Annotation.objects.all()
    stored = ProgressCount.objects.all()
    if project is not None:
        annotations, stored = annotations.filter(project=project), stored.filter(project=project)
    counts: Counts = {}
    for project_id, annotator_id, created_at, skipped, lead_time in _rows(annotations):
        _fold(counts, project_id, annotator_id, created_at, skipped, lead_time, 1)
    with transaction.atomic():
        stored.delete()
        _apply(counts)
    return len(counts)
