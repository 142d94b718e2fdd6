"""Label-error detection runs: starting one, the worker's run, deciding on a flagged item."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality.models import (
    LabelErrorFinding,
    LabelErrorRun,
)
from trainerdesk.workbench import runs
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

# NumPy-backed modules, loaded when a quality computation first runs (lib/lazy.py says why).
label_errors = lazy_module("trainerdesk.quality.label_errors")

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
        audit.record(
            action="quality.label_error_run.create",
            obj=run,
            project=project,
            changes={"field_name": run.field_name, "parameters": run.parameters},
            by=by,
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
    return lines_digest((pk, classes[label]) for pk, label in zip(ids, labels, strict=True))


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
        runs.announce_finished(run)
        _record_finish(run)
    return run


def _record_finish(run: LabelErrorRun) -> None:
    # The worker's event: its actor is the task (quality/tasks.py, audit.acting_as).
    audit.record(
        action="quality.label_error_run.finish",
        obj=run,
        project=run.project,
        changes={
            "status": run.status,
            "items_considered": run.items_considered,
            "issues_found": run.issues_found,
            "items_sha256": run.items_digest,
        },
    )


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
        _record_finish(run)
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
        before = audit.snapshot(locked, ["status", "corrected_label"])
        locked.status = decision
        locked.corrected_label = corrected
        open_again = decision == Status.OPEN
        locked.decided_by = None if open_again else by
        locked.decided_at = None if open_again else timezone.now()
        locked.save(update_fields=["status", "corrected_label", "decided_by", "decided_at"])
        audit.record(
            action="quality.label_error.decide",
            obj=locked,
            project=finding.run.project,
            changes={
                **audit.changed_fields(before, locked, ["status", "corrected_label"]),
                "run_id": finding.run_id,
            },
            by=by,
        )
    finding.status, finding.corrected_label = locked.status, locked.corrected_label
    finding.decided_by, finding.decided_at = locked.decided_by, locked.decided_at
    return finding
