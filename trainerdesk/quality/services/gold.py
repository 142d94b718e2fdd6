"""Gold items and accuracy: annotators scored against gold answers, snapshots, feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality.models import (
    GoldAccuracySnapshot,
    QualitySettings,
)
from trainerdesk.workbench.models import Annotation, Item, Project
from trainerdesk.workbench.readable import readable_answer

if TYPE_CHECKING:
    from trainerdesk.quality import metrics, report
else:  # NumPy and friends load on first use (lib/lazy.py)
    metrics = lazy_module("trainerdesk.quality.metrics")
    report = lazy_module("trainerdesk.quality.report")


# --- gold items and accuracy ---------------------------------------------------------------
# Correctness per task type is metrics.score_answers; the interval and the pass/fail rule are
# metrics.gold_verdict. This block only reads the annotations on gold items and stores what
# it computed.


def gold_kinds(project: Project) -> dict[str, str]:
    """Field name -> the type score_answer judges it by (relations have no notion of
    correct on their own and are left out)."""
    return {f.name: f.type for f in project.schema.fields if f.type != "relations"}


@dataclass(frozen=True)
class GoldAnswer:
    item_id: int
    annotation_id: int
    annotator_id: int
    correct: bool
    score: float


def gold_answers(
    *, project: Project, since=None, until=None, annotator_ids: list[int] | None = None
) -> list[GoldAnswer]:
    """Every non-skipped answer by a person on a gold item (answered in [since, until)),
    scored against the item's reference, in (item, annotation) order."""
    qs = Annotation.objects.filter(
        project=project, item__is_gold=True, skipped=False, annotator__isnull=False
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if annotator_ids is not None:
        qs = qs.filter(annotator_id__in=annotator_ids)
    kinds = gold_kinds(project)
    out = []
    for item_id, ann_id, user_id, answer, reference in qs.order_by("item_id", "id").values_list(
        "item_id", "id", "annotator_id", "answer", "item__reference"
    ):
        c = metrics.score_answers(kinds, answer, reference or {})
        out.append(GoldAnswer(item_id, ann_id, user_id, c.correct, c.score))
    return out


def gold_digest(pairs: list[tuple[int, int]]) -> str:
    """lib/digest over the sorted "item id<TAB>annotation id" lines that went into a number
    (unterminated: the form the first snapshots were stored in)."""
    return lines_digest(sorted(pairs), terminated=False)


@dataclass
class AnnotatorGold:
    annotator_id: int
    username: str
    verdict: metrics.GoldVerdict
    item_ids: list[int]
    annotation_ids: list[int]
    digest: str


@dataclass
class GoldItemStat:
    item_id: int
    external_id: str | None
    n: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None


@dataclass
class GoldReport:
    annotators: list[AnnotatorGold]
    items: list[GoldItemStat]  # hardest (lowest accuracy) first
    gold_items: int
    since: object = None
    until: object = None


def gold_accuracy(
    *, project: Project, since=None, until=None, annotator_ids: list[int] | None = None
) -> GoldReport:
    """Per annotator: gold items answered, correct, accuracy, 95% Wilson interval and the
    project's pass/fail rule; per gold item: how many got it right."""
    answers = gold_answers(project=project, since=since, until=until, annotator_ids=annotator_ids)
    by_user: dict[int, list[GoldAnswer]] = {}
    by_item: dict[int, list[GoldAnswer]] = {}
    for a in answers:
        by_user.setdefault(a.annotator_id, []).append(a)
        by_item.setdefault(a.item_id, []).append(a)
    names = dict(
        get_user_model().objects.filter(pk__in=list(by_user)).values_list("pk", "username")
    )
    settings = QualitySettings.for_project(project)
    rows = []
    for user_id, mine in by_user.items():
        verdict = metrics.gold_verdict(
            [a.correct for a in mine],
            threshold=settings.gold_threshold,
            min_items=settings.gold_min_items,
        )
        pairs = [(a.item_id, a.annotation_id) for a in mine]
        rows.append(
            AnnotatorGold(
                user_id,
                names.get(user_id, ""),
                verdict,
                sorted({a.item_id for a in mine}),
                sorted(a.annotation_id for a in mine),
                gold_digest(pairs),
            )
        )
    rows.sort(key=lambda r: r.username)
    gold = list(Item.objects.filter(project=project, is_gold=True).values_list("id", "external_id"))
    items = [
        GoldItemStat(
            item_id,
            ext,
            len(by_item.get(item_id, [])),
            sum(a.correct for a in by_item.get(item_id, [])),
        )
        for item_id, ext in gold
    ]
    # Hardest first; items nobody answered yet go last.
    items.sort(key=lambda s: (s.accuracy is None, s.accuracy or 0.0, s.item_id))
    return GoldReport(rows, items, len(gold), since, until)


@dataclass
class OwnGold:
    """What an annotator may see of their own accuracy on gold: no item ids, no digest."""

    verdict: metrics.GoldVerdict | None
    recorded_at: datetime | None  # when the shown snapshot was recorded; None when live


def own_gold_accuracy(*, project: Project, annotator) -> OwnGold:
    """An annotator's own accuracy on gold, as they may see it.

    With feedback on they learn each gold answer's correctness anyway, and that answer is
    locked once given (submit_annotation), so live numbers tell them nothing more. With
    feedback off, live numbers would: re-answering an item and watching `correct` move
    tells which items are gold and, label by label, their reference. So they see only the
    latest snapshot a manager recorded (one probe per snapshot at most, and no item ids)."""
    if project.gold_feedback:
        report = gold_accuracy(project=project, annotator_ids=[annotator.pk])
        return OwnGold(report.annotators[0].verdict if report.annotators else None, None)
    snap = GoldAccuracySnapshot.objects.filter(project=project, annotator=annotator).first()
    if snap is None:
        return OwnGold(None, None)
    verdict = metrics.gold_verdict(
        snap.correct, snap.n, threshold=snap.threshold, min_items=snap.min_items
    )
    return OwnGold(verdict, snap.computed_at)


def record_gold_snapshots(
    *, project: Project, by, since=None, until=None, annotator_ids: list[int] | None = None
) -> list[GoldAccuracySnapshot]:
    """Store each annotator's current gold accuracy. An open window is closed at the
    moment of computing, so recomputing over the stored window gives the same numbers."""
    now = timezone.now()
    until = until or now
    report = gold_accuracy(project=project, since=since, until=until, annotator_ids=annotator_ids)
    snapshots = [
        GoldAccuracySnapshot(
            project=project,
            annotator_id=row.annotator_id,
            computed_at=now,
            created_by=by,
            since=since,
            until=until,
            n=row.verdict.n,
            correct=row.verdict.correct,
            accuracy=row.verdict.accuracy,
            low=row.verdict.interval.low if row.verdict.interval else None,
            high=row.verdict.interval.high if row.verdict.interval else None,
            status=row.verdict.status,
            passed=row.verdict.status == metrics.PASS,
            threshold=row.verdict.threshold,
            min_items=row.verdict.min_items,
            items_digest=row.digest,
            item_ids=row.item_ids,
            annotation_ids=row.annotation_ids,
        )
        for row in report.annotators
    ]
    with transaction.atomic():
        stored = GoldAccuracySnapshot.objects.bulk_create(snapshots)
        audit.record_bulk(
            action="quality.gold_snapshot.create",
            object_type="quality.goldaccuracysnapshot",
            ids=[s.pk for s in stored],
            changes={"since": since, "until": until},
            project=project,
            by=by,
        )
    return stored


# --- immediate feedback on gold ----------------------------------------------------------------


@dataclass
class FeedbackField:
    label: str
    answer: str
    reference: str
    correct: bool


@dataclass
class GoldFeedback:
    item_id: int
    correct: bool
    fields: list[FeedbackField]
    explanation: str
    guidelines: str  # the project's guidelines, for the excerpt


def gold_feedback(*, project: Project, annotation: Annotation) -> GoldFeedback | None:
    """What the annotator sees after answering a gold item when the project gives feedback:
    right or wrong, their answer beside the reference, the explanation. None when there is
    nothing to show (feedback off, not gold, skipped)."""
    item = annotation.item
    if not (project.gold_feedback and item.is_gold and not annotation.skipped):
        return None
    reference = item.reference or {}
    kinds = gold_kinds(project)
    fields = []
    for f in project.schema.fields:
        if f.name not in kinds or reference.get(f.name) is None:
            continue
        mine = (annotation.answer or {}).get(f.name)
        c = metrics.score_answer(kinds[f.name], mine, reference[f.name])
        fields.append(
            FeedbackField(
                f.name,
                "; ".join(readable_answer(f, mine, item.data)),
                "; ".join(readable_answer(f, reference[f.name], item.data)),
                c.correct,
            )
        )
    overall = metrics.score_answers(kinds, annotation.answer, reference)
    return GoldFeedback(
        item.pk, overall.correct, fields, item.gold_explanation, project.instructions
    )
