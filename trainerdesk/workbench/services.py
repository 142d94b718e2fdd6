"""Workbench workflows: projects, import, the annotation queue, export.

Every function that changes several rows runs in one transaction and keeps the queue
bookkeeping on Item (done_count, leased_count, available) in step with the annotations
and leases, so "next item" stays a single indexed lookup at any project size.
"""

from __future__ import annotations

import io
import logging
import math
import os
import random
import re
import time
import uuid
from bisect import insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.fields.json import KeyTransform
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from trainerdesk.lib import webhooks
from trainerdesk.lib.gcpause import gc_paused
from trainerdesk.lib.jsonutil import content_hash, dumps
from trainerdesk.workbench import access, blind, formats, images, runs, visibility
from trainerdesk.workbench.models import (
    Annotation,
    Comment,
    GuidelineVersion,
    ImageAsset,
    ImportJob,
    Item,
    Lease,
    Notification,
    Prediction,
    Project,
    ProjectMember,
    Webhook,
    WebhookDelivery,
)
from trainerdesk.workbench.schema import AnswerError, SchemaError, parse_schema

logger = logging.getLogger(__name__)


class WorkbenchError(Exception):
    """A refused request; the message is shown to the user as is."""


class ConflictError(WorkbenchError):
    pass


class InvalidInput(WorkbenchError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


# --- projects --------------------------------------------------------------------------


def _validated_schema(schema: Any) -> dict:
    try:
        return parse_schema(schema).to_dict()
    except SchemaError as exc:
        raise InvalidInput([f"label_schema.{e}" for e in exc.errors]) from None


def create_project(
    *,
    organization,
    created_by,
    name: str,
    label_schema: Any,
    instructions: str = "",
    description: str = "",
    overlap: int = 1,
    ordering: str = Project.Ordering.SEQUENTIAL,
    annotators_see_others: bool = False,
    blind_order: bool = True,
    annotator_fields: list[str] | None = None,
    annotators_see_external_id: bool = False,
) -> Project:
    if overlap < 1:
        raise InvalidInput(["overlap: must be at least 1"])
    annotator_fields = _annotator_fields(annotator_fields or [])
    with transaction.atomic():
        project = Project.objects.create(
            organization=organization,
            created_by=created_by,
            name=name,
            description=description,
            instructions=instructions,
            label_schema=_validated_schema(label_schema),
            overlap=overlap,
            ordering=ordering,
            annotators_see_others=annotators_see_others,
            blind_order=blind_order,
            annotator_fields=annotator_fields,
            annotators_see_external_id=annotators_see_external_id,
        )
        GuidelineVersion.objects.create(
            project=project, version=1, text=instructions, created_by=created_by
        )
    return project


def _annotator_fields(value: Any) -> list[str]:
    try:
        return visibility.clean_annotator_fields(value)
    except ValueError as exc:
        raise InvalidInput([f"annotator_fields: {exc}"]) from None


def update_project(*, project: Project, by, **changes: Any) -> Project:
    """Apply settings changes. New instructions become a new guideline version; a new
    overlap re-opens or closes items for the queue; a schema change is validated."""
    allowed = {
        "name",
        "description",
        "instructions",
        "label_schema",
        "overlap",
        "ordering",
        "annotators_see_others",
        "blind_order",
        "annotators_see_comments",
        "final_label_rule",
        "annotator_fields",
        "annotators_see_external_id",
        *GOLD_SETTINGS,
    }
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput([f"{key}: not a project setting" for key in sorted(unknown)])
    if "label_schema" in changes:
        changes["label_schema"] = _validated_schema(changes["label_schema"])
    if "overlap" in changes and changes["overlap"] < 1:
        raise InvalidInput(["overlap: must be at least 1"])
    if "annotator_fields" in changes:
        changes["annotator_fields"] = _annotator_fields(changes["annotator_fields"])
    rules = Project.FinalLabelRule.values
    if "final_label_rule" in changes and changes["final_label_rule"] not in rules:
        raise InvalidInput([f"final_label_rule: must be one of {', '.join(rules)}"])
    if gold_errors := _gold_setting_errors(changes):
        raise InvalidInput(gold_errors)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        updated = [key for key, value in changes.items() if getattr(project, key) != value]
        for key in updated:
            setattr(project, key, changes[key])
        if "instructions" in updated:
            project.guideline_version += 1
            GuidelineVersion.objects.create(
                project=project,
                version=project.guideline_version,
                text=project.instructions,
                created_by=by,
            )
            updated.append("guideline_version")
        if not updated:
            return project
        project.updated_at = timezone.now()
        project.save(update_fields=[*updated, "updated_at"])
        if "ordering" in updated:
            project.items.update(queue_rank=project.queue_rank_expression())
        if "overlap" in updated:
            _shift_counters(overlap=project.overlap, project_id=project.pk)
    project.__dict__.pop("schema", None)
    return project


def set_project_member(*, project: Project, user, role: str, by) -> ProjectMember:
    if role not in ProjectMember.Role.values:
        raise InvalidInput([f"role: {role!r} is not one of {', '.join(ProjectMember.Role.values)}"])
    if project.organization.role_of(user) is None:
        raise InvalidInput([f"user: {user.get_username()} is not in {project.organization}"])
    member, _ = ProjectMember.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return member


def remove_project_member(*, project: Project, user, by) -> None:
    with transaction.atomic():
        ProjectMember.objects.filter(project=project, user=user).delete()
        # Their assigned items go back to the shared queue instead of waiting for nobody.
        Item.objects.filter(project=project, assignee=user).update(assignee=None)
        for lease_id, item_id in Lease.objects.filter(project=project, annotator=user).values_list(
            "id", "item_id"
        ):
            _drop_lease(lease_id=lease_id, item_id=item_id, overlap=project.overlap)


def set_priority(*, project: Project, item_ids: list[int], priority: int) -> int:
    """Give items a new priority; under priority ordering their queue place moves too."""
    items = project.items.filter(pk__in=item_ids)
    with transaction.atomic():
        updated = items.update(priority=priority)
        items.update(queue_rank=project.queue_rank_expression())
    return updated


# --- import ----------------------------------------------------------------------------


@dataclass
class BatchResult:
    added: int = 0
    duplicates: int = 0
    annotations: int = 0
    # Row errors in line order; error_count counts them all. A whole file's result keeps
    # only the first `keep` by line (a file of millions of bad rows must not hold them
    # all in memory); one batch or API call (bounded in size) keeps them all.
    errors: list[formats.RowError] = field(default_factory=list)
    error_count: int = 0
    keep: int | None = None
    # What rows left out on purpose: message -> [rows, first line]; each shown once.
    notes: dict[str, list[int]] = field(default_factory=dict)

    def add_error(self, error: formats.RowError) -> None:
        self.error_count += 1
        errors = self.errors
        if self.keep is None or len(errors) < self.keep:
            insort(errors, error, key=_error_line)
        elif error.line < errors[-1].line:
            insort(errors, error, key=_error_line)
            errors.pop()

    def merge(self, other: BatchResult) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.annotations += other.annotations
        for error in other.errors:
            self.add_error(error)
        self.error_count += other.error_count - len(other.errors)
        for message, (n, first) in other.notes.items():
            mine = self.notes.setdefault(message, [0, first])
            mine[0] += n
            mine[1] = min(mine[1], first)

    def note(self, row: formats.Row) -> None:
        for message in row.warnings:
            self.notes.setdefault(message, [0, row.line])[0] += 1

    @property
    def warnings(self) -> list[str]:
        return [f"{m} ({n:,} row(s), first at row {first})" for m, (n, first) in self.notes.items()]


def _error_line(error: formats.RowError) -> int:
    return error.line


def _annotation_rows(project: Project, row: formats.Row) -> list[dict]:
    """Validate the annotations a row carries; raise AnswerError naming the first bad one."""
    validated = []
    for index, annotation in enumerate(row.annotations):
        skipped = bool(annotation.get("skipped"))
        try:
            answer = (
                {} if skipped else project.schema.validate_answer(annotation["answer"], row.data)
            )
        except AnswerError as exc:
            raise AnswerError([f"annotations[{index}].answer.{e}" for e in exc.errors]) from None
        validated.append({**annotation, "answer": answer, "skipped": skipped})
    return validated


def _parse_time(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return timezone.now()
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return timezone.now()


def import_batch(
    *, project: Project, rows: list[formats.Row], job: ImportJob | None = None
) -> BatchResult:
    """Insert one batch of parsed rows in one transaction.

    Rows whose data is already in the project (same content hash) are counted as
    duplicates and not touched, so re-running an import adds nothing twice.
    """
    result = BatchResult()
    schema = project.schema
    # Adapted once for the raw insert instead of once per row by the driver.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fresh: dict[str, tuple[formats.Row, list[dict], str]] = {}
    keys = image_keys(schema)
    image_refs = _ImageRefCheck(project, rows, keys) if keys else None
    for row in rows:
        problems = schema.validate_item(row.data)
        if image_refs and not problems:
            problems = image_refs.problems(row.data)
        reference = row.reference
        if not problems and reference is not None:
            try:
                reference = schema.validate_answer(reference, row.data)
            except AnswerError as exc:
                problems = [f"reference.{e}" for e in exc.errors]
        if not problems and row.gold and reference is None:
            problems = ['field "reference": a gold row needs its reference answer']
        if not problems and row.predictions:
            problems = _prediction_problems(schema, row)
        annotations: list[dict] = []
        if not problems and row.annotations:
            try:
                annotations = _annotation_rows(project, row)
            except AnswerError as exc:
                problems = exc.errors
        encoded = dumps(row.data)
        if "\\u0000" in encoded:
            # PostgreSQL's jsonb cannot store NUL; refuse it on every database alike.
            problems.append("data: contains a NUL character (\\u0000), which cannot be stored")
        if problems:
            result.add_error(formats.RowError(row.line, "; ".join(problems)))
            continue
        row.reference = reference
        digest = content_hash(row.data)
        if digest in fresh:
            result.duplicates += 1
        else:
            fresh[digest] = (row, annotations, encoded)

    with transaction.atomic():
        # Only rows that bring annotations need to know whether their item is new (an
        # existing item must not get them twice); plain rows rely on ON CONFLICT.
        carrying = {d: t for d, t in fresh.items() if t[0].annotations or t[0].predictions}
        known = (
            set(
                Item.objects.filter(project=project, content_hash__in=list(carrying)).values_list(
                    "content_hash", flat=True
                )
            )
            if carrying
            else set()
        )
        project_id, job_id, rank_of = project.pk, job.pk if job else None, project.queue_rank
        params = []
        for digest, (row, _annotations, encoded) in fresh.items():
            random_key = random.getrandbits(62)
            reference = None if row.reference is None else dumps(row.reference)
            rank = rank_of(priority=row.priority, random_key=random_key)
            # Gold items never enter the shared queue (see next_item): not available.
            params.append(
                (project_id, row.external_id, encoded, digest, row.priority, random_key, rank,
                 reference, job_id, now, row.gold, row.gold_explanation, not row.gold)
            )  # fmt: skip
        result.added = _bulk_insert_items(params)
        if result.added and settings.SEARCH_INDEX_INLINE:
            index_pending_items()  # see schedule_search_indexing
        result.duplicates += len(fresh) - result.added
        carrying = {d: t for d, t in carrying.items() if d not in known}
        if carrying:
            ids = dict(
                Item.objects.filter(project=project, content_hash__in=list(carrying)).values_list(
                    "content_hash", "id"
                )
            )
            result.annotations = _insert_carried(project, carrying, ids)
    return result


def _bulk_insert_items(params: list[tuple]) -> int:
    """Insert item rows, skipping content already in the project; return how many were new.

    A raw executemany instead of bulk_create: building 100k model instances costs more
    than the insert itself, and the import target (100k items in 1.5 s) leaves no room.
    Queue counters are left to their database defaults.
    """
    table = Item._meta.db_table
    json = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = (
        f"INSERT INTO {table} (project_id, external_id, data, content_hash, priority, "
        "random_key, queue_rank, reference, import_job_id, created_at, is_gold, "
        "gold_explanation, available) "
        f"VALUES (%s, %s, %s{json}, %s, %s, %s, %s, %s{json}, %s, %s, %s, %s, %s) "
        "ON CONFLICT (project_id, content_hash) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount


def _insert_carried(project: Project, carrying: dict, ids: dict[str, int]) -> int:
    annotations, predictions = [], []
    for digest, (row, validated, _encoded) in carrying.items():
        item_id = ids[digest]
        for annotation in validated:
            created = _parse_time(annotation.get("created_at"))
            annotations.append(
                Annotation(
                    project=project,
                    item_id=item_id,
                    imported_annotator=str(annotation.get("annotator") or "")[:255],
                    answer=annotation["answer"],
                    skipped=annotation["skipped"],
                    guideline_version=project.guideline_version,
                    lead_time=annotation.get("lead_time"),
                    origin=Annotation.Origin.IMPORT,
                    created_at=created,
                    updated_at=created,
                )
            )
        for prediction in row.predictions:
            predictions.append(
                Prediction(
                    item_id=item_id,
                    model_version=str(prediction.get("model_version") or "")[:255],
                    answer=prediction.get("answer") or {},
                    score=prediction.get("score"),
                )
            )
    Annotation.objects.bulk_create(annotations, batch_size=1000)
    Prediction.objects.bulk_create(predictions, batch_size=1000)
    # Imported answers count toward the overlap: items with the same counts are updated
    # together, one statement per distinct (answered, skipped) pair.
    by_counts: dict[tuple[int, int], list[int]] = {}
    for digest, (_row, validated, _encoded) in carrying.items():
        done = sum(1 for a in validated if not a["skipped"])
        if validated:
            by_counts.setdefault((done, len(validated) - done), []).append(ids[digest])
    for (done, skipped), item_ids in by_counts.items():
        Item.objects.filter(pk__in=item_ids).update(
            done_count=done, skip_count=skipped, available=done < project.overlap
        )
        Item.objects.filter(pk__in=item_ids, is_gold=True).update(available=False)
    return len(annotations)


def _prediction_problems(schema, row: formats.Row) -> list[str]:
    """Predictions are checked like answers (but may be partial) so a suggestion shown on
    the annotation page always fits the schema; a bad one rejects its row by field."""
    for i, prediction in enumerate(row.predictions):
        try:
            prediction["answer"] = schema.validate_prediction(prediction["answer"], row.data)
        except AnswerError as exc:
            return [f"predictions[{i}].answer.{e}" for e in exc.errors]
    return []


def add_prediction(
    *,
    project: Project,
    item: Item,
    answer: Any,
    model_version: str = "",
    score: float | None = None,
) -> Prediction:
    """Store a model's prediction on an item; shown to annotators as a suggestion."""
    try:
        answer = project.schema.validate_prediction(answer, item.data)
    except AnswerError as exc:
        raise InvalidInput([f"answer.{e}" for e in exc.errors]) from None
    if score is not None and not math.isfinite(score):
        raise InvalidInput(["score: must be a finite number"])
    return Prediction.objects.create(
        item=item, model_version=model_version[:255], answer=answer, score=score
    )


def check_upload(*, name: str, size: int) -> str:
    """Return the import format of an upload, or raise naming what is wrong with it."""
    if size > settings.MAX_UPLOAD_BYTES:
        raise InvalidInput(
            [
                f"file: {name} is {filesizeformat(size)}, over the "
                f"{filesizeformat(settings.MAX_UPLOAD_BYTES)} upload limit"
            ]
        )
    if size == 0:
        raise InvalidInput([f"file: {name} is empty"])
    try:
        return formats.detect_format(name)
    except formats.FormatError as exc:
        raise InvalidInput([f"file: {exc}"]) from None


def start_import(*, project: Project, upload: UploadedFile, by) -> ImportJob:
    """Store the upload and queue it for the worker (large files never parse in a request)."""
    from trainerdesk.workbench.tasks import run_import_task

    fmt = check_upload(name=upload.name or "upload", size=upload.size or 0)
    job = ImportJob(
        project=project,
        created_by=by,
        original_name=(upload.name or "upload")[:255],
        format=fmt,
        size_bytes=upload.size or 0,
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: run_import_task.enqueue(job_id=job.pk))
    return job


class _CountingReader:
    """Wraps a binary file to report how many bytes the parser has consumed."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.consumed += len(chunk)
        return chunk

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readline(self, size: int = -1) -> bytes:
        line = self.raw.readline(size)
        self.consumed += len(line)
        return line

    def __iter__(self) -> Iterator[bytes]:
        for line in self.raw:
            self.consumed += len(line)
            yield line

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self.raw.closed


def import_stream(
    *,
    project: Project,
    fp: BinaryIO,
    fmt: str,
    job: ImportJob | None = None,
    on_progress=None,
) -> BatchResult:
    """Parse a file as a stream and insert it batch by batch.

    Each batch commits on its own: a crash or a broken file keeps the batches before it
    and leaves nothing of the failing one.
    """
    total = BatchResult(keep=ImportJob.MAX_STORED_ERRORS)
    reader = _CountingReader(fp)
    batch: list[formats.Row] = []
    batch_size = settings.IMPORT_BATCH_SIZE

    def flush() -> None:
        if batch:
            total.merge(import_batch(project=project, rows=batch, job=job))
            batch.clear()
        if on_progress:
            on_progress(total, reader.consumed)

    rows = formats.read_items(
        reader, fmt, fields=project.label_schema["fields"], max_item_bytes=settings.MAX_ITEM_BYTES
    )
    read = 0
    with gc_paused():
        try:
            for row in rows:
                if isinstance(row, formats.RowError):
                    total.add_error(row)
                else:
                    if row.warnings:
                        total.note(row)
                    batch.append(row)
                read += 1
                # Counted in rows read, not rows kept, so a long run of bad rows still
                # reports progress (and the job's heartbeat).
                if read >= batch_size:
                    flush()
                    read = 0
        except formats.FormatError:
            flush()  # the rows before the break are whole: keep them
            raise
        flush()
    if total.added:
        schedule_search_indexing()
    return total


def run_import(*, job_id: int) -> ImportJob:
    """Worker entry point: process a stored upload, reporting progress on the job row."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("project").get(pk=job_id)
        if job.status != ImportJob.Status.QUEUED:
            return job  # another worker took it, or a retry of a finished job
        job.start_run()
    project = job.project
    rows_seen = 0

    def progress(total: BatchResult, consumed: int) -> None:
        nonlocal rows_seen
        job.processed_bytes = consumed
        job.items_added = total.added
        job.duplicates = total.duplicates
        job.annotations_added = total.annotations
        job.error_count = total.error_count
        job.errors = [{"line": e.line, "message": e.message} for e in total.errors]
        job.rows_read = total.added + total.duplicates + total.error_count
        job.warnings = total.warnings
        rows_seen = job.rows_read
        job.save(
            update_fields=[
                *job.set_progress(consumed / job.size_bytes if job.size_bytes else 0, save=False),
                "processed_bytes",
                "items_added",
                "duplicates",
                "annotations_added",
                "error_count",
                "errors",
                "rows_read",
                "warnings",
            ]
        )

    try:
        with job.file.open("rb") as fp:
            import_stream(project=project, fp=fp, fmt=job.format, job=job, on_progress=progress)
    except formats.FormatError as exc:
        job.status = ImportJob.Status.FAILED
        job.message = f"{job.original_name}: {exc}"
        if job.items_added or job.duplicates:
            # e.g. a file cut short: what was read before the problem is kept, say so.
            job.message = (
                f"{job.original_name}: {job.items_added + job.duplicates:,} rows imported, "
                f"then {exc}; import the rest again — duplicates are skipped"
            )
    except Exception as exc:  # noqa: BLE001 - the job must record any failure for the user
        job.status = ImportJob.Status.FAILED
        job.message = f"{job.original_name}: import stopped after {rows_seen} rows: {exc}"
    except (KeyboardInterrupt, SystemExit):
        # The worker told to stop at once (a second Ctrl-C or SIGTERM): record it, then go.
        job.status = ImportJob.Status.FAILED
        job.message = (
            f"{job.original_name}: the worker was stopped during the import, after "
            f"{job.items_added + job.duplicates:,} rows were imported; import the file "
            "again — rows already imported are skipped"
        )
        _finish_import(job)
        raise
    else:
        job.status = ImportJob.Status.DONE
        job.processed_bytes = job.size_bytes
    _finish_import(job)
    return job


def _finish_import(job: ImportJob) -> None:
    # run_import's branches chose the status and message; finish()/fail() stamp the rest.
    if job.status == ImportJob.Status.DONE:
        ended = job.finish(job.message, save=False)
    else:
        ended = job.fail(job.message, save=False)
    with transaction.atomic():
        job.save(update_fields=[*ended, "processed_bytes"])
        _announce_import(job)


def _announce_import(job: ImportJob) -> None:
    emit_event(
        project=job.project,
        event=Webhook.Event.IMPORT_FINISHED,
        data={
            "import": job.pk,
            "file": job.original_name,
            "status": job.status,
            "rows_read": job.rows_read,
            "items_added": job.items_added,
            "duplicates": job.duplicates,
            "annotations_added": job.annotations_added,
            "errors": job.error_count,
            "message": job.message,
        },
    )


runs.after_stale_failure(ImportJob, _announce_import)


# --- the annotation queue ----------------------------------------------------------------


def _shift_counters(
    *,
    overlap: int,
    item_id: int | None = None,
    project_id: int | None = None,
    done: int = 0,
    leased: int = 0,
    skipped: int = 0,
) -> None:
    """Shift the queue counters of one item (or of every item of a project) and recompute
    `available` in the same statement.

    SQL evaluates every SET expression against the old row, hence the deltas in the
    availability test. Raw SQL because this runs twice per annotation and the ORM's
    Case/When form took 1.05 ms to build against 0.06 ms to run this (measured).
    """
    column, key = ("id", item_id) if item_id is not None else ("project_id", project_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Item._meta.db_table} SET done_count = done_count + %s, "
            "leased_count = leased_count + %s, skip_count = skip_count + %s, "
            "available = (NOT is_gold AND done_count + leased_count + %s < %s) "
            f"WHERE {column} = %s",
            [done, leased, skipped, done + leased, overlap, key],
        )


def _drop_lease(*, lease_id: int, item_id: int, overlap: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Lease._meta.db_table} WHERE id = %s", [lease_id])
        deleted = cursor.rowcount
    if deleted:
        _shift_counters(overlap=overlap, item_id=item_id, leased=-1)


def _leases_of(*, project: Project, user, now: datetime) -> tuple[tuple[int, int] | None, int]:
    """Release the project's expired leases and find the user's live one, in one query.

    Returns ((lease id, item id) of the user's live lease or None, leases released).
    Raw SQL like the rest of the queue's hot path: the ORM's OR filter cost more to build
    than the whole statement takes to run.
    """
    at = connection.ops.adapt_datetimefield_value(now)
    user_id = user.pk if user is not None else None
    # PostgreSQL: skip leases another transaction is releasing right now.
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, item_id, expires_at <= %s FROM {Lease._meta.db_table} "
            f"WHERE project_id = %s AND (annotator_id = %s OR expires_at <= %s){lock}",
            [at, project.pk, user_id, at],
        )
        rows = cursor.fetchall()
    own, released = None, 0
    for lease_id, item_id, expired in rows:
        if expired:
            _drop_lease(lease_id=lease_id, item_id=item_id, overlap=project.overlap)
            released += 1
        else:
            own = (lease_id, item_id)
    return own, released


def release_expired_leases(*, project: Project, now: datetime | None = None) -> int:
    return _leases_of(project=project, user=None, now=now or timezone.now())[1]


def _lease_expiry(now: datetime) -> datetime:
    return now + timedelta(minutes=settings.LEASE_MINUTES)


def _first_open_item(*, project: Project, user) -> Item | None:
    """The first item in queue order that needs annotators and that the user has not
    answered or skipped, locked for this transaction: items assigned to the user come
    before the shared queue (unassigned items); items assigned to others never come.

    Raw SQL: the ORM's NOT EXISTS form took 1.95 ms to build against 0.2 ms for the whole
    query (measured), on the call every annotator makes for every item. The plain
    `available` test matches the partial queue index's condition on both databases, and
    each of the two lookups is one range of that index.
    """
    sql = (
        f"SELECT * FROM {Item._meta.db_table} i WHERE i.project_id = %s AND i.available "
        "AND i.assignee_id {} "
        f"AND NOT EXISTS (SELECT 1 FROM {Annotation._meta.db_table} a "
        "WHERE a.item_id = i.id AND a.annotator_id = %s) ORDER BY i.queue_rank, i.id LIMIT 1"
    )
    if connection.vendor == "postgresql":
        # Concurrent annotators each skip rows another transaction holds, instead of
        # queueing behind it and then finding it full.
        sql += " FOR UPDATE OF i SKIP LOCKED"
    for item in Item.objects.raw(sql.format("= %s"), [project.pk, user.pk, user.pk]):
        return item
    for item in Item.objects.raw(sql.format("IS NULL"), [project.pk, user.pk]):
        return item
    return None


# --- gold in the queue -------------------------------------------------------------------

# Whether this call serves gold is drawn from the OS's CSPRNG: annotators cannot predict it.
_gold_draw = random.SystemRandom()


def _first_gold_item(*, project: Project, user) -> Item | None:
    """The first gold item (by random key, fixed per item) the user has not answered or
    skipped. Gold items reach every annotator once, outside the overlap, so no lock and
    no `available` test: one range of the small partial item_gold index. Raw SQL like
    _first_open_item, which it mirrors."""
    sql = (
        f"SELECT * FROM {Item._meta.db_table} i WHERE i.project_id = %s AND i.is_gold "
        f"AND NOT EXISTS (SELECT 1 FROM {Annotation._meta.db_table} a "
        "WHERE a.item_id = i.id AND a.annotator_id = %s) ORDER BY i.random_key, i.id LIMIT 1"
    )
    for item in Item.objects.raw(sql, [project.pk, user.pk]):
        return item
    return None


def _pick_item(*, project: Project, user, rng: random.Random | None) -> Item | None:
    """With probability gold_rate the user's next unseen gold item, else the shared
    queue's; when either runs dry, the other (so the rate holds while both last, and
    gold still reaches people who finished the queue). gold_rate 0 costs nothing."""
    rate = project.gold_rate
    if rate <= 0:
        return _first_open_item(project=project, user=user)
    if (rng or _gold_draw).random() < rate:
        return _first_gold_item(project=project, user=user) or _first_open_item(
            project=project, user=user
        )
    return _first_open_item(project=project, user=user) or _first_gold_item(
        project=project, user=user
    )


# --- the queue's entry point -------------------------------------------------------------


def next_item(
    *, project: Project, user, now: datetime | None = None, rng: random.Random | None = None
) -> Item | None:
    """Hand the annotator their next item and lease it to them.

    Never an item they already answered or skipped, never more people on an item than
    the overlap, and the same item again while they hold its lease. The returned item
    carries `lease_expires_at`. Gold items are mixed in at the project's gold_rate (rng:
    a seeded random.Random for tests; the CSPRNG otherwise).
    """
    now = now or timezone.now()
    expires_at = _lease_expiry(now)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        own, _released = _leases_of(project=project, user=user, now=now)
        returned = None
        if own is not None or project.gold_rate > 0:
            # An answer a reviewer sent back comes first, before the item they hold (which
            # goes back to the queue: they asked for the next one) and before a gold draw.
            returned = _returned_item(project=project, user=user, other_than=own and own[1])
            if returned is not None and own is not None:
                _drop_lease(lease_id=own[0], item_id=own[1], overlap=project.overlap)
                own = None
        if own is not None:
            lease_id, item_id = own
            Lease.objects.filter(pk=lease_id).update(expires_at=expires_at)
            item = Item.objects.get(pk=item_id)
        else:
            item = returned or _pick_item(project=project, user=user, rng=rng)
            if item is None:
                return None
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {Lease._meta.db_table} "
                    "(project_id, item_id, annotator_id, created_at, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [project.pk, item.pk, user.pk, *map(adapt, (now, expires_at))],
                )
            _shift_counters(overlap=project.overlap, item_id=item.pk, leased=1)
    item.lease_expires_at = expires_at
    return item


def _returned_item(*, project: Project, user, other_than: int | None) -> Item | None:
    """The first item a reviewer sent back to the user that they have not answered again
    (withdraw_annotation assigned it to them)."""
    from trainerdesk.quality.models import Review  # the quality app builds on this one

    sent_back = Review.objects.filter(item=OuterRef("pk"), annotator=user, sent_back=True)
    answered = Annotation.objects.filter(item=OuterRef("pk"), annotator=user)
    mine = Item.objects.filter(project=project, assignee=user).filter(Exists(sent_back))
    mine = mine.exclude(Exists(answered))
    found = mine.filter(available=True).exclude(pk=other_than).order_by("queue_rank", "id").first()
    if found is not None and other_than is not None and mine.filter(pk=other_than).exists():
        return None  # the item they hold was sent back too: finish that one first
    return found


def lease_of(*, project: Project, user) -> Lease | None:
    return Lease.objects.filter(project=project, annotator=user).first()


@dataclass
class SubmitResult:
    annotation: Annotation
    created: bool


def submit_annotation(
    *,
    project: Project,
    item: Item,
    user,
    answer: Any = None,
    skipped: bool = False,
    skip_reason: str = "",
    lead_time: float | None = None,
    client_id: uuid.UUID | None = None,
    response_order: Any = None,
    require_lease: bool = False,
) -> SubmitResult:
    """Record (or change) the user's answer on an item.

    Idempotent by client_id: a retried request returns the first annotation. A second
    submit on an item the user already answered changes that answer in place. The answer
    is in the item's own response order; response_order records the order the responses
    were shown in (blind evaluation), a list or {data key: list}.

    require_lease (the annotation page and the API set it): a new answer or skip must be
    for an item leased or assigned to the user, so nobody answers, skips or reaches the
    comments of items the queue never gave them. A gold answer the user got feedback on
    cannot be changed (ConflictError), or feedback would let them try every label.
    """
    if lead_time is not None and not 0 <= lead_time <= 86400:
        raise InvalidInput(["lead_time: must be between 0 and 86400 seconds"])
    orders, order_errors = blind.check_orders(project.schema, item.data, response_order)
    if order_errors:
        raise InvalidInput(order_errors)
    if skipped:
        answer = {}
    else:
        try:
            answer = project.schema.validate_answer(answer, item.data)
        except AnswerError as exc:
            raise InvalidInput([f"answer.{e}" for e in exc.errors]) from None
    now = timezone.now()
    try:
        with transaction.atomic():
            return _record_answer(
                project=project,
                item=item,
                user=user,
                answer=answer,
                skipped=skipped,
                skip_reason=skip_reason[:500],
                lead_time=lead_time,
                client_id=client_id,
                now=now,
                response_order=blind.stored_form(orders),
                require_lease=require_lease,
            )
    except IntegrityError:
        # A concurrent retry of the same submission won the race: return its result.
        if client_id is not None:
            existing = Annotation.objects.filter(annotator=user, client_id=client_id).first()
            if existing is not None:
                return SubmitResult(existing, created=False)
        raise ConflictError("this item was answered concurrently; reload and try again") from None


def _record_answer(
    *,
    project,
    item,
    user,
    answer,
    skipped,
    skip_reason,
    lead_time,
    client_id,
    now,
    response_order,
    require_lease=False,
) -> SubmitResult:
    # Fresh counters under a row lock (PostgreSQL; SQLite's IMMEDIATE transaction already
    # holds the database). Raw, like the other statements of the queue's hot path.
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT done_count, leased_count FROM {Item._meta.db_table} WHERE id = %s{lock}",
            [item.pk],
        )
        done_count, leased_count = cursor.fetchone()
    locked = item
    # One query finds both a retried submission (same client_id) and an earlier answer.
    same = Q(item=locked) | Q(client_id=client_id) if client_id else Q(item=locked)
    mine = list(Annotation.objects.filter(same, annotator=user))
    retried = next((a for a in mine if client_id and a.client_id == client_id), None)
    if retried is not None:
        if retried.item_id != locked.pk:
            raise ConflictError(f"client_id {client_id} was already used for another item")
        return SubmitResult(retried, created=False)
    annotation = next((a for a in mine if a.item_id == locked.pk), None)
    gold_locked = locked.is_gold and project.gold_feedback
    if annotation is not None and gold_locked and not annotation.skipped:
        raise ConflictError(
            f"item {locked.pk} is a gold item and you were shown feedback on your answer:"
            " it can no longer be changed"
        )
    if annotation is not None:
        done_delta = int(annotation.skipped) - int(skipped)  # +1 skip→answer, -1 answer→skip
        annotation.answer = answer
        annotation.skipped = skipped
        annotation.skip_reason = skip_reason
        annotation.guideline_version = project.guideline_version
        annotation.updated_at = now
        annotation.response_order = response_order
        if lead_time is not None:
            annotation.lead_time = (annotation.lead_time or 0) + lead_time
        annotation.save(
            update_fields=[
                "answer",
                "skipped",
                "skip_reason",
                "guideline_version",
                "updated_at",
                "lead_time",
                "response_order",
            ]
        )
        if done_delta:
            _shift_counters(
                overlap=project.overlap, item_id=locked.pk, done=done_delta, skipped=-done_delta
            )
            if done_count < project.overlap <= done_count + done_delta:
                _emit_if_project_completed(project=project)
        return SubmitResult(annotation, created=False)

    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Lease._meta.db_table} WHERE item_id = %s AND annotator_id = %s",
            [locked.pk, user.pk],
        )
        deleted = cursor.rowcount
    leased_delta = -1 if deleted else 0
    if require_lease and not deleted and locked.assignee_id != user.pk:
        # Folded into the lease DELETE above: no query of its own on the hot path.
        raise ConflictError(
            f"item {locked.pk} is not leased to you (or your lease on it expired): "
            "ask for your next item"
        )
    full = done_count + leased_count >= project.overlap and not locked.is_gold
    if not deleted and not skipped and full:
        raise ConflictError(
            f"item {locked.pk} already has the {project.overlap} annotation(s) it needs"
            " (your lease on it expired); ask for the next item"
        )
    annotation = Annotation.objects.create(
        project=project,
        item=locked,
        annotator=user,
        answer=answer,
        skipped=skipped,
        skip_reason=skip_reason,
        guideline_version=project.guideline_version,
        lead_time=lead_time,
        client_id=client_id,
        response_order=response_order,
        created_at=now,
        updated_at=now,
    )
    _shift_counters(
        overlap=project.overlap,
        item_id=locked.pk,
        done=0 if skipped else 1,
        leased=leased_delta,
        skipped=int(skipped),
    )
    if not skipped and done_count + 1 == project.overlap:
        # Only at the item's completion (no query otherwise): was it the last one?
        _emit_if_project_completed(project=project)
    if locked.assignee_id is not None and locked.assignee_id == user.pk:
        # The assignee has done their part: what the item still needs comes from the
        # shared queue.
        Item.objects.filter(pk=locked.pk, assignee=user).update(assignee=None)
    return SubmitResult(annotation, created=True)


# --- progress and export -----------------------------------------------------------------


@dataclass
class Progress:
    total: int
    complete: int
    mine: int
    mine_today: int

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0


def project_progress(*, project: Project, user) -> Progress:
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Annotation.objects.filter(project=project, annotator=user, skipped=False)
    return Progress(
        total=project.items.count(),
        complete=project.items.complete(project.overlap).count(),
        mine=mine.count(),
        mine_today=mine.filter(created_at__gte=today).count(),
    )


def final_answers(
    *,
    project: Project,
    item_ids: Iterable[int],
    annotations: dict[int, list[dict]] | None = None,
) -> dict[int, dict | None]:
    """Each item's final answer under the project's final label rule, the one definition
    the export, the data manager, the item page and gold marking share (None: no final
    answer, e.g. nobody answered or the answers tie). See quality.finals.final_answers."""
    from trainerdesk.quality import finals  # the quality app builds on this one

    return finals.final_answers(project=project, item_ids=item_ids, annotations=annotations)


def _json(value: Any) -> Any:
    # Raw cursors hand JSON columns back as text on both databases.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _iso(value: Any) -> str:
    # SQLite hands back Django's UTC timestamps without an offset (as text or naive
    # datetimes); PostgreSQL gives aware datetimes. Exports always carry the offset.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def export_records(
    *,
    project: Project,
    only_labeled: bool = False,
    include_annotations: bool = True,
    include_final: bool = True,
    chunk_size: int = 2000,
    item_ids: list[int] | None = None,
) -> Iterator[dict]:
    """Yield one export record per item in id order, reading by keyset pages so memory
    stays flat however large the project is.

    Raw SQL rather than the ORM: per-row field converters (stdlib JSON, datetime parsing)
    and 2,000-id IN lists cost two thirds of the export time, and the target is 100k
    items in 3 s. Pages walk the primary key; annotations of a page are fetched by item-id
    range on the unique (item, annotator) index. The unary `+` on project_id keeps
    SQLite's planner off the project indexes, which would make it sort the whole project
    for every page.

    Each annotation carries its reviews ("reviews": decision, reviewer, reason, oldest
    first; one query per page), "final" is the answer under the project's final label
    rule (quality.services.FinalLabeler), and "returned" lists the answers reviewers sent
    back to their annotators.
    """
    from trainerdesk.quality import services as quality  # the quality app builds on this one

    labeler = quality.FinalLabeler(project) if include_final else None
    item_t, ann_t, pred_t = (
        Item._meta.db_table,
        Annotation._meta.db_table,
        Prediction._meta.db_table,
    )
    user_t = get_user_model()._meta.db_table
    labeled = "AND done_count > 0" if only_labeled else ""
    chosen: list[int] = []
    if item_ids is not None:
        # A selection from the data manager (a page of checkboxes, kept small by its view).
        chosen = sorted({int(pk) for pk in item_ids})
        if not chosen:
            return
        labeled += f" AND id IN ({', '.join(['%s'] * len(chosen))})"
    last_id = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, external_id, data, priority, reference FROM {item_t} "
                f"WHERE +project_id = %s AND id > %s {labeled} ORDER BY id LIMIT %s",
                [project.pk, last_id, *chosen, chunk_size],
            )
            page = cursor.fetchall()
            if not page:
                return
            first_id, last_id = page[0][0], page[-1][0]
            by_item: dict[int, list[dict]] = {}
            cursor.execute(
                f"SELECT a.item_id, a.id, u.username, a.imported_annotator, a.answer, "
                f"a.skipped, a.skip_reason, a.created_at, a.updated_at, a.lead_time, "
                f"a.guideline_version, a.response_order FROM {ann_t} a LEFT JOIN {user_t} u "
                f"ON u.id = a.annotator_id WHERE a.item_id BETWEEN %s AND %s "
                f"AND +a.project_id = %s ORDER BY a.item_id, a.created_at, a.id",
                [first_id, last_id, project.pk],
            )
            for (item_id, pk, username, imported, answer, skipped, reason, created, updated,
                 lead, version, shown) in cursor.fetchall():  # fmt: skip
                shown = _json(shown)  # blind evaluation: the order the responses were shown in
                by_item.setdefault(item_id, []).append(
                    {
                        "id": pk,
                        "annotator": username or imported or None,
                        "answer": _json(answer),
                        "skipped": bool(skipped),
                        "skip_reason": reason,
                        "created_at": _iso(created),
                        "updated_at": _iso(updated),
                        "lead_time": lead,
                        "guideline_version": version,
                    }
                    | ({"response_order": shown} if shown is not None else {})
                )
            reviews, returned = quality.reviews_of_page(
                cursor, project_id=project.pk, first_id=first_id, last_id=last_id
            )
            if reviews:
                for annotations_of in by_item.values():
                    for a in annotations_of:
                        if a["id"] in reviews:
                            a["reviews"] = reviews[a["id"]]
            predictions: dict[int, list[dict]] = {}
            cursor.execute(
                f"SELECT p.item_id, p.model_version, p.answer, p.score FROM {pred_t} p "
                f"JOIN {item_t} i ON i.id = p.item_id WHERE p.item_id BETWEEN %s AND %s "
                f"AND +i.project_id = %s ORDER BY p.id",
                [first_id, last_id, project.pk],
            )
            for item_id, model_version, answer, score in cursor.fetchall():
                predictions.setdefault(item_id, []).append(
                    {"model_version": model_version, "answer": _json(answer), "score": score}
                )
            for item_id, external_id, data, priority, reference in page:
                annotations_of = by_item.get(item_id, [])
                answers = [a["answer"] for a in annotations_of if not a["skipped"]]
                if only_labeled and not answers:
                    continue
                record = {
                    "id": item_id,
                    "external_id": external_id,
                    "data": _json(data),
                    "priority": priority,
                    "reference": _json(reference),
                    "final": labeler.final(item_id, annotations_of) if labeler else None,
                    "predictions": predictions.get(item_id, []),
                    "answered": len(answers),  # why COCO/CoNLL leave an item out
                }
                if include_annotations:
                    record["annotations"] = annotations_of
                    if item_id in returned:
                        record["returned"] = returned[item_id]
                yield record


def export_stream(
    *,
    project: Project,
    fmt: str,
    only_labeled: bool,
    include_annotations: bool,
    include_final: bool = True,
    left_out: list[dict] | None = None,
) -> Iterator[bytes]:
    """The export file's chunks. COCO and CoNLL write one answer per image/text: the
    final answer, or every annotation's when only annotations are asked for; items they
    leave out (no final answer, image size unknown) are appended to `left_out`."""
    every_annotation = include_annotations and not include_final
    records = export_records(
        project=project,
        only_labeled=only_labeled,
        include_annotations=include_annotations,
        include_final=include_final,
    )
    fields = project.label_schema["fields"]
    if fmt in ("coco", "labelstudio") and image_keys(project.schema):
        records = _image_sizes(project, records)  # pixel sizes, which only these two carry
    if fmt == "jsonl":
        return formats.write_jsonl(records, include_annotations=include_annotations)
    if fmt == "coco":
        boxes = [f for f in fields if f["type"] == "boxes"]
        if not boxes:
            raise InvalidInput(["format: COCO export needs a project with a boxes field"])
        return formats.write_coco(
            records,
            box_field=boxes[0]["name"],
            source=boxes[0]["source"],
            labels=[lb["value"] for lb in boxes[0]["labels"]],
            every_annotation=every_annotation,
            left_out=left_out,
        )
    if fmt == "labelstudio":
        if include_annotations:
            records = _with_emails(project, records)
        return formats.write_labelstudio(
            records, include_annotations=include_annotations, fields=fields
        )
    if fmt == "csv":
        return formats.write_csv(
            records,
            include_annotations=include_annotations,
            fields=fields,
            data_keys=data_keys(project=project),
            include_final=include_final,
        )
    if fmt == "conll":
        spans = [f for f in fields if f["type"] == "spans"]
        if not spans:
            raise InvalidInput(["format: CoNLL export needs a project with a spans field"])
        return formats.write_conll(
            records,
            span_field=spans[0]["name"],
            source=spans[0]["source"],
            every_annotation=every_annotation,
            left_out=left_out,
        )
    raise InvalidInput([f"format: {fmt!r} is not one of {', '.join(formats.EXPORT_FORMATS)}"])


def export_left_out(*, project: Project, fmt: str, labels: str = "final") -> list[dict]:
    """What a COCO or CoNLL export with these labels leaves out, with the reasons (the
    CoNLL file has nowhere to list them): the export is run and its bytes dropped, so the
    list is exactly the file's."""
    left_out: list[dict] = []
    for _chunk in export_stream(
        project=project,
        fmt=fmt,
        only_labeled=False,
        include_annotations=labels != "final",
        include_final=labels != "annotations",
        left_out=left_out,
    ):
        pass
    return left_out


def _with_emails(project: Project, records: Iterable[dict]) -> Iterator[dict]:
    """Adds each annotator's email, which Label Studio needs to match the annotation to a user
    (only that export carries emails; the others name annotators by username)."""
    annotators = Annotation.objects.filter(project=project).values("annotator_id")
    emails = dict(
        get_user_model()
        .objects.filter(id__in=annotators)
        .exclude(email="")
        .values_list("username", "email")
    )
    for rec in records:
        for a in rec.get("annotations") or ():
            if (email := emails.get(a.get("annotator"))) is not None:
                a["email"] = email
        yield rec


def data_keys(*, project: Project, sample: int = 1000) -> list[str]:
    """Data keys in first-seen order over the first items (CSV needs its header up front)."""
    keys: dict[str, None] = {}
    for data in project.items.order_by("id").values_list("data", flat=True)[:sample]:
        keys.update(dict.fromkeys(data))
    return list(keys)


def add_items(*, project: Project, items: Iterable[dict]) -> BatchResult:
    """Import a small list of items given as JSON (API), through the same validation."""
    rows = []
    errors = []
    for index, raw in enumerate(items, start=1):
        parsed = list(
            formats.read_items(
                io.BytesIO(orjson.dumps(raw)),
                "jsonl",
                fields=project.label_schema["fields"],
                max_item_bytes=settings.MAX_ITEM_BYTES,
            )
        )
        for row in parsed:
            row.line = index
            (errors if isinstance(row, formats.RowError) else rows).append(row)
    result = import_batch(project=project, rows=rows)
    if result.added:
        schedule_search_indexing()
    for error in errors:
        result.add_error(error)
    return result


# --- the data manager --------------------------------------------------------------------

MAX_SELECTION = 1000


@dataclass
class ItemRow:
    item: Item
    excerpt: str
    status: str
    answers: int
    final: dict | None
    annotators: list[str] = field(default_factory=list)
    data_values: list[str] = field(default_factory=list)


@dataclass
class ItemPage:
    rows: list[ItemRow]
    has_next: bool
    has_prev: bool


def _text_source(project: Project) -> str | None:
    for f in project.schema.fields:
        if f.data_kind == "text" and f.source:
            return f.source
    return None


def filtered_items(*, project: Project, filters, tzinfo=None, search: bool = True):
    """The project's items matching a parsed filters.ItemFilter (no order, no page);
    search=False leaves the text search out (item_page walks the index itself)."""
    from trainerdesk.workbench.filters import parse_meta_value

    if connection.vendor == "sqlite" and filters.sort in ("id", "-id"):
        # `project_id + 0` keeps SQLite's planner off the (project, done_count) index,
        # which would make it sort every item of the project for each page; walking the
        # primary key from the cursor reads only about one page of rows (as in export).
        qs = Item.objects.alias(
            _project=ExpressionWrapper(F("project_id") + 0, output_field=IntegerField())
        ).filter(_project=project.pk)
    else:
        qs = Item.objects.filter(project=project)
    if filters.status:
        qs = qs.with_status(filters.status, project.overlap)
    if filters.label:
        choice = [(f.name, f.multiple) for f in project.schema.fields if f.type == "choice"]
        qs = qs.with_label(filters.label, choice)
    if filters.annotator:
        qs = qs.annotated_by(filters.annotator)
    if filters.created_from or filters.created_to:
        tz = tzinfo or timezone.get_current_timezone()

        def start_of(day):
            return datetime(day.year, day.month, day.day, tzinfo=tz)

        qs = qs.created_between(
            start_of(filters.created_from) if filters.created_from else None,
            start_of(filters.created_to) + timedelta(days=1) if filters.created_to else None,
        )
    if filters.gold:
        qs = qs.filter(is_gold=filters.gold == "yes")
    if filters.meta_key:
        qs = qs.with_metadata(filters.meta_key, parse_meta_value(filters.meta_value))
    if filters.q and search:
        from trainerdesk.workbench.filters import SearchSyntaxError, parse_search

        try:
            qs = qs.matching_search(parse_search(filters.q))
        except SearchSyntaxError as exc:
            raise InvalidInput([f"q: {exc}"]) from None
    if filters.assignee:
        qs = qs.assigned_to(filters.assignee)
    if filters.agreement_below is not None:
        qs = qs.agreement_below(project, filters.agreement_below)
    return qs


def item_page(*, project: Project, filters, size: int = 50) -> ItemPage:
    """One keyset page of the data manager's table, with each item's answer count and
    majority answer (all from one annotation query for the page)."""
    walk = _search_walk_query(filters)
    qs = filtered_items(project=project, filters=filters, search=walk is None)
    key = filters.sort.lstrip("-")
    cursor_id = filters.after or filters.before
    backward = filters.before is not None
    cursor = None
    if cursor_id is not None:
        found = Item.objects.filter(project=project, pk=cursor_id).values_list(key, "id").first()
        if found is None:
            name = "before" if backward else "after"
            raise InvalidInput([f"{name}: item {cursor_id} is not in this project (deleted?)"])
        cursor = tuple(found)
    qs = qs.select_related("assignee")
    if walk is not None:
        return _item_rows(
            project,
            filters,
            *_search_walk_page(
                qs, walk, sort=filters.sort, cursor_id=cursor_id, backward=backward, size=size
            ),
        )
    items, more = qs.keyset_page(sort=filters.sort, cursor=cursor, backward=backward, size=size)
    if backward:
        has_prev, has_next = (
            more,
            bool(items)
            and qs.has_beyond(
                sort=filters.sort, cursor=(getattr(items[-1], key), items[-1].pk), backward=False
            ),
        )
    else:
        has_next = more
        has_prev = (
            bool(items)
            and cursor is not None
            and qs.has_beyond(
                sort=filters.sort, cursor=(getattr(items[0], key), items[0].pk), backward=True
            )
        )
    return _item_rows(project, filters, items, has_next, has_prev)


def _search_walk_query(filters) -> str | None:
    """The FTS5 query when the page should walk the SQLite index (text search in id
    order), else None (PostgreSQL, no search, or another sort)."""
    if connection.vendor != "sqlite" or not filters.q or filters.sort not in ("id", "-id"):
        return None
    from trainerdesk.workbench.filters import SearchSyntaxError, fts5_query, parse_search

    try:
        return fts5_query(parse_search(filters.q))
    except SearchSyntaxError as exc:
        raise InvalidInput([f"q: {exc}"]) from None


def _search_walk_page(qs, match: str, *, sort: str, cursor_id, backward: bool, size: int):
    """(items, has_next, has_prev) of one id-ordered search page, by ItemQuerySet.search_walk."""
    descending = (sort == "-id") != backward
    items, more = qs.search_walk(match, start=cursor_id, descending=descending, size=size)
    if backward:
        items.reverse()
    if not items:
        return items, False, False
    edge = items[-1] if backward else items[0]
    beyond = cursor_id is not None or backward
    other_side = beyond and bool(
        qs.search_walk(match, start=edge.pk, descending=not descending, size=1)[0]
    )
    return (items, other_side, more) if backward else (items, more, other_side)


def _item_rows(project: Project, filters, items, has_next: bool, has_prev: bool) -> ItemPage:
    answers: dict[int, list[dict]] = {}
    records: dict[int, list[dict]] = {}
    names: dict[int, list[str]] = {}
    for pk, item_id, answer, skipped, username, imported in (
        Annotation.objects.filter(item__in=[i.pk for i in items])
        .order_by("created_at", "id")
        .values_list(
            "id", "item_id", "answer", "skipped", "annotator__username", "imported_annotator"
        )
    ):
        if not skipped:
            answers.setdefault(item_id, []).append(answer)
        records.setdefault(item_id, []).append({"id": pk, "answer": answer, "skipped": skipped})
        names.setdefault(item_id, []).append(username or imported or "?")
    source = _text_source(project)
    data_keys_shown = filters.data_columns
    finals = final_answers(project=project, item_ids=[i.pk for i in items], annotations=records)
    rows = []
    for item in items:
        text = item.data.get(source) if source else None
        if text is None:
            text = dumps(item.data)
        elif not isinstance(text, str):
            text = dumps(text)
        mine = answers.get(item.pk, [])
        values = []
        for key in data_keys_shown:
            value = item.data.get(key)
            values.append(
                "" if value is None else value if isinstance(value, str) else dumps(value)
            )
        rows.append(
            ItemRow(
                item=item,
                excerpt=text[:120],
                status=item_status(item, project.overlap),
                answers=len(mine),
                final=finals.get(item.pk),
                annotators=names.get(item.pk, []),
                data_values=[v[:120] for v in values],
            )
        )
    return ItemPage(rows=rows, has_next=has_next, has_prev=has_prev)


def item_status(item: Item, overlap: int) -> str:
    """The status shown in the table, by the same rules as ItemQuerySet.with_status."""
    if item.done_count >= overlap:
        return "done"
    if item.done_count > 0 or item.leased_count > 0:
        return "in progress"
    if item.skip_count > 0:
        return "skipped"
    return "new"


def _selection(item_ids: list[int]) -> list[int]:
    if not item_ids:
        raise InvalidInput(["item: select at least one item"])
    if len(item_ids) > MAX_SELECTION:
        raise InvalidInput([f"item: at most {MAX_SELECTION} items at once, got {len(item_ids)}"])
    return list(item_ids)


def delete_items(*, project: Project, item_ids: list[int], by) -> int:
    """Delete items with their annotations, predictions and leases. The queue counters
    live on each item, so nothing else needs adjusting."""
    ids = _selection(item_ids)
    with transaction.atomic():
        mine = list(Item.objects.filter(project=project, pk__in=ids).values_list("id", flat=True))
        _unindex_items(mine)
        Item.objects.filter(pk__in=mine).delete()
    return len(mine)


def requeue_items(*, project: Project, item_ids: list[int], by) -> int:
    """Put items back in the shared queue now: drop the leases annotators hold on them
    (e.g. someone left with the item open), so the next annotator can take them at once
    instead of waiting for the lease to expire. Answers stay; an item that already has
    its overlap stays done (raise the overlap to collect more answers). Returns how many
    leases were dropped."""
    ids = _selection(item_ids)
    with transaction.atomic():
        leases = list(
            Lease.objects.filter(project=project, item_id__in=ids).values_list("id", "item_id")
        )
        for lease_id, item_id in leases:
            _drop_lease(lease_id=lease_id, item_id=item_id, overlap=project.overlap)
    return len(leases)


def set_items_priority(*, project: Project, item_ids: list[int], priority: int, by) -> int:
    ids = _selection(item_ids)
    if not -(2**31) <= priority < 2**31:
        raise InvalidInput(["priority: must be a 32-bit whole number"])
    return set_priority(project=project, item_ids=ids, priority=priority)


def export_selection(*, project: Project, item_ids: list[int]) -> Iterator[bytes]:
    """JSONL of the selected items, the same records as the project export."""
    ids = _selection(item_ids)
    records = export_records(project=project, item_ids=ids)
    return formats.write_jsonl(records, include_annotations=True)


# --- images (see workbench/images.py for how items refer to their image) ---------------------


def image_limits() -> images.Limits:
    return images.Limits(
        max_bytes=settings.MAX_IMAGE_BYTES,
        max_pixels=settings.MAX_IMAGE_PIXELS,
        max_side=settings.MAX_IMAGE_SIDE,
    )


def image_keys(schema) -> list[str]:
    """The data keys that hold an image reference, in schema order."""
    return list(dict.fromkeys(f.source for f in schema.fields if f.data_kind == "image"))


class _ImageRefCheck:
    """Checks the image references of one import batch: an upload must be one of the
    project's images, a server path must resolve inside TRAINERDESK_IMAGE_ROOT to a valid
    image, a URL is left to the browser. One query per batch for the uploads."""

    def __init__(self, project: Project, rows: list[formats.Row], keys: list[str]) -> None:
        self.keys = keys
        wanted = {
            value[len(images.UPLOAD_PREFIX) :]
            for row in rows
            for key in keys
            if isinstance(value := row.data.get(key), str)
            and value.startswith(images.UPLOAD_PREFIX)
        }
        self.known = set(
            project.images.filter(sha256__in=list(wanted)).values_list("sha256", flat=True)
        )

    def problems(self, data: dict) -> list[str]:
        out = []
        for key in self.keys:
            value = data.get(key)
            if not isinstance(value, str) or not value:
                continue  # the schema's validate_item reports it
            try:
                kind, rest = images.ref_kind(value)
                if kind == "upload" and rest not in self.known:
                    raise ValueError(f"{value} is not an image uploaded to this project")
                if kind == "path":
                    server_image(rest)
            except (ValueError, images.ImageError) as exc:
                out.append(f"data.{key}: {exc}")
        return out


def server_image(relative: str) -> tuple[Path, images.ImageInfo]:
    """The validated file a server-path reference names; ValueError/ImageError otherwise."""
    if settings.IMAGE_ROOT is None:
        raise ValueError(
            f'"{relative[:80]}" is a server path, but server paths are off '
            "(TRAINERDESK_IMAGE_ROOT is unset); use upload:<sha256> or an https URL"
        )
    path = images.resolve_in_root(settings.IMAGE_ROOT, relative)
    data = images.read_limited(path, name=relative, limits=image_limits())
    return path, images.validate_image(data, name=relative, limits=image_limits())


def item_server_image(*, project: Project, item: Item, key: str) -> tuple[Path, images.ImageInfo]:
    """The server-root file an item's image field names; ValueError when the key is not an
    image field, the value is not a server path, or the file is no longer acceptable."""
    value = item.data.get(key) if key in image_keys(project.schema) else None
    kind, rest = images.ref_kind(value) if isinstance(value, str) else ("", "")
    if kind != "path":
        raise ValueError(f"{key}: not a server-path image")
    return server_image(rest)


@dataclass
class ImageUploadResult:
    added: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def _uploaded_image_files(files: Iterable[UploadedFile]) -> Iterator[tuple[str, Any]]:
    """(name, bytes) per image in the uploads, zips unpacked; (name, ImageError) when a
    file cannot even be read."""
    limits = image_limits()
    for upload in files:
        name = upload.name or "upload"
        head = upload.read(4)
        upload.seek(0)
        if images.is_zip(name, head):
            try:
                yield from images.iter_zip(
                    upload,
                    name=name,
                    max_member_bytes=limits.max_bytes,
                    max_total_bytes=settings.MAX_UPLOAD_BYTES,
                )
            except images.ImageError as exc:
                yield name, exc
        elif (upload.size or 0) > limits.max_bytes:
            yield (
                name,
                images.ImageError(
                    f"{name}: {upload.size:,} bytes, over the {limits.max_bytes:,}-byte image limit"
                ),
            )
        else:
            yield name, upload.read()


def _store_image_file(info: images.ImageInfo, data: bytes) -> str:
    """Write the file under MEDIA_ROOT by its hash (once; a temporary name then a rename,
    so a crash never leaves half a file under the final name)."""
    relative = images.storage_path(info)
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return relative


def add_images(
    *,
    project: Project,
    files: Iterable[UploadedFile],
    by,
    references: dict[str, Any] | None = None,
) -> ImageUploadResult:
    """Add uploaded image files (or zips of them) to a project: each valid image is stored
    once by hash, recorded as an ImageAsset, and becomes an item whose image field holds
    ``upload:<sha256>``. Bad files are reported by name and skipped; the good ones are kept.
    An image whose item is already in the project is counted as a duplicate. `references`
    maps a file name to the item's hidden reference answer (checked like an import's)."""
    keys = image_keys(project.schema)
    if not keys:
        raise InvalidInput(["files: this project's schema reads no image (no boxes field or "
                            'choice field with "source_kind": "image")'])  # fmt: skip
    result = ImageUploadResult()
    limits = image_limits()
    found: dict[str, tuple[images.ImageInfo, str, str]] = {}  # sha256 -> (info, name, path)
    for name, data in _uploaded_image_files(files):
        if isinstance(data, images.ImageError):
            result.errors.append(str(data))
            continue
        try:
            info = images.validate_image(data, name=name, limits=limits)
        except images.ImageError as exc:
            result.errors.append(str(exc))
            continue
        if info.sha256 in found:
            result.duplicates += 1
            continue
        found[info.sha256] = (info, name, _store_image_file(info, data))
    known = set(project.images.filter(sha256__in=list(found)).values_list("sha256", flat=True))
    new = [entry for sha, entry in found.items() if sha not in known]
    # One item per image: an image whose item still exists is a duplicate whatever its
    # file name; one whose item was deleted comes back as a new item.
    refs = [images.UPLOAD_PREFIX + sha for sha in found]
    present = {
        data.get(keys[0])
        for data in project.items.alias(_ref=KeyTransform(keys[0], "data"))
        .filter(_ref__in=refs)
        .values_list("data", flat=True)
    }
    result.duplicates += len(present)
    missing = [entry for sha, entry in found.items() if images.UPLOAD_PREFIX + sha not in present]
    with transaction.atomic():
        ImageAsset.objects.bulk_create(
            [
                ImageAsset(
                    project=project,
                    sha256=info.sha256,
                    path=path,
                    original_name=name[-255:],
                    content_type=info.content_type,
                    size_bytes=info.size_bytes,
                    width=info.width,
                    height=info.height,
                    created_by=by,
                )
                for info, name, path in new
            ],
            ignore_conflicts=True,  # a concurrent upload of the same file
        )
        rows = [
            formats.Row(
                i,
                {keys[0]: images.UPLOAD_PREFIX + info.sha256, "filename": name},
                reference=(references or {}).get(name),
            )
            for i, (info, name, _path) in enumerate(missing, 1)
        ]
        batch = import_batch(project=project, rows=rows)
    result.added = batch.added
    result.duplicates += batch.duplicates
    result.errors += [e.message for e in batch.errors]
    return result


def _image_sizes(project: Project, records: Iterable[dict], chunk: int = 500) -> Iterator[dict]:
    """Export records with ``image_sizes`` ({data key: [width, height]}) for each image
    whose size is known: uploads from their ImageAsset, server paths from the file's header,
    URLs from ``<key>_width``/``<key>_height`` in the item data when the import gave them.
    Unknown sizes are left out (the writers report them; nothing is guessed)."""
    keys = image_keys(project.schema)
    page: list[dict] = []

    def flush() -> Iterator[dict]:
        shas = {
            v[len(images.UPLOAD_PREFIX) :]
            for rec in page
            for k in keys
            if isinstance(v := rec["data"].get(k), str) and v.startswith(images.UPLOAD_PREFIX)
        }
        assets = {
            sha: [w, h]
            for sha, w, h in project.images.filter(sha256__in=list(shas)).values_list(
                "sha256", "width", "height"
            )
        }
        for rec in page:
            sizes = {}
            for key in keys:
                value = rec["data"].get(key)
                try:
                    kind, rest = images.ref_kind(value) if isinstance(value, str) else ("", "")
                except ValueError:
                    continue
                size = None
                if kind == "upload":
                    size = assets.get(rest)
                elif kind == "path" and settings.IMAGE_ROOT is not None:
                    try:
                        size = images.image_size(images.resolve_in_root(settings.IMAGE_ROOT, rest))
                    except ValueError:
                        size = None
                elif kind == "url":
                    w, h = rec["data"].get(f"{key}_width"), rec["data"].get(f"{key}_height")
                    if all(type(v) is int and v > 0 for v in (w, h)):
                        size = [w, h]
                if size:
                    sizes[key] = list(size)
            yield rec | {"image_sizes": sizes}
        page.clear()

    for rec in records:
        page.append(rec)
        if len(page) >= chunk:
            yield from flush()
    yield from flush()


# --- comments, inbox and webhooks ----------------------------------------------------------

MAX_COMMENT_CHARS = 10_000
# A mention is @ and a Django username (letters, digits and @.+-_), not preceded by a word
# character so that e-mail addresses in a comment mention nobody.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]{1,150})")


def mentioned_usernames(body: str) -> list[str]:
    """Usernames written as @name, in order, once each; a trailing dot ends a sentence."""
    names = (m.rstrip(".") for m in _MENTION.findall(body))
    return list(dict.fromkeys(n for n in names if n))


@dataclass
class PostedComment:
    comment: Comment
    notified: list[str] = field(default_factory=list)
    # (username, why) for mentions that reached nobody.
    not_notified: list[tuple[str, str]] = field(default_factory=list)


def _comment_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(["body: write something"])
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput([f"body: at most {MAX_COMMENT_CHARS:,} characters, got {len(body):,}"])
    if "\x00" in body:
        raise InvalidInput(["body: contains a NUL character"])
    return body


def _notify(*, comment: Comment, author, mentions: list[str], reply_to: set[int]) -> PostedComment:
    """Notifications for the people a comment mentions and, for a reply, the thread's
    other participants; only people who may read the comment are told."""
    result = PostedComment(comment)
    User = get_user_model()
    roles = access.project_roles(comment.project)
    readers = access.comment_readers(comment.project, comment.item, roles)
    users = {
        u.get_username(): u.pk for u in User.objects.filter(username__in=mentions, is_active=True)
    }
    kinds: dict[int, str] = {}
    for name in mentions:
        uid = users.get(name)
        if uid is None or uid not in roles:
            result.not_notified.append((name, "not a member of this project"))
        elif uid == author.pk:
            continue
        elif uid not in readers:
            result.not_notified.append((name, "cannot see comments on this item"))
        else:
            kinds.setdefault(uid, Notification.Kind.MENTION)
            result.notified.append(name)
    for uid in reply_to & readers - {author.pk}:
        kinds.setdefault(uid, Notification.Kind.REPLY)
    already = set(
        Notification.objects.filter(comment=comment, user__in=list(kinds)).values_list(
            "user_id", flat=True
        )
    )
    Notification.objects.bulk_create(
        [
            Notification(user_id=uid, kind=kind, comment=comment)
            for uid, kind in kinds.items()
            if uid not in already
        ]
    )
    return result


def post_comment(
    *, project: Project, item: Item, author, body: str, parent: Comment | None = None
) -> PostedComment:
    """Post a comment on an item, or a reply in a thread (replies always point at the
    thread's first comment). Mentions of project members and, for a reply, the thread's
    other participants get an inbox entry; webhooks get item.commented."""
    body = _comment_body(body)
    if parent is not None:
        if parent.item_id != item.pk:
            raise InvalidInput(["parent: that comment is on another item"])
        if parent.parent_id is not None:
            parent = parent.parent
    with transaction.atomic():
        comment = Comment.objects.create(
            project=project, item=item, parent=parent, author=author, body=body
        )
        participants: set[int] = set()
        if parent is not None:
            participants = {parent.author_id} | set(
                Comment.objects.filter(parent=parent).values_list("author_id", flat=True)
            )
        result = _notify(
            comment=comment,
            author=author,
            mentions=mentioned_usernames(body),
            reply_to=participants,
        )
        emit_event(
            project=project,
            event=Webhook.Event.ITEM_COMMENTED,
            data={
                "item": item.pk,
                "external_id": item.external_id,
                "comment": comment.pk,
                "thread": parent.pk if parent else comment.pk,
                "author": author.get_username(),
                "body": body,
                "url": reverse("workbench:item_detail", args=[project.pk, item.pk]),
            },
        )
    return result


def edit_comment(*, comment: Comment, by, body: str) -> PostedComment:
    """Change one's own comment; people it newly mentions are notified."""
    if comment.author_id != by.pk:
        raise InvalidInput(["comment: you can only edit your own comments"])
    body = _comment_body(body)
    with transaction.atomic():
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        return _notify(
            comment=comment, author=by, mentions=mentioned_usernames(body), reply_to=set()
        )


def delete_comment(*, comment: Comment, by) -> None:
    """Delete one's own comment. A thread's first comment with replies is blanked instead,
    so that the replies keep their context."""
    if comment.author_id != by.pk:
        raise InvalidInput(["comment: you can only delete your own comments"])
    with transaction.atomic():
        if comment.parent_id is None and comment.replies.exists():
            comment.body = ""
            comment.edited_at = timezone.now()
            comment.save(update_fields=["body", "edited_at"])
            comment.notifications.all().delete()
        else:
            comment.delete()


def mark_notifications_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read: those given, or all of them."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


WEBHOOK_TEST_EVENT = "webhook.test"


def _webhook_fields(*, url: str, events: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    problems = []
    why = webhooks.check_url(url)
    if why:
        problems.append(f"url: {why}")
    unknown = [e for e in events if e not in Webhook.Event.values]
    if unknown:
        problems.append(
            f"events: {', '.join(map(str, unknown))} not one of {', '.join(Webhook.Event.values)}"
        )
    if not events:
        problems.append("events: choose at least one event")
    if problems:
        raise InvalidInput(problems)
    return url, [e for e in Webhook.Event.values if e in events]


def create_webhook(
    *, project: Project, by, url: str, events: list[str], slack_format: bool = False
) -> Webhook:
    url, events = _webhook_fields(url=url, events=events)
    return Webhook.objects.create(
        project=project,
        url=url,
        events=events,
        slack_format=slack_format,
        secret=webhooks.new_secret(),
        created_by=by,
    )


def update_webhook(*, webhook: Webhook, by, **changes: Any) -> Webhook:
    allowed = {"url", "events", "slack_format", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput([f"{key}: not a webhook setting" for key in sorted(unknown)])
    if "url" in changes or "events" in changes:
        changes["url"], changes["events"] = _webhook_fields(
            url=changes.get("url", webhook.url), events=changes.get("events", webhook.events)
        )
    for key, value in changes.items():
        setattr(webhook, key, value)
    if changes:
        webhook.save(update_fields=list(changes))
    return webhook


def delete_webhook(*, webhook: Webhook, by) -> None:
    webhook.delete()


def _event_payload(*, project: Project, event: str, data: dict) -> dict:
    return {
        "event": event,
        "created_at": timezone.now().isoformat(),
        "project": {"id": project.pk, "name": project.name},
        "data": data,
    }


def emit_event(*, project: Project, event: str, data: dict) -> list[WebhookDelivery]:
    """Queue the event for each of the project's active webhooks that asked for it: the
    delivery rows are written in the caller's transaction and sent after it commits."""
    hooks = [h for h in Webhook.objects.filter(project=project, active=True) if event in h.events]
    if not hooks:
        return []
    payload = _event_payload(project=project, event=event, data=data)
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(webhook=h, event=event, payload=payload) for h in hooks]
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: [_schedule_delivery(pk) for pk in ids])
    return deliveries


def send_test_event(*, webhook: Webhook, by) -> WebhookDelivery:
    payload = _event_payload(
        project=webhook.project,
        event=WEBHOOK_TEST_EVENT,
        data={"message": "A test event, sent from the webhooks page.", "by": by.get_username()},
    )
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, event=WEBHOOK_TEST_EVENT, payload=payload
        )
        transaction.on_commit(lambda: _schedule_delivery(delivery.pk))
    return delivery


def _schedule_delivery(delivery_id: int, when: datetime | None = None) -> None:
    from trainerdesk.workbench.tasks import deliver_webhook_task

    task = deliver_webhook_task
    if when is not None:
        if task.get_backend().supports_defer:
            task = task.using(run_after=when)
        else:
            # The immediate backend (tests, `make run` without a worker) cannot defer:
            # wait here instead. Tests set TRAINERDESK_WEBHOOK_RETRY_SECONDS=0.
            time.sleep(max(0.0, (when - timezone.now()).total_seconds()))
    task.enqueue(delivery_id=delivery_id)


def deliver_webhook(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at a delivery (worker entry point). A failure before the last attempt
    schedules the next one after an exponential backoff. Never raises: a task that
    raised would be retried by nobody and tell the manager nothing."""
    try:
        return _attempt_delivery(delivery_id)
    except Exception:  # noqa: BLE001 - recorded in the worker log; the row stays pending
        logger.exception("webhook delivery %s failed unexpectedly", delivery_id)
        return None


def _attempt_delivery(delivery_id: int) -> WebhookDelivery | None:
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return delivery  # the webhook was deleted, or a duplicate run of a finished delivery
    hook = delivery.webhook
    if not hook.active and delivery.event != WEBHOOK_TEST_EVENT:
        # Deactivated while this delivery waited for a retry: stop here, and say so.
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.error = (delivery.error + "\n" if delivery.error else "") + (
            "not sent: the webhook was deactivated"
        )
        delivery.save(update_fields=["status", "next_attempt_at", "error"])
        return delivery
    body = webhooks.request_body(delivery.event, delivery.payload, slack=hook.slack_format)
    timestamp = str(int(time.time()))
    result = webhooks.post(
        hook.url,
        body,
        headers={
            "X-TrainerDesk-Event": delivery.event,
            "X-TrainerDesk-Delivery": str(delivery.pk),
            "X-TrainerDesk-Timestamp": timestamp,
            "X-TrainerDesk-Signature": webhooks.signature(hook.secret, timestamp, body),
        },
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
    )
    now = timezone.now()
    delivery.attempts += 1
    delivery.response_status = result.status
    delivery.next_attempt_at = None
    if result.ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    else:
        line = f"attempt {delivery.attempts} at {now:%Y-%m-%d %H:%M:%S}: {result.error}"
        delivery.error = (f"{delivery.error}\n{line}" if delivery.error else line)[-4000:]
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delay = webhooks.retry_delay(delivery.attempts, base=settings.WEBHOOK_RETRY_SECONDS)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.save(
        update_fields=[
            "attempts",
            "response_status",
            "status",
            "delivered_at",
            "error",
            "next_attempt_at",
        ]
    )
    if delivery.next_attempt_at is not None:
        _schedule_delivery(delivery.pk, delivery.next_attempt_at)
    return delivery


def _emit_if_project_completed(*, project: Project) -> None:
    """Called only when an item has just reached its overlap: the project is complete when
    no incomplete item remains (one look at the (project, done_count) index).

    On PostgreSQL two annotators finishing the last two items at once would each see the
    other's item as still open and neither would emit. So the first look skips items other
    transactions hold (their submits are under way); only when nothing else is open does it
    lock the project row and look again, and whoever gets that lock second sees the other's
    commit. SQLite runs one writer at a time, so its first look is already final.
    """
    # Raw like the rest of the submit path: with overlap 1 every answer completes an item.
    # Submit median over the base, bench_queue at 100k items, 1 client (a busy machine):
    # +0.57 ms with the ORM's exists(), +0.08 ms with this statement.
    # Gold items sit outside the queue's overlap, so they never hold completion back.
    sql = (
        f"SELECT 1 FROM {Item._meta.db_table} "
        "WHERE project_id = %s AND done_count < %s AND NOT is_gold LIMIT 1"
    )
    params = [project.pk, project.overlap]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{sql} FOR KEY SHARE SKIP LOCKED", params)
            if cursor.fetchone():
                return
            cursor.execute(
                f"SELECT 1 FROM {Project._meta.db_table} WHERE id = %s FOR UPDATE", [project.pk]
            )
        cursor.execute(sql, params)
        if cursor.fetchone():
            return
    emit_event(
        project=project,
        event=Webhook.Event.PROJECT_COMPLETED,
        data={"items": project.items.count(), "overlap": project.overlap},
    )


# --- full-text search (the data manager's text filter) --------------------------------------
# SQLite: the contentless FTS5 table workbench_item_fts, keyed by item id and filled from
# the view workbench_item_text (migration 0003). Items are indexed in id order, so every
# item up to the highest indexed id is in the index and "is anything left to index" is one
# comparison. PostgreSQL keeps its GIN expression index itself: nothing to do here.

FTS_TABLE = "workbench_item_fts"
FTS_TEXT_VIEW = "workbench_item_text"


def _fts_watermark(cursor) -> int:
    """The highest item id in the index (FTS5 walks rowids backwards for this)."""
    cursor.execute(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid DESC LIMIT 1")
    row = cursor.fetchone()
    return row[0] if row else 0


def schedule_search_indexing() -> None:
    """After new items: have the worker bring the SQLite index up to date.

    Not inside the import's batches: that made importing 100k items 18% slower (2.18 s ->
    2.58 s, bench/bench_import.py), over the 15% the import could give up. Until the
    worker is done the data manager says the search index is updating. Enqueued directly,
    not on commit, so the immediate backend of the tests indexes at once.
    """
    from trainerdesk.workbench.tasks import index_search_task

    if connection.vendor == "sqlite" and not settings.SEARCH_INDEX_INLINE:
        index_search_task.enqueue()


def index_pending_items(*, chunk: int = 50_000) -> int:
    """Add every item not yet in the SQLite full-text index, a chunk per transaction;
    return how many were added. Items with no text get an empty entry so the watermark
    moves past them."""
    if connection.vendor != "sqlite":
        return 0
    added = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            last = _fts_watermark(cursor)
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, text) SELECT id, coalesce(text, '') "
                f"FROM {FTS_TEXT_VIEW} WHERE id > %s ORDER BY id LIMIT %s",
                [last, chunk],
            )
            count = cursor.rowcount
        added += count
        if count < chunk:
            return added


def search_index_pending(*, project: Project) -> bool:
    """Whether some of the project's items are not searchable yet (SQLite, while the
    worker indexes a fresh import)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        last = _fts_watermark(cursor)
        # `+project_id`: walk the primary key from the watermark (only unindexed items).
        cursor.execute(
            f"SELECT 1 FROM {Item._meta.db_table} WHERE id > %s AND +project_id = %s LIMIT 1",
            [last, project.pk],
        )
        return cursor.fetchone() is not None


def _unindex_items(item_ids: list[int]) -> None:
    """Remove items from the SQLite index before they are deleted: a contentless FTS5
    table needs the text it indexed to take it out again."""
    if connection.vendor != "sqlite" or not item_ids:
        return
    with connection.cursor() as cursor:
        last = _fts_watermark(cursor)
        marks = ", ".join(["%s"] * len(item_ids))
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) SELECT 'delete', id, "
            f"coalesce(text, '') FROM {FTS_TEXT_VIEW} WHERE id IN ({marks}) AND id <= %s",
            [*item_ids, last],
        )


# --- per-person assignment ---------------------------------------------------------------------
# An assigned item is served only to its assignee, before the shared queue
# (_first_open_item); _record_answer hands it back to the shared queue once the assignee
# answers or skips it.


def _assignable(*, project: Project, user) -> None:
    """Refuse anyone who cannot annotate in the project: their items would never be
    served to anybody."""
    if user is None:
        return
    from trainerdesk.accounts.models import Membership

    org_role = project.organization.role_of(user)
    is_member = ProjectMember.objects.filter(project=project, user=user).exists()
    if org_role is None or not (is_member or org_role in Membership.ADMIN_ROLES):
        raise InvalidInput(
            [f"assignee: {user.get_username()} is not a member of this project (add them first)"]
        )


def assignable_usernames(*, project: Project) -> list[str]:
    """Usernames of the project's members who are still in its organization."""
    return list(
        ProjectMember.objects.filter(
            project=project, user__memberships__organization_id=project.organization_id
        )
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def member_by_username(*, project: Project, username: str):
    """A project member by username; the same error for unknown and non-member names."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput([f"assignee: {username} is not a member of this project"])
    _assignable(project=project, user=user)
    return user


def assign_items(*, project: Project, item_ids: list[int], assignee, by) -> int:
    """Assign the selected items to `assignee` (a project member), or back to the shared
    queue with None. Items the assignee already answered or skipped are left as they are
    (they would never be served to them again, so nobody would get them); returns how
    many items changed."""
    ids = _selection(item_ids)
    _assignable(project=project, user=assignee)
    items = Item.objects.filter(project=project, pk__in=ids)
    with transaction.atomic():
        if assignee is None:
            return items.exclude(assignee=None).update(assignee=None)
        answered = Annotation.objects.filter(item=OuterRef("pk"), annotator=assignee)
        return items.exclude(Exists(answered)).update(assignee=assignee)


@dataclass
class QueueShare:
    requested: int
    assigned: dict[str, int]


def assign_queue_share(
    *,
    project: Project,
    assignees: list,
    count: int | None = None,
    percent: float | None = None,
    order: str = "queue",
    by,
    rng: random.Random | None = None,
) -> QueueShare:
    """Give each named annotator a share of the open, unassigned items: `count` items
    each, or `percent` of the open unassigned items each, taken in queue order or at
    random. Nobody gets an item they already worked on; when the items run out the
    later names get fewer."""
    if not assignees:
        raise InvalidInput(["assignees: name at least one annotator"])
    if (count is None) == (percent is None):
        raise InvalidInput(["count: give either a number of items or a percentage"])
    if count is not None and not 1 <= count <= 1_000_000:
        raise InvalidInput(["count: must be between 1 and 1,000,000"])
    if percent is not None and not 0 < percent <= 100:
        raise InvalidInput(["percent: must be more than 0 and at most 100"])
    if order not in ("queue", "random"):
        raise InvalidInput([f"order: {order!r} is not one of queue, random"])
    for user in assignees:
        _assignable(project=project, user=user)
    with transaction.atomic():
        # The shared queue's own index range (item_queue: project, assignee NULL, rank).
        pool = list(
            Item.objects.filter(project=project, available=True, assignee=None)
            .order_by("queue_rank", "id")
            .values_list("id", flat=True)
        )
        each = count if count is not None else int(len(pool) * percent / 100)
        if order == "random":
            (rng or random.Random()).shuffle(pool)
        taken: set[int] = set()
        assigned: dict[str, int] = {}
        for user in assignees:
            worked = set(
                Annotation.objects.filter(project=project, annotator=user).values_list(
                    "item_id", flat=True
                )
            )
            mine = []
            for item_id in pool:
                if len(mine) >= each:
                    break
                if item_id not in taken and item_id not in worked:
                    mine.append(item_id)
            taken.update(mine)
            for start in range(0, len(mine), 900):
                Item.objects.filter(pk__in=mine[start : start + 900]).update(assignee=user)
            assigned[user.get_username()] = len(mine)
    return QueueShare(requested=each, assigned=assigned)


# --- the progress page ---------------------------------------------------------------------

THROUGHPUT_DAYS = 30


@dataclass
class AnnotatorProgress:
    username: str
    done: int
    skipped: int
    median_lead_time: float | None  # seconds
    week_hours: float


@dataclass
class ProgressOverview:
    total: int
    complete: int
    annotators: list[AnnotatorProgress]
    days: list[tuple[date, int]]
    week_start: datetime

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0

    def chart_data(self) -> dict:
        return {
            "labels": [day.isoformat() for day, _ in self.days],
            "counts": [n for _, n in self.days],
        }

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "complete": self.complete,
            "percent": self.percent,
            "week_start": self.week_start.isoformat(),
            "annotators": [vars(a).copy() for a in self.annotators],
            "throughput": [{"date": d.isoformat(), "answers": n} for d, n in self.days],
        }


def progress_overview(
    *, project: Project, user, everyone: bool, now: datetime | None = None
) -> ProgressOverview:
    """Items done / total; per annotator: answers, skips, median lead time and active
    hours this ISO week (sum of lead_time since Monday 00:00 local time); answers per day
    over the last 30 days. With everyone=False only the user's own row and answers."""
    now = timezone.localtime(now or timezone.now())
    tz = now.tzinfo
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    week_start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
    first_day = today - timedelta(days=THROUGHPUT_DAYS - 1)
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=tz)
    annotations = Annotation.objects.filter(project=project)
    if not everyone:
        annotations = annotations.filter(annotator=user)
    grouped = list(annotations.per_annotator(week_start=week_start))
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[row["annotator_id"] for row in grouped])
        .values_list("pk", "username")
    )
    rows = []
    for row in sorted(grouped, key=lambda r: names[r["annotator_id"]]):
        median = annotations.filter(annotator_id=row["annotator_id"]).median_lead_time()
        rows.append(
            AnnotatorProgress(
                username=names[row["annotator_id"]],
                done=row["done"],
                skipped=row["skipped"],
                median_lead_time=None if median is None else round(median, 1),
                week_hours=round((row["week_seconds"] or 0) / 3600, 2),
            )
        )
    per_day = annotations.answers_per_day(since=since, tzinfo=tz)
    days = [
        (first_day + timedelta(days=n), per_day.get(first_day + timedelta(days=n), 0))
        for n in range(THROUGHPUT_DAYS)
    ]
    return ProgressOverview(
        total=project.items.count(),
        complete=project.items.complete(project.overlap).count(),
        annotators=rows,
        days=days,
        week_start=week_start,
    )


# --- review: sending an annotation back (used by the quality app) ---------------------------


def withdraw_annotation(*, project: Project, annotation: Annotation) -> None:
    """Remove an annotation from the item's counts and assign the item to its author, so
    their queue serves it first and they answer it again (a reviewer sent it back; the
    caller keeps a copy of the answer). Runs inside the caller's transaction."""
    with transaction.atomic():
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        with connection.cursor() as cursor:
            # The item's row lock, as in _record_answer, so counters move one at a time.
            cursor.execute(
                f"SELECT id FROM {Item._meta.db_table} WHERE id = %s{lock}", [annotation.item_id]
            )
        deleted, _ = Annotation.objects.filter(pk=annotation.pk).delete()
        if not deleted:
            raise ConflictError("this annotation was already removed; reload the item")
        skipped = int(annotation.skipped)
        _shift_counters(
            overlap=project.overlap,
            item_id=annotation.item_id,
            done=skipped - 1,
            skipped=-skipped,
        )
        if annotation.annotator_id is not None:
            Item.objects.filter(pk=annotation.item_id).update(assignee=annotation.annotator_id)


# --- gold items --------------------------------------------------------------------------------

GOLD_SETTINGS = ("gold_rate", "gold_feedback", "gold_threshold", "gold_min_items")


def _gold_setting_errors(changes: dict) -> list[str]:
    errors = []
    for key in ("gold_rate", "gold_threshold"):
        if key in changes and not 0 <= changes[key] <= 1:
            errors.append(f"{key}: must be between 0 and 1, got {changes[key]}")
    if "gold_min_items" in changes and not 1 <= changes["gold_min_items"] <= 10000:
        errors.append(
            f"gold_min_items: must be between 1 and 10000, got {changes['gold_min_items']}"
        )
    return errors


# A gold item's reference answer is what annotators are scored against (quality app). It
# reaches every annotator once (next_item) and so never counts as `available` in the shared
# queue; unmarking puts it back under the overlap.


def mark_gold(*, project: Project, item_ids: list[int], by) -> tuple[int, list[int]]:
    """Make items gold with their current final answer (final_answers: the project's final
    label rule) as the reference. Returns (how many were marked, ids left out because they
    have no final answer yet: nobody answered, or the answers tie)."""
    ids = _selection(item_ids)
    with transaction.atomic():
        items = list(Item.objects.filter(project=project, pk__in=ids).only("id", "reference"))
        finals = final_answers(project=project, item_ids=[i.pk for i in items])
        marked, missing = [], []
        for item in items:
            final = finals.get(item.pk)
            if final is None:
                missing.append(item.pk)
                continue
            item.reference, item.is_gold, item.available = final, True, False
            marked.append(item)
        Item.objects.bulk_update(marked, ["reference", "is_gold", "available"])
    return len(marked), missing


def unmark_gold(*, project: Project, item_ids: list[int], by) -> int:
    """Items stop being gold (the reference stays) and rejoin the shared queue if they
    still need answers under the overlap."""
    ids = _selection(item_ids)
    with transaction.atomic():
        return Item.objects.filter(project=project, pk__in=ids, is_gold=True).update(
            is_gold=False,
            available=Case(
                When(done_count__lt=project.overlap - F("leased_count"), then=Value(True)),
                default=Value(False),
            ),
        )


def set_gold(
    *, project: Project, item: Item, reference: Any, is_gold: bool, explanation: str = "", by
) -> Item:
    """Set an item's reference answer (validated against the schema), its explanation
    and its gold flag. A gold item must have a reference."""
    if reference is not None:
        try:
            reference = project.schema.validate_answer(reference, item.data)
        except AnswerError as exc:
            raise InvalidInput([f"reference.{e}" for e in exc.errors]) from None
    if is_gold and reference is None:
        raise InvalidInput(["reference: a gold item needs its reference answer"])
    with transaction.atomic():
        item.reference, item.is_gold = reference, is_gold
        item.gold_explanation = explanation or ""
        item.save(update_fields=["reference", "is_gold", "gold_explanation"])
        # The queue flag follows the gold flag (the counters themselves are unchanged).
        _shift_counters(overlap=project.overlap, item_id=item.pk)
        item.refresh_from_db(fields=["available"])
    return item
