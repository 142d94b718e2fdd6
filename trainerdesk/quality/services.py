"""Quality workflows. Label-error detection: start a run, run it in the worker, record a
reviewer's verdict on each finding."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from trainerdesk.quality import label_errors, metrics
from trainerdesk.quality.models import GoldAccuracySnapshot, LabelErrorFinding, LabelErrorRun
from trainerdesk.workbench.models import Annotation, Item, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

logger = logging.getLogger(__name__)

# --- label-error detection ---------------------------------------------------------------

# A run still queued or running after this long is taken to have lost its worker, so it
# no longer blocks a new run.
STALE_RUN = timedelta(hours=2)
MAX_FOLDS = 10
# Share of the progress bar for reading labels; the folds get the rest but a sliver.
_READ_SHARE = 0.15
_PAGE = 2000


def label_error_fields(project: Project) -> list[Field]:
    """The fields label-error detection supports: single-choice fields on text."""
    return [
        f
        for f in project.schema.fields
        if f.type == "choice" and not f.multiple and f.data_kind == "text" and f.source
    ]


def _label_error_field(project: Project, field_name: str | None) -> Field:
    fields = label_error_fields(project)
    if not fields:
        raise InvalidInput(
            [
                "field: label-error detection needs a single-choice field on text; this "
                "project's schema has none (multi-label, spans, boxes, images and LLM "
                "evaluation fields are not supported yet)"
            ]
        )
    if field_name in (None, ""):
        return fields[0]
    for f in fields:
        if f.name == field_name:
            return f
    names = ", ".join(f.name for f in fields)
    raise InvalidInput(
        [f"field: {field_name!r} is not a single-choice text field of this project (use {names})"]
    )


def start_label_error_run(
    *,
    project: Project,
    by,
    field_name: str | None = None,
    folds: int = label_errors.DEFAULT_FOLDS,
    model: str = "sgd",
    seed: int = 0,
) -> LabelErrorRun:
    """Record a run and queue it for the worker (training never happens in a request)."""
    from trainerdesk.quality.tasks import run_label_errors_task

    field = _label_error_field(project, field_name)
    errors = []
    if not 2 <= folds <= MAX_FOLDS:
        errors.append(f"folds: must be between 2 and {MAX_FOLDS}, got {folds}")
    if model not in label_errors.MODELS:
        errors.append(f"model: must be one of {', '.join(label_errors.MODELS)}, got {model!r}")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        busy = LabelErrorRun.objects.active().filter(
            project=project, created_at__gt=timezone.now() - STALE_RUN
        )
        if busy.exists():
            raise ConflictError(
                "A label-error run of this project is already queued or running; wait for it "
                "to finish"
            )
        run = LabelErrorRun.objects.create(
            project=project,
            field_name=field.name,
            created_by=by,
            parameters={"folds": folds, "model": model, "seed": seed},
            classes=list(field.label_values),
        )
        transaction.on_commit(lambda: run_label_errors_task.enqueue(run_id=run.pk))
    return run


def _set_progress(run: LabelErrorRun, progress: float, message: str) -> None:
    run.progress = round(min(max(progress, 0.0), 1.0), 4)
    run.message = message
    run.save(update_fields=["progress", "message"])


def _read_labels(run: LabelErrorRun, field: Field) -> tuple[list[int], list[str], list[int], int]:
    """(item ids, texts, class indices, items left out), walking the project in pages."""
    index = {value: i for i, value in enumerate(run.classes)}
    total = run.project.items.filter(done_count__gt=0).count() or 1
    ids: list[int] = []
    texts: list[str] = []
    labels: list[int] = []
    records = export_records(
        project=run.project, only_labeled=True, include_annotations=False, chunk_size=_PAGE
    )
    for seen, record in enumerate(records, start=1):
        label = (record["final"] or {}).get(field.name)
        text = record["data"].get(field.source) if isinstance(record["data"], dict) else None
        if isinstance(label, str) and label in index and isinstance(text, str) and text.strip():
            ids.append(record["id"])
            texts.append(text)
            labels.append(index[label])
        if seen % (_PAGE * 5) == 0:
            _set_progress(run, _READ_SHARE * seen / total, f"Reading labels: {seen:,} items")
    left_out = run.project.items.count() - len(ids)
    return ids, texts, labels, left_out


def _digest(ids: list[int], labels: list[int], classes: list[str]) -> str:
    lines = "".join(f"{pk}\t{classes[label]}\n" for pk, label in zip(ids, labels, strict=True))
    return hashlib.sha256(lines.encode()).hexdigest()


def run_label_errors(*, run_id: int) -> LabelErrorRun:
    """Worker entry point: read the final labels, cross-validate, rank, store the findings.

    Progress goes to the run row as it happens; the findings and the final status are
    written in one transaction at the end, so a failed run has no findings at all.
    """
    with transaction.atomic():
        run = LabelErrorRun.objects.select_for_update().select_related("project").get(pk=run_id)
        if run.status != LabelErrorRun.Status.QUEUED:
            return run  # another worker took it, or a retry of a finished run
        run.status = LabelErrorRun.Status.RUNNING
        run.started_at = timezone.now()
        run.message = "Reading labels"
        run.save(update_fields=["status", "started_at", "message"])
    params = run.parameters

    def fold_progress(fold: int, folds: int) -> None:
        share = _READ_SHARE + (0.95 - _READ_SHARE) * (fold - 1) / folds
        _set_progress(run, share, f"Training fold {fold} of {folds}")

    try:
        field = _label_error_field(run.project, run.field_name)
        if list(field.label_values) != run.classes:
            raise InvalidInput(["field: its labels changed since the run was started"])
        run.labels_as_of = timezone.now()
        ids, texts, labels, left_out = _read_labels(run, field)
        run.items_considered, run.items_left_out = len(ids), left_out
        run.items_digest = _digest(ids, labels, run.classes)
        detection = label_errors.find_label_errors(
            texts,
            labels,
            n_classes=len(run.classes),
            folds=params.get("folds", label_errors.DEFAULT_FOLDS),
            model=params.get("model", "sgd"),
            seed=params.get("seed", 0),
            label_names=run.classes,
            on_progress=fold_progress,
        )
    except (label_errors.NotEnoughData, InvalidInput) as exc:
        return _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - the run must record any failure for the user
        logger.exception("label-error run %s failed", run.pk)
        return _fail(run, f"The run stopped: {type(exc).__name__}: {exc}")
    findings = [
        LabelErrorFinding(
            run=run,
            item_id=ids[s.index],
            given_label=run.classes[s.given],
            likely_label=run.classes[s.likely],
            confidence_given=s.confidence_given,
            quality_score=s.quality,
            rank=s.rank,
        )
        for s in detection.suspects
    ]
    run.status = LabelErrorRun.Status.DONE
    run.progress = 1.0
    run.folds_used = detection.folds
    run.issues_found = len(findings)
    run.finished_at = timezone.now()
    run.message = (
        f"{len(findings):,} likely label errors among {len(ids):,} labelled items"
        + (f" ({detection.folds} folds: a label has few items)" if detection.folds
           < params.get("folds", label_errors.DEFAULT_FOLDS) else "")
    )  # fmt: skip
    with transaction.atomic():
        LabelErrorFinding.objects.bulk_create(findings, batch_size=1000)
        run.save(update_fields=_RESULT_FIELDS)
    return run


_RESULT_FIELDS = [
    "status",
    "progress",
    "message",
    "folds_used",
    "labels_as_of",
    "items_digest",
    "items_considered",
    "items_left_out",
    "issues_found",
    "finished_at",
]


def _fail(run: LabelErrorRun, message: str) -> LabelErrorRun:
    run.status = LabelErrorRun.Status.FAILED
    run.message = message
    run.issues_found = 0
    run.finished_at = timezone.now()
    with transaction.atomic():
        # A failure after some findings were written cannot happen (they are written last,
        # in one transaction), but a retry must never leave stale ones behind either.
        LabelErrorFinding.objects.filter(run=run).delete()
        run.save(update_fields=_RESULT_FIELDS)
    return run


def decide_label_error(
    *, finding: LabelErrorFinding, decision: str, by, corrected_label: str | None = None
) -> LabelErrorFinding:
    """Record a reviewer's verdict on a finding: a confirmed error (optionally with the
    right label) or not an error. Deciding again replaces the earlier verdict; "open"
    takes it back.

    The verdict is recorded here only; it does not change annotations or the final label.
    The review flow owns final labels and can take confirmed errors (with their
    corrected_label) as reviewer fixes.
    """
    Status = LabelErrorFinding.Status
    if decision not in Status.values:
        raise InvalidInput([f"decision: must be one of {', '.join(Status.values)}"])
    corrected = (corrected_label or "").strip()
    if corrected:
        if decision != Status.CONFIRMED_ERROR:
            raise InvalidInput(["corrected_label: only a confirmed error takes a corrected label"])
        if corrected not in finding.run.classes:
            raise InvalidInput(
                [f"corrected_label: {corrected!r} is not a label of {finding.run.field_name}"]
            )
    with transaction.atomic():
        locked = LabelErrorFinding.objects.select_for_update().get(pk=finding.pk)
        locked.status = decision
        locked.corrected_label = corrected
        open_again = decision == Status.OPEN
        locked.decided_by = None if open_again else by
        locked.decided_at = None if open_again else timezone.now()
        locked.save(update_fields=["status", "corrected_label", "decided_by", "decided_at"])
    finding.status, finding.corrected_label = locked.status, locked.corrected_label
    finding.decided_by, finding.decided_at = locked.decided_by, locked.decided_at
    return finding


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
    """sha256 over the sorted "item id<TAB>annotation id" lines that went into a number."""
    lines = "\n".join(f"{i}\t{a}" for i, a in sorted(pairs))
    return hashlib.sha256(lines.encode()).hexdigest()


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
    rows = []
    for user_id, mine in by_user.items():
        verdict = metrics.gold_verdict(
            [a.correct for a in mine],
            threshold=project.gold_threshold,
            min_items=project.gold_min_items,
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
        return GoldAccuracySnapshot.objects.bulk_create(snapshots)


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


def _readable(field: Field, value, data: dict) -> str:
    """One field's answer as a person reads it."""
    if value is None or value == [] or value == "":
        return "(none)"
    if field.type == "choice":
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(v) for v in values)
    if field.type == "spans":
        text = str(data.get(field.source or "", ""))
        return "; ".join(
            f'{s.get("label")}: "{text[s.get("start", 0) : s.get("end", 0)]}"' for s in value
        )
    if field.type == "boxes":
        return f"{len(value)} box(es): " + ", ".join(str(b.get("label")) for b in value)
    if field.type == "pairwise" and isinstance(value, dict):
        preferred = value.get("preferred")
        return "tie" if preferred in (None, "tie") else f"response {chr(65 + int(preferred))}"
    if field.type == "ranking":
        return " > ".join(chr(65 + int(v)) if isinstance(v, int) else str(v) for v in value)
    return json.dumps(value, ensure_ascii=False)


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
                _readable(f, mine, item.data),
                _readable(f, reference[f.name], item.data),
                c.correct,
            )
        )
    overall = metrics.score_answers(kinds, annotation.answer, reference)
    return GoldFeedback(
        item.pk, overall.correct, fields, item.gold_explanation, project.instructions
    )
