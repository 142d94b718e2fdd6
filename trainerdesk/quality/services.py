"""Quality workflows. Label-error detection: start a run, run it in the worker, record a
reviewer's verdict on each finding."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Exists, OuterRef, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality import review as rules
from trainerdesk.quality.models import (
    AgreementReport,
    GoldAccuracySnapshot,
    ItemAgreement,
    LabelErrorFinding,
    LabelErrorRun,
    Review,
    Scorecard,
)
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Annotation, Item, Notification, Prediction, Project
from trainerdesk.workbench.schema import AnswerError, Field
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

# NumPy-backed modules, loaded when a quality computation first runs (lib/lazy.py says why).
label_errors = lazy_module("trainerdesk.quality.label_errors")
metrics = lazy_module("trainerdesk.quality.metrics")
report = lazy_module("trainerdesk.quality.report")

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
    folds: int = 5,  # label_errors.DEFAULT_FOLDS (a literal keeps that module unloaded)
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
            run.set_progress(_READ_SHARE * seen / total, f"Reading labels: {seen:,} items")
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
        run.start_run("Reading labels")
    params = run.parameters

    def fold_progress(fold: int, folds: int) -> None:
        share = _READ_SHARE + (0.95 - _READ_SHARE) * (fold - 1) / folds
        run.set_progress(share, f"Training fold {fold} of {folds}")

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
    run.folds_used = detection.folds
    run.issues_found = len(findings)
    run.finish(
        f"{len(findings):,} likely label errors among {len(ids):,} labelled items"
        + (f" ({detection.folds} folds: a label has few items)" if detection.folds
           < params.get("folds", label_errors.DEFAULT_FOLDS) else ""),
        save=False,
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
    run.fail(message, save=False)
    run.issues_found = 0
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


# --- review: decisions, the review queue and final labels ----------------------------------

Decision = Review.Decision
SCOPES = ("all", "disagreement", "low")
# "Low confidence" (scope=low): fewer answers agree on the item than the project's overlap
# asks for (so with overlap 1 a lone answer is confident, with overlap 3 two of three
# agreeing is not), or a model's prediction on the item scored below this threshold.
LOW_SCORE = 0.5


def record_review(
    *,
    project: Project,
    annotation: Annotation,
    reviewer,
    decision: str,
    reason: str = "",
    fixed_answer: Any = None,
    send_back: bool = False,
) -> Review:
    """Record a reviewer's decision on an annotation (the annotation stays as it was).

    fixed: `fixed_answer` (validated by the project's schema) becomes the item's final
    answer under the reviewer rule. rejected: `reason` is shown to the annotator;
    with `send_back` the annotation leaves the item's counts and the item goes back to the
    top of its author's queue (workbench.services.withdraw_annotation).
    """
    errors: list[str] = []
    if decision not in Decision.values:
        errors.append(f"decision: must be one of {', '.join(Decision.values)}")
    reason = (reason or "").strip()
    if decision == Decision.REJECTED and not reason:
        errors.append("reason: say why the answer is rejected (the annotator sees it)")
    if len(reason) > 2000:
        errors.append("reason: at most 2000 characters")
    if send_back and decision != Decision.REJECTED:
        errors.append("send_back: only a rejected annotation can be sent back")
    if send_back and annotation.annotator_id is None:
        errors.append("send_back: an imported annotation has no annotator to send it to")
    item = annotation.item
    if decision == Decision.FIXED:
        if fixed_answer is None:
            errors.append("fixed_answer: give the corrected answer")
        else:
            try:
                fixed_answer = project.schema.validate_answer(fixed_answer, item.data)
            except AnswerError as exc:
                errors += [f"fixed_answer.{e}" for e in exc.errors]
    else:
        fixed_answer = None
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        review = Review.objects.create(
            project=project,
            item=item,
            annotation=annotation,
            annotator_id=annotation.annotator_id,
            annotator_name=annotation.author,
            reviewer=reviewer,
            decision=decision,
            reason=reason,
            fixed_answer=fixed_answer,
            original_answer=annotation.answer,
            sent_back=send_back,
        )
        if send_back:
            workbench.withdraw_annotation(project=project, annotation=annotation)
            review.annotation = None  # the database set it to NULL with the deletion
            # The author learns it in their inbox; the item is first in their queue.
            Notification.objects.create(
                user_id=annotation.annotator_id, kind=Notification.Kind.RETURNED, item=item,
                actor=reviewer, message=reason,
            )  # fmt: skip
    return review


def send_back(*, project: Project, review: Review, by) -> Review:
    """Send back the annotation of an earlier rejection (recorded as a new review, so the
    history shows who sent it back and when)."""
    if review.decision != Decision.REJECTED or review.annotation_id is None:
        raise ConflictError("only a rejected annotation that is still there can be sent back")
    annotation = Annotation.objects.select_related("item").get(pk=review.annotation_id)
    return record_review(
        project=project,
        annotation=annotation,
        reviewer=by,
        decision=Decision.REJECTED,
        reason=review.reason,
        send_back=True,
    )


def reviews_of_item(*, item: Item):
    """Every review of the item, oldest first (decisions of sent-back annotations too)."""
    return Review.objects.filter(item=item).select_related("reviewer").order_by("created_at", "id")


def return_note(*, item: Item, user) -> Review | None:
    """The rejection that sent this item back to the user, while they have not answered
    it again (shown on their annotation page). A sent-back item is assigned to them until
    they answer, so other items cost no query here (the annotation page's hot path)."""
    if item.assignee_id is None or item.assignee_id != user.pk:
        return None
    if Annotation.objects.filter(item=item, annotator=user).exists():
        return None
    return (
        Review.objects.filter(item=item, annotator=user, sent_back=True)
        .order_by("-created_at", "-id")
        .first()
    )


# --- the review queue


@dataclass
class QueueEntry:
    item: Item
    answers: int
    agreeing: int
    disagree: bool
    low_score: bool
    reviewed: bool

    @property
    def text(self) -> str:
        data = self.item.data if isinstance(self.item.data, dict) else {}
        for value in data.values():
            if isinstance(value, str):
                return value[:140]
        return ""


def _needs_review():
    """Annotations not reviewed yet (non-skipped)."""
    reviewed = Review.objects.filter(annotation=OuterRef("pk"))
    return Annotation.objects.filter(item=OuterRef("pk"), skipped=False).exclude(Exists(reviewed))


def _scoped(
    project: Project, ids: list[tuple[int, bool]], scope: str, min_score: float
) -> list[QueueEntry]:
    """The entries (item still an id) among `ids` ((item id, needs review), in id order)
    that fall in the scope."""
    # By id range (the items are one window of ids), not IN lists of up to 20,000 ids.
    first, last = ids[0][0], ids[-1][0]
    wanted = {pk for pk, _ in ids}
    # The answers as stored text: equal texts are equal answers, so only items whose
    # texts differ are decoded (decoding every answer was most of a long scan's time).
    answers: dict[int, list[str]] = {}
    for item_id, answer in (
        Annotation.objects.filter(
            item_id__gte=first, item_id__lte=last, project=project, skipped=False
        )
        .annotate(text=Cast("answer", TextField()))
        .values_list("item_id", "text")
    ):
        if item_id in wanted:
            answers.setdefault(item_id, []).append(answer)
    low_scored = set()
    if scope in ("all", "low"):
        low_scored = set(
            Prediction.objects.filter(
                item_id__gte=first, item_id__lte=last, score__lt=min_score
            ).values_list("item_id", flat=True)
        )
    out = []
    for pk, needs_review in ids:
        texts = answers.get(pk, [])
        same = len(set(texts)) <= 1
        given = [] if same else [orjson.loads(t) for t in texts]
        entry = QueueEntry(
            item=pk,
            answers=len(texts),
            agreeing=len(texts) if same else rules.agreeing_count(given),
            disagree=not same and rules.disagree(given),
            low_score=pk in low_scored,
            reviewed=not needs_review,
        )
        if scope == "disagreement" and not entry.disagree:
            continue
        if scope == "low" and not (entry.agreeing < project.overlap or entry.low_score):
            continue
        out.append(entry)
    return out


def review_queue(
    *,
    project: Project,
    scope: str = "all",
    reviewed: bool | None = None,
    after: int = 0,
    before: int | None = None,
    limit: int = 50,
    min_score: float = LOW_SCORE,
) -> list[QueueEntry]:
    """Annotated items in scope (all, disagreement: the non-skipped answers differ, low:
    see LOW_SCORE), in id order after `after` (and before `before`); `reviewed` False for
    items with an annotation nobody reviewed yet, True for the others, None for both
    with the not-yet-reviewed ones first. Walks the items in chunks, so a narrow scope
    reads only as far as it needs."""
    if scope not in SCOPES:
        raise InvalidInput([f"scope: must be one of {', '.join(SCOPES)}"])
    if reviewed is None:
        first = review_queue(
            project=project, scope=scope, reviewed=False, after=after, before=before,
            limit=limit, min_score=min_score,
        )  # fmt: skip
        rest = review_queue(
            project=project, scope=scope, reviewed=True, after=after, before=before,
            limit=limit - len(first), min_score=min_score,
        ) if len(first) < limit else []  # fmt: skip
        return first + rest
    qs = (
        Item.objects.filter(project=project)
        .filter(Exists(Annotation.objects.filter(item=OuterRef("pk"), skipped=False)))
        .annotate(needs_review=Exists(_needs_review()))
        .filter(needs_review=not reviewed)
        .order_by("id")
    )
    end = project.items.order_by("-id").values_list("id", flat=True).first() or 0
    if before is not None:
        end = min(end, before - 1)
    # Walk id windows rather than "the next N matches": with a plain LIMIT the databases
    # evaluated both EXISTS tests over the whole project for every chunk (46 s to find
    # that none of 50,000 reviewed items disagreed, against 1.4 s in windows). Windows
    # start small (the page asks for one item) and grow while they find nothing.
    found: list[QueueEntry] = []
    window = 500
    while len(found) < limit and after < end:
        upper = min(after + window, end)
        # Ids first: building 20,000 Item objects (and decoding their data) per window
        # cost more than the queries; only the items returned are loaded in full.
        ids = list(qs.filter(pk__gt=after, pk__lte=upper).values_list("pk", "needs_review"))
        if ids:
            found += _scoped(project, ids, scope, min_score)
        after = upper
        window = min(window * 4, 20_000) if len(found) < limit else window
    found = found[:limit]
    items = Item.objects.in_bulk([e.item for e in found])
    for entry in found:
        entry.item = items[entry.item]
    return found


def next_review_item(
    *, project: Project, scope: str = "all", after: int = 0, min_score: float = LOW_SCORE
) -> Item | None:
    """The next item to review after item `after`: not-yet-reviewed items first (after
    it, then from the start), then reviewed ones in the same way."""
    for reviewed in (False, True):
        for lower, upper in ((after, None), (0, after)) if after else ((0, None),):
            found = review_queue(
                project=project, scope=scope, reviewed=reviewed, after=lower, before=upper,
                limit=1, min_score=min_score,
            )  # fmt: skip
            if found:
                return found[0].item
    return None


def first_disagreement(*, project: Project) -> Item | None:
    """The first item whose answers differ and that has an unreviewed annotation (where the
    review page opens)."""
    found = review_queue(project=project, scope="disagreement", reviewed=False, limit=1)
    return found[0].item if found else None


# --- final labels


class FinalLabeler:
    """Each item's final answer under the project's rule (see Project.FinalLabelRule),
    from the annotation records of the export (with their "reviews")."""

    def __init__(self, project: Project):
        self.project = project
        self.rule = project.final_label_rule
        # Plain booleans: final() runs once per exported item (100k in ~1 s), and each
        # TextChoices member lookup costs more than the common case's whole answer.
        self.by_reviewer = self.rule == Project.FinalLabelRule.REVIEWER
        self.ds: dict[str, dict[int, Any]] = {}
        self.accuracy: dict[str, dict] = {}
        # field -> why its Dawid–Skene labels may not be settled (EM did not converge).
        self.notes: dict[str, str] = {}
        if self.rule == Project.FinalLabelRule.DAWID_SKENE:
            self._fit_dawid_skene()

    def _fit_dawid_skene(self) -> None:
        fields = [f for f in self.project.schema.fields if f.type == "choice" and not f.multiple]
        if not fields:
            return
        observations: dict[str, list] = {f.name: [] for f in fields}
        rows = Annotation.objects.filter(project=self.project, skipped=False).values_list(
            "item_id", "annotator_id", "imported_annotator", "answer"
        )
        for item_id, annotator_id, imported, answer in rows.iterator(chunk_size=5000):
            who = annotator_id if annotator_id is not None else f"imported:{imported}"
            for f in fields:
                value = answer.get(f.name) if isinstance(answer, dict) else None
                if isinstance(value, str):
                    observations[f.name].append((item_id, who, value))
        for f in fields:
            fit = rules.dawid_skene_fit(observations[f.name], f.label_values)
            self.ds[f.name] = {item_id: label for item_id, (label, _p) in fit.finals.items()}
            self.accuracy[f.name] = fit.accuracy
            if fit.note:
                self.notes[f.name] = fit.note
                logger.warning("project %s, field %s: Dawid–Skene %s", self.project.pk,
                               f.name, fit.note)  # fmt: skip

    def final(self, item_id: int, annotations: list[dict]) -> dict | None:
        answered = [a for a in annotations if not a["skipped"]]
        if not answered:
            return None
        if not self.ds and len(answered) == 1 and "reviews" not in answered[0]:
            return dict(answered[0]["answer"]) or None  # one unreviewed answer: every rule
        if self.by_reviewer:
            return self._reviewer(answered)
        answer = rules.majority_vote([a["answer"] for a in answered]).answer
        if self.ds:
            answer = dict(answer or {})
            for name, labels in self.ds.items():
                if item_id in labels:
                    answer[name] = labels[item_id]
            answer = answer or None
        return answer

    @staticmethod
    def _reviewer(answered: list[dict]) -> dict | None:
        if not any("reviews" in a for a in answered):
            return rules.majority_vote([a["answer"] for a in answered]).answer
        latest = [(a["reviews"][-1] if a.get("reviews") else None, a) for a in answered]
        fixes = [r for r, _ in latest if r and r["decision"] == Decision.FIXED]
        if fixes:
            return max(fixes, key=lambda r: r["created_at"])["fixed_answer"]
        accepted = [a["answer"] for r, a in latest if r and r["decision"] == Decision.ACCEPTED]
        if accepted:
            return rules.majority_vote(accepted).answer
        kept = [a["answer"] for r, a in latest if not (r and r["decision"] == Decision.REJECTED)]
        return rules.majority_vote(kept).answer


def reviews_of_page(cursor, *, project_id: int, first_id: int, last_id: int):
    """The reviews of a page of the export (items first_id..last_id) in one query, as
    ({annotation id: [review, ...]}, {item id: [sent-back review, ...]}), oldest first.

    Raw SQL on the export's cursor like the rest of the export page (DEVELOPERS.md: the
    ORM's per-row converters dominated there); served by the (item, created_at) index.
    """
    user_t = get_user_model()._meta.db_table
    cursor.execute(
        "SELECT r.item_id, r.annotation_id, r.decision, u.username, r.reason, "
        "r.fixed_answer, r.original_answer, r.sent_back, r.annotator_name, r.created_at "
        f"FROM {Review._meta.db_table} r LEFT JOIN {user_t} u ON u.id = r.reviewer_id "
        "WHERE r.item_id BETWEEN %s AND %s AND +r.project_id = %s "
        "ORDER BY r.item_id, r.created_at, r.id",
        [first_id, last_id, project_id],
    )
    by_annotation: dict[int, list[dict]] = {}
    returned: dict[int, list[dict]] = {}
    for (item_id, annotation_id, decision, reviewer, reason, fixed, original, sent_back,
         annotator, created) in cursor.fetchall():  # fmt: skip
        review = {"decision": decision, "reviewer": reviewer, "reason": reason,
                  "created_at": workbench._iso(created)}  # fmt: skip
        if decision == Decision.FIXED:
            review["fixed_answer"] = workbench._json(fixed)
        if annotation_id is not None:
            by_annotation.setdefault(annotation_id, []).append(review)
        elif sent_back:
            review |= {"annotator": annotator, "original_answer": workbench._json(original)}
            returned.setdefault(item_id, []).append(review)
    return by_annotation, returned


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


# --- agreement reports and annotator scorecards (qpage) ----------------------------------

_REPORT_PAGE = 5000
_STALE_REPORT = timedelta(hours=2)


def report_field_specs(project: Project) -> list[report.FieldSpec]:
    """The schema's fields as the report needs them (labels in schema order)."""
    specs = []
    for f in project.schema.fields:
        criteria = tuple((c.name, c.min, c.max) for c in f.options.get("criteria", ()) or ())
        specs.append(
            report.FieldSpec(
                name=f.name,
                type=f.type,
                multiple=f.multiple,
                labels=f.label_values,
                criteria=criteria,
                strength=bool(f.options.get("strength", False)),
                per_response=bool(f.options.get("per_response", False)),
            )
        )
    return specs


def _report_parameters(specs: list[report.FieldSpec]) -> dict:
    levels = {"spans": "span F1 (exact and overlap)", "boxes": "box F1 and mean IoU"}
    fields = {}
    for s in specs:
        if s.coded:
            fields[s.name] = {"type": s.type, "level": s.alpha_level, "levels": list(s.levels()),
                              "kappa_weights": report.WEIGHT_NAMES[s.kappa_weights]}  # fmt: skip
        elif s.type == "choice":
            fields[s.name] = {"type": s.type, "level": "per-label binary + Jaccard alpha"}
        else:
            fields[s.name] = {"type": s.type, "level": levels.get(s.type, "not supported")}
    return {"fields": fields, "annotations": "non-skipped", "box_iou_threshold": 0.5}


def _specs_of(rep: AgreementReport) -> list[report.FieldSpec]:
    """The project's fields with the levels and weights the report was started with."""
    chosen = rep.parameters.get("fields", {})
    specs = report_field_specs(rep.project)
    levels = {s.name: chosen[s.name]["level"] for s in specs
              if s.coded and chosen.get(s.name, {}).get("level") in s.levels()}  # fmt: skip
    weights = {s.name: chosen[s.name]["kappa_weights"] for s in specs
               if s.coded and "kappa_weights" in chosen.get(s.name, {})}  # fmt: skip
    return report.with_options(specs, levels, weights)


def start_agreement_report(
    *,
    project: Project,
    levels: dict[str, str] | None = None,
    kappa_weights: dict[str, str] | None = None,
    by,
) -> AgreementReport:
    """Record a report and queue its computation for the worker. levels: {field: alpha
    level}, kappa_weights: {field: none | linear | quadratic} for the coded fields (choice,
    pairwise, rating); the others keep their type's defaults (report.DEFAULT_LEVEL)."""
    from trainerdesk.quality.tasks import compute_agreement_report_task

    specs = report_field_specs(project)
    levels, kappa_weights = dict(levels or {}), dict(kappa_weights or {})
    errors = report.check_options(specs, levels, kappa_weights)
    if errors:
        raise InvalidInput(errors)
    specs = report.with_options(specs, levels, kappa_weights)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        busy = AgreementReport.objects.filter(
            project=project,
            status__in=(AgreementReport.Status.QUEUED, AgreementReport.Status.RUNNING),
            created_at__gt=timezone.now() - _STALE_REPORT,
        )
        if busy.exists():
            raise ConflictError("An agreement report of this project is already being computed")
        rep = AgreementReport.objects.create(
            project=project,
            created_by=by,
            parameters=_report_parameters(specs),
        )
        transaction.on_commit(lambda: compute_agreement_report_task.enqueue(report_id=rep.pk))
    return rep


def _read_report_input(rep: AgreementReport, builder: report.ReportBuilder) -> str:
    """Feed the builder the project's references, then its non-skipped annotations, one
    query per page (keyset on id; raw SQL for the same reason as export_records: per-row
    ORM converters dominate at a million rows). Returns the input digest."""
    from django.db import connection

    from trainerdesk.workbench.models import Annotation, Item
    from trainerdesk.workbench.services import _json

    project = rep.project
    item_t, ann_t = Item._meta.db_table, Annotation._meta.db_table
    user_t = get_user_model()._meta.db_table
    total = Annotation.objects.filter(project=project, skipped=False).count() or 1
    digest = hashlib.sha256()
    # The UTC day and updated_at as text in SQL: SQLite stores Django's UTC timestamps as
    # text, and converting a million of them to datetimes and back cost a third of the run.
    if connection.vendor == "sqlite":
        day_sql, updated_sql = "substr(a.created_at, 1, 10)", "CAST(a.updated_at AS TEXT)"
    else:
        day_sql = "to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        updated_sql = "a.updated_at"
    with connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(
                f"SELECT id, reference FROM {item_t} WHERE +project_id = %s AND id > %s "
                f"AND reference IS NOT NULL ORDER BY id LIMIT %s",
                [project.pk, last, _REPORT_PAGE],
            )
            page = cursor.fetchall()
            if not page:
                break
            for item_id, ref in page:
                builder.add_reference(item_id, _json(ref))
            last = page[-1][0]
        last, seen, pages = 0, 0, 0
        while True:
            cursor.execute(
                f"SELECT a.id, a.item_id, u.username, a.imported_annotator, a.answer, "
                f"{day_sql}, {updated_sql} FROM {ann_t} a LEFT JOIN {user_t} u "
                f"ON u.id = a.annotator_id WHERE +a.project_id = %s AND a.id > %s "
                f"AND a.skipped = %s ORDER BY a.id LIMIT %s",
                [project.pk, last, False, _REPORT_PAGE],
            )
            page = cursor.fetchall()
            if not page:
                break
            for pk, item_id, username, imported, answer, day, updated in page:
                digest.update(f"{pk}\t{_utc_iso(updated)}\n".encode())
                builder.add(item_id, username or imported or "?", _json(answer), day)
            last = page[-1][0]
            seen += len(page)
            pages += 1
            if pages % 20 == 0:
                rep.set_progress(0.8 * seen / total, f"Read {seen:,} annotations")
    return digest.hexdigest()


def _utc_iso(value) -> str:
    """A timestamp as datetime.isoformat() of the UTC time. SQLite hands back Django's
    stored UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]") when cast to text, which maps to the
    same string with a replace; PostgreSQL gives aware datetimes. Either way the digest is
    the same on both databases."""
    if isinstance(value, str):
        return value.replace(" ", "T", 1) + "+00:00"
    if value.tzinfo is None:  # SQLite through the ORM: naive UTC
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()


def compute_agreement_report(*, report_id: int) -> AgreementReport:
    """Worker entry point: read, compute, and store the figures and per-item scores in one
    transaction (a failed report has no per-item rows)."""
    with transaction.atomic():
        rep = (
            AgreementReport.objects.select_for_update().select_related("project").get(pk=report_id)
        )
        if rep.status != AgreementReport.Status.QUEUED:
            return rep
        rep.start_run("Reading annotations")
    try:
        builder = report.ReportBuilder(
            _specs_of(rep),
            dawid_skene=rep.project.final_label_rule == Project.FinalLabelRule.DAWID_SKENE,
        )
        rep.digest = _read_report_input(rep, builder)
        rep.set_progress(0.8, "Computing agreement")
        out = builder.finish()
    except Exception as exc:  # noqa: BLE001 - the report must record any failure for the user
        logger.exception("agreement report %s failed", rep.pk)
        failed = rep.fail(f"The computation stopped: {type(exc).__name__}: {exc}", save=False)
        rep.save(update_fields=[*failed, "digest"])
        return rep
    rows = [
        (rep.pk, item_id, name, score, n)
        for name, items in out["per_item"].items()
        for item_id, (score, n) in items.items()
    ]
    res = out["results"]
    rep.results = res
    rep.item_count = res["item_count"]
    rep.annotation_count = res["annotation_count"]
    summary = f"{rep.annotation_count:,} annotations on {rep.item_count:,} items"
    done = rep.finish(summary, save=False)
    rep.computed_at = rep.finished_at
    with transaction.atomic():
        _insert_item_agreements(rows)
        rep.save(
            update_fields=[
                *done, "results", "item_count", "annotation_count", "computed_at", "digest",
            ]
        )  # fmt: skip
    return rep


def _insert_item_agreements(rows: list[tuple]) -> None:
    """executemany rather than bulk_create: building 250,000 model instances and their
    INSERT SQL took 30 s of a report over 1,000,000 annotations (bench_agreement_service)."""
    from django.db import connection

    t = ItemAgreement._meta.db_table
    sql = (
        f"INSERT INTO {t} (report_id, item_id, field, score, n_annotators) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start : start + 10_000])


def latest_agreement_report(project: Project) -> AgreementReport | None:
    return (
        AgreementReport.objects.filter(project=project, status=AgreementReport.Status.DONE)
        .order_by("-computed_at", "-id")
        .first()
    )


def reference_accuracy(*, report: AgreementReport | None, username: str) -> dict:
    """Accuracy on reference items (every item whose `reference` answer is set, gold or
    not) from a report, with its Wilson interval. Accuracy on gold items alone, with the
    project's pass/fail rule, is `scorecard_gold`."""
    from trainerdesk.quality import metrics

    if report is None:
        return {"available": False, "reason": "not enough data: no agreement report yet"}
    ref = report.results.get("reference", {})
    if not ref.get("items_with_reference"):
        return {"available": False, "reason": "not available: the project has no reference items"}
    row = ref.get("per_annotator", {}).get(username)
    if not row or not row["n"]:
        return {"available": False, "reason": "not enough data: no reference item answered"}
    interval = metrics.wilson_interval(row["correct"], row["n"])
    return {
        "available": True,
        "label": "accuracy on reference items",
        "correct": row["correct"],
        "n": row["n"],
        "accuracy": row["correct"] / row["n"],
        "low": interval.low,
        "high": interval.high,
    }


def review_acceptance(*, project: Project, annotator) -> dict:
    """How reviewers judged this annotator's answers: the latest decision on each reviewed
    annotation (accepted / fixed / rejected), plus rejections sent back (their annotation
    is gone, the review keeps it), with the acceptance rate's 95% Wilson interval."""
    from trainerdesk.quality import metrics

    mine = Review.objects.filter(project=project, annotator=annotator)
    counts = dict(
        mine.latest_per_annotation()
        .values("decision")
        .annotate(n=models.Count("id"))
        .values_list("decision", "n")
    )
    sent_back = mine.filter(annotation__isnull=True, sent_back=True).count()
    accepted = counts.get(Review.Decision.ACCEPTED, 0)
    fixed = counts.get(Review.Decision.FIXED, 0)
    rejected = counts.get(Review.Decision.REJECTED, 0) + sent_back
    n = accepted + fixed + rejected
    if not n:
        return {"available": False, "reason": "not enough data: none of their answers reviewed"}
    interval = metrics.wilson_interval(accepted, n)
    return {
        "available": True,
        "reviewed": n,
        "accepted": accepted,
        "fixed": fixed,
        "rejected": rejected,
        "rate": accepted / n,
        "low": interval.low,
        "high": interval.high,
    }


def scorecard_gold(*, project: Project, annotator, until, live: bool = True) -> dict:
    """The annotator's accuracy on gold items answered before `until` (so a recorded
    scorecard can be recomputed), with the project's pass/fail rule. live=False (an
    annotator looking at their own): only what own_gold_accuracy lets them see."""
    if not live:
        own = own_gold_accuracy(project=project, annotator=annotator)
        if own.verdict is None:
            return {"available": False, "reason": "not available yet: recorded by a manager"}
        when = f" (recorded {own.recorded_at:%Y-%m-%d %H:%M})" if own.recorded_at else ""
        verdict = own.verdict.as_dict()
        return {"available": True, **verdict, "reason": verdict["reason"] + when}
    report = gold_accuracy(project=project, until=until, annotator_ids=[annotator.pk])
    if not report.gold_items:
        return {"available": False, "reason": "not available: the project has no gold items"}
    row = next((r for r in report.annotators if r.annotator_id == annotator.pk), None)
    if row is None:
        return {
            "available": False,
            "reason": f"not enough data: no gold item answered (0 of {project.gold_min_items})",
        }
    return {"available": True, **row.verdict.as_dict(), "digest": row.digest}


def _peer_agreement(report: AgreementReport | None, username: str) -> dict:
    """From the report: the mean Cohen's kappa and percent agreement over the annotator
    pairs involving this annotator, per field (pairs without a value are left out)."""
    if report is None:
        return {}
    out = {}
    for name, res in report.results.get("fields", {}).items():
        groups = [res] if "pairs" in res else list(res.get("criteria", {}).values())
        kappas, percents = [], []
        for g in groups:
            for p in g.get("pairs", []):
                if username in (p["a"], p["b"]):
                    if p.get("kappa") is not None:
                        kappas.append(p["kappa"])
                    if p.get("percent_agreement") is not None:
                        percents.append(p["percent_agreement"])
        out[name] = {
            "mean_kappa": sum(kappas) / len(kappas) if kappas else None,
            "mean_percent_agreement": sum(percents) / len(percents) if percents else None,
            "pairs": len(kappas),
            "reason": None if kappas else "not enough data: no annotator pair with a kappa",
        }
    return out


def build_scorecard(*, project: Project, annotator, weeks: int = 8, live_gold: bool = True) -> dict:
    """The scorecard's numbers for one annotator, and the digest of their annotations."""
    from trainerdesk.workbench.models import Annotation

    mine = Annotation.objects.filter(project=project, annotator=annotator)
    username = annotator.get_username()
    now = timezone.now()
    this_week = (now - timedelta(days=now.weekday())).date()
    week_keys = [(this_week - timedelta(weeks=k)).isoformat() for k in range(weeks - 1, -1, -1)]
    digest = hashlib.sha256()
    done = skipped = 0
    weekly_done = dict.fromkeys(week_keys, 0)
    for pk, updated, created, skip in mine.order_by("id").values_list(
        "id", "updated_at", "created_at", "skipped"
    ):
        digest.update(f"{pk}\t{_utc_iso(updated)}\n".encode())
        if skip:
            skipped += 1
            continue
        done += 1
        key = report.week_of(created)
        if key in weekly_done:
            weekly_done[key] += 1
    rep = latest_agreement_report(project)
    majority = (
        (rep.results.get("reference", {}) if rep else {})
        .get("agreement_with_majority_weekly", {})
        .get(username, {})
    )
    trend = [
        {
            "week": w,
            "done": weekly_done[w],
            "agreement_with_majority": (majority[w]["agree"] / majority[w]["n"])
            if w in majority and majority[w]["n"]
            else None,
        }
        for w in week_keys
    ]
    lead = mine.filter(skipped=False).median_lead_time()
    return {
        "annotator": username,
        "items_done": done,
        "items_skipped": skipped,
        "median_lead_time": lead,
        "peer_agreement": _peer_agreement(rep, username),
        "reference_accuracy": reference_accuracy(report=rep, username=username),
        "gold_accuracy": scorecard_gold(
            project=project, annotator=annotator, until=now, live=live_gold
        ),
        "review_acceptance": review_acceptance(project=project, annotator=annotator),
        "trend": trend,
        "report": {"id": rep.pk, "computed_at": rep.computed_at.isoformat(), "digest": rep.digest}
        if rep
        else None,
        "digest": digest.hexdigest(),
        "computed_at": now.isoformat(),
    }


def record_scorecard(*, project: Project, annotator, by, live_gold: bool = True) -> Scorecard:
    """Store the scorecard as computed now, so its numbers can be shown and checked later."""
    data = build_scorecard(project=project, annotator=annotator, live_gold=live_gold)
    with transaction.atomic():
        return Scorecard.objects.create(
            project=project,
            annotator=annotator,
            recorded_by=by,
            report_id=(data["report"] or {}).get("id"),
            digest=data["digest"],
            data=data,
        )
