"""Importing items: upload checks, batches, the import job run by the worker."""

from __future__ import annotations

import hashlib
import random
from bisect import insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.gcpause import gc_paused
from trainerdesk.lib.jsonutil import content_hash, dumps
from trainerdesk.workbench import formats, runs
from trainerdesk.workbench.models import Annotation, ImportJob, Item, Prediction, Project, Webhook
from trainerdesk.workbench.schema import AnswerError
from trainerdesk.workbench.services import progress_counts
from trainerdesk.workbench.services.image_files import _ImageRefCheck, image_keys
from trainerdesk.workbench.services.predictions import _prediction_problems
from trainerdesk.workbench.services.search import index_pending_items, schedule_search_indexing
from trainerdesk.workbench.services.webhooks import emit_event

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
    # The new items' ids, when the caller asked for them (import_batch's want_ids).
    added_ids: list[int] = field(default_factory=list)

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
    *,
    project: Project,
    rows: list[formats.Row],
    job: ImportJob | None = None,
    want_ids: bool = False,
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
        encoded = dumps(row.data) if row.encoded is None else row.encoded
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
        if want_ids:
            result.added_ids = _insert_items_returning_ids(params, project_id=project_id)
            result.added = len(result.added_ids)
        else:
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
    sql = _ITEM_INSERT_SQL.format(json="::jsonb" if connection.vendor == "postgresql" else "")
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount


_ITEM_INSERT_SQL = (
    f"INSERT INTO {Item._meta.db_table} (project_id, external_id, data, content_hash, "
    "priority, random_key, queue_rank, reference, import_job_id, created_at, is_gold, "
    "gold_explanation, available) "
    "VALUES (%s, %s, %s{json}, %s, %s, %s, %s, %s{json}, %s, %s, %s, %s, %s) "
    "ON CONFLICT (project_id, content_hash) DO NOTHING"
)


def _insert_items_returning_ids(params: list[tuple], *, project_id: int) -> list[int]:
    """_bulk_insert_items, returning the new rows' ids (the audit event's digest).

    Not a second query with the batch's content hashes: building and running two
    10,000-value IN lookups was a third of an API call (measured, 20,000 items: 0.65 s of
    1.76 s). PostgreSQL returns the ids from the insert itself. Python's sqlite3 cannot
    return rows from executemany, but an IMMEDIATE transaction holds the database, so the
    project's rows above its highest id before the insert are this insert's (ids only grow
    with AUTOINCREMENT)."""
    if not params:
        return []
    sql = _ITEM_INSERT_SQL.format(json="::jsonb" if connection.vendor == "postgresql" else "")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            raw.executemany(sql + " RETURNING id", params, returning=True)
            ids: list[int] = []
            while True:
                ids.extend(row[0] for row in raw.fetchall())
                if not raw.nextset():
                    break
            return ids
        table = Item._meta.db_table
        cursor.execute(f"SELECT max(id) FROM {table} WHERE project_id = %s", [project_id])
        highest = cursor.fetchone()[0] or 0
        before = _last_item_id(cursor)
        cursor.executemany(sql, params)
        added = cursor.rowcount
        # Every row new (the usual call): AUTOINCREMENT gives each new row an id above the
        # largest ever used (`before`) and records the largest in sqlite_sequence, so
        # `added` distinct ids in (before, after] with after - before == added are exactly
        # that range, without reading them back (the read was ~5% of an API import).
        if added == len(params):
            after = _last_item_id(cursor)
            if after - before == added:
                return list(range(before + 1, after + 1))
        cursor.execute(
            f"SELECT id FROM {table} WHERE project_id = %s AND id > %s ORDER BY id",
            [project_id, highest],
        )
        return [row[0] for row in cursor.fetchall()]


def _last_item_id(cursor) -> int:
    """The largest item id ever given out on SQLite (AUTOINCREMENT's record of it), 0 for
    a table that never had a row."""
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [Item._meta.db_table])
    row = cursor.fetchone()
    return 0 if row is None else row[0]


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
    progress_counts.count_annotations(annotations)
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
    sha256 = hashlib.sha256()
    for chunk in upload.chunks():
        sha256.update(chunk)
    job.file.save(job.original_name, upload, save=False)
    with transaction.atomic():
        job.save()
        audit.record(
            action="workbench.import.create",
            obj=job,
            project=project,
            changes={"file": job.original_name, "format": fmt, "sha256": sha256.hexdigest(),
                     "size_bytes": job.size_bytes},
            by=by,
        )  # fmt: skip
        transaction.on_commit(lambda: run_import_task.enqueue(job_id=job.pk))
    return job


def import_file(*, project: Project, path: Path, fmt: str, on_progress=None, by) -> BatchResult:
    """Import a local file in this process (the `trainerdesk import` command): the same
    stream as the worker's, with the import's start and end in the audit log (the file's
    sha256, the counts) as for an upload."""
    sha256 = hashlib.sha256()
    with path.open("rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            sha256.update(block)
    size = path.stat().st_size
    with transaction.atomic():
        audit.record(
            action="workbench.import.create",
            obj=project,
            project=project,
            changes={"file": path.name, "format": fmt, "sha256": sha256.hexdigest(),
                     "size_bytes": size},
            by=by,
        )  # fmt: skip
    status, result = ImportJob.Status.FAILED, BatchResult()
    try:
        with path.open("rb") as fp:
            result = import_stream(project=project, fp=fp, fmt=fmt, on_progress=on_progress)
        status = ImportJob.Status.DONE
    finally:
        with transaction.atomic():
            audit.record(
                action="workbench.import.finish",
                obj=project,
                project=project,
                changes={"status": status, "file": path.name, **_counts(result)},
                by=by,
            )
    return result


def _counts(result: BatchResult | ImportJob) -> dict[str, int]:
    """An import's counts as its finish event shows them (a job or a stream's result)."""
    if isinstance(result, ImportJob):
        added, annotations, errors = (
            result.items_added,
            result.annotations_added,
            result.error_count,
        )
    else:
        added, annotations, errors = result.added, result.annotations, result.error_count
    return {
        "items_added": added,
        "duplicates": result.duplicates,
        "annotations_added": annotations,
        "errors": errors,
    }


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

    # The wrapper has what the readers use of a binary file (read, readline, iteration).
    rows = formats.read_items(
        cast(BinaryIO, reader),
        fmt,
        fields=project.label_schema["fields"],
        max_item_bytes=settings.MAX_ITEM_BYTES,
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
        # The worker's event: its actor is the task (workbench/tasks.py, audit.acting_as).
        audit.record(
            action="workbench.import.finish",
            obj=job,
            project=job.project,
            changes={"status": job.status, "file": job.original_name, **_counts(job)},
        )


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


def _after_stale_import(job: ImportJob) -> None:
    # The check runs wherever a page or the API shows runs, inside the request of whoever
    # looked; the failure is the system's finding, not that user's act.
    _announce_import(job)
    audit.record(
        action="workbench.import.finish",
        obj=job,
        project=job.project,
        changes={"status": job.status, "file": job.original_name, "stale": True, **_counts(job)},
        system="check:stale_runs",
    )


runs.after_stale_failure(ImportJob, _after_stale_import)


def add_items(*, project: Project, items: Iterable[dict], by) -> BatchResult:
    """Import a small list of items given as JSON (API), through the same validation."""
    rows: list[formats.Row] = []
    errors: list[formats.RowError] = []
    # The collector paused as in import_stream: a call of 10,000 items keeps tens of
    # thousands of new acyclic objects alive, and the collections they set off swept the
    # whole heap (measured at 100k items in 10 calls: 0.93 s of a 2.2 s API import).
    with gc_paused():
        for row in formats.read_objects(items, settings.MAX_ITEM_BYTES):
            if isinstance(row, formats.RowError):
                errors.append(row)
            else:
                rows.append(row)
        with transaction.atomic():
            result = import_batch(project=project, rows=rows, want_ids=True)
            audit.record_bulk(
                action="workbench.item.bulk_create",
                object_type="workbench.item",
                ids=result.added_ids,
                changes={
                    "duplicates": result.duplicates,
                    "errors": result.error_count + len(errors),
                },
                project=project,
                by=by,
            )
    if result.added:
        schedule_search_indexing()
    for error in errors:
        result.add_error(error)
    return result
