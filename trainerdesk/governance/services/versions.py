"""Dataset versions: request one, build it in the worker, tag it, diff two, export one."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from trainerdesk.governance import manifest
from trainerdesk.governance.models import DatasetVersion, VersionRecord
from trainerdesk.lib import audit
from trainerdesk.lib.audit import changed_fields, snapshot
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.jsonutil import db_json, iso_utc
from trainerdesk.quality.models import Review
from trainerdesk.quality.services import FinalLabeler
from trainerdesk.workbench import runs
from trainerdesk.workbench.models import Annotation, Item, Project

logger = logging.getLogger(__name__)

PAGE = 5000
MAX_TAGS = 20
# Item ids listed per kind of change on pages and in the API (counts are always whole).
DIFF_ID_LIMIT = 500


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(["name: required"])
    if len(name) > 100:
        raise InvalidInput(["name: at most 100 characters"])
    return name


def _check_tags(tags: object) -> list[str]:
    """Callers from code may pass anything; the API and pages pass lists of strings."""
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput(["tags: must be a list of strings"])
    cleaned = sorted({t.strip() for t in tags if t.strip()})
    if len(cleaned) > MAX_TAGS or any(len(t) > 50 for t in cleaned):
        raise InvalidInput([f"tags: at most {MAX_TAGS} tags of at most 50 characters"])
    return cleaned


def create_version(
    *, project: Project, name: str, tags: list[str] | None = None, notes: str = "", by
) -> DatasetVersion:
    """Record a version request and queue its build for the worker."""
    from trainerdesk.governance.tasks import build_version_task

    name = _check_name(name)
    tags = _check_tags(tags)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if DatasetVersion.objects.filter(project=project, name=name).exists():
            raise ConflictError(f"name: this project already has a version named {name!r}")
        version = DatasetVersion.objects.create(
            project=project, name=name, tags=tags, notes=notes or "", created_by=by
        )
        audit.record(
            action="governance.dataset_version.create",
            obj=version,
            project=project,
            changes={"name": name, "tags": tags},
            by=by,
        )
        transaction.on_commit(lambda: build_version_task.enqueue(version_id=version.pk))
    return version


def _pages(project: Project) -> Iterator[list[tuple[int, str, dict | None, str]]]:
    """Pages of (item id, record hash, final answer, content hash) for the project's
    labelled items, in item-id order; three queries per page, keyset on the primary key.

    Raw SQL as in the export (workbench/services/export.py): the ORM's per-row JSON and
    datetime converters dominated the build (50,000 items ~10 s on the loaded machine).
    Rows come back the same on both databases (JSON as text, decoded with db_json);
    created_at is only used for ordering the reviews, which the SQL already does."""
    labeler = FinalLabeler(project)
    item_t, ann_t, rev_t = (
        Item._meta.db_table,
        Annotation._meta.db_table,
        Review._meta.db_table,
    )
    fixed = Review.Decision.FIXED
    last_id = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, content_hash FROM {item_t} WHERE +project_id = %s AND id > %s "
                f"AND done_count > 0 ORDER BY id LIMIT %s",
                [project.pk, last_id, PAGE],
            )
            items = cursor.fetchall()
            if not items:
                return
            first_id, last_id = items[0][0], items[-1][0]
            anns: dict[int, list[dict]] = {}
            cursor.execute(
                f"SELECT id, item_id, annotator_id, imported_annotator, answer, skipped, "
                f"guideline_version FROM {ann_t} WHERE item_id BETWEEN %s AND %s "
                f"AND +project_id = %s ORDER BY item_id, created_at, id",
                [first_id, last_id, project.pk],
            )
            for (
                pk,
                item_id,
                annotator_id,
                imported,
                answer,
                skipped,
                guideline,
            ) in cursor.fetchall():
                anns.setdefault(item_id, []).append(
                    {
                        "id": pk,
                        "answer": db_json(answer),
                        "skipped": bool(skipped),
                        "who": annotator_id if annotator_id is not None else f"imported:{imported}",
                        "guideline": guideline,
                    }
                )
            by_annotation = {a["id"]: a for group in anns.values() for a in group}
            reviews: dict[int, list[dict]] = {}
            cursor.execute(
                f"SELECT item_id, annotation_id, decision, reviewer_id, fixed_answer, created_at "
                f"FROM {rev_t} WHERE item_id BETWEEN %s AND %s AND +project_id = %s "
                f"ORDER BY created_at, id",
                [first_id, last_id, project.pk],
            )
            for (
                item_id,
                annotation_id,
                decision,
                reviewer_id,
                fixed_answer,
                created,
            ) in cursor.fetchall():
                entry = {"annotation": annotation_id, "decision": decision, "reviewer": reviewer_id}
                if decision == fixed:
                    entry["fixed_answer"] = db_json(fixed_answer)
                reviews.setdefault(item_id, []).append(entry)
                if annotation_id in by_annotation:
                    rule_review = {"decision": decision, "created_at": iso_utc(created)}
                    if decision == fixed:
                        rule_review["fixed_answer"] = db_json(fixed_answer)
                    by_annotation[annotation_id].setdefault("reviews", []).append(rule_review)
            page = []
            for item_id, content_hash in items:
                group = anns.get(item_id, [])
                final = labeler.final(item_id, group)
                payload = manifest.record_payload(
                    content_hash=content_hash,
                    final=final,
                    annotator_ids=[a["who"] for a in group],
                    guideline_versions=[a["guideline"] for a in group],
                    reviews=reviews.get(item_id, []),
                )
                page.append((item_id, manifest.record_hash(payload), final, content_hash))
            yield page


def _write_records(version: DatasetVersion, page: list) -> None:
    """One INSERT per page by executemany: bulk_create's model instances and per-row
    preparation were most of the build (cProfile, 2 x 20,000 items: ~12 of 21 s). The
    JSON value is prepared by the field itself (text on SQLite, jsonb on PostgreSQL),
    once per distinct final answer."""
    table = VersionRecord._meta.db_table
    field = VersionRecord._meta.get_field("final")
    prepared: dict[bytes, Any] = {}
    rows = []
    for item_id, rec_hash, final, _content in page:
        if final is None:
            value = None
        else:
            key = manifest.canonical_json(final)
            if key not in prepared:
                prepared[key] = field.get_db_prep_value(final, connection)
            value = prepared[key]
        rows.append((version.pk, item_id, rec_hash, value))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (version_id, item_id, record_hash, final) "
            f"VALUES (%s, %s, %s, %s)",
            rows,
        )


def build_version(*, version_id: int) -> DatasetVersion:
    """Worker entry point: read the project's labelled items page by page, write the
    manifest rows, then the version id and count. A failed build keeps no rows."""
    with transaction.atomic():
        version = (
            DatasetVersion.objects.select_for_update().select_related("project").get(pk=version_id)
        )
        if version.status != DatasetVersion.Status.QUEUED:
            return version
        version.start_run("Reading labelled items")
    project = version.project
    try:
        total = Item.objects.filter(project=project, done_count__gt=0).count()
        digest = manifest.VersionDigest()
        for page in _pages(project):
            _write_records(version, page)
            for item_id, rec_hash, _f, _c in page:
                digest.add(item_id, rec_hash)
            version.set_progress(
                min(digest.count / max(total, 1), 0.99), f"{digest.count} of {total} items"
            )
    except Exception as exc:  # noqa: BLE001 - the run records any failure for the user
        logger.exception("dataset version %s failed", version.pk)
        return _finish(version, failed=f"The build stopped: {type(exc).__name__}: {exc}")
    version.version_id = digest.hexdigest()
    version.record_count = digest.count
    version.final_label_rule = _rule(project)
    return _finish(version)


def _rule(project: Project) -> str:
    from trainerdesk.quality.models import QualitySettings

    return str(QualitySettings.for_project(project).final_label_rule)


def _finish(version: DatasetVersion, *, failed: str = "") -> DatasetVersion:
    with transaction.atomic():
        if failed:
            VersionRecord.objects.filter(version=version).delete()
            version.record_count, version.version_id = 0, ""
            fields = version.fail(failed, save=False)
        else:
            fields = version.finish(f"{version.record_count} items", save=False)
        version.save(update_fields=[*fields, "version_id", "record_count", "final_label_rule"])
        if not failed:
            runs.announce_finished(version)
        audit.record(
            action="governance.dataset_version.finish",
            obj=version,
            project=version.project,
            changes={
                "status": version.status,
                "version_id": version.version_id,
                "record_count": version.record_count,
            },
        )
    return version


def update_version(
    *, version: DatasetVersion, tags: list[str] | None = None, notes: str | None = None, by
) -> DatasetVersion:
    """Change a version's tags or notes (its records never change)."""
    fields = ["tags", "notes"]
    with transaction.atomic():
        version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
        before = snapshot(version, fields)
        if tags is not None:
            version.tags = _check_tags(tags)
        if notes is not None:
            version.notes = notes
        changes = changed_fields(before, version, fields)
        if changes:
            version.save(update_fields=list(changes))
            audit.record(
                action="governance.dataset_version.update",
                obj=version,
                project=version.project,
                changes=changes,
                by=by,
            )
    return version


def iter_manifest(version: DatasetVersion, *, raw: bool = False) -> Iterator[tuple[int, str, Any]]:
    """(item id, record hash, final) in item-id order, read by keyset pages; with raw the
    final is its JSON text as stored (what the diff compares).

    Raw SQL rather than the ORM: the JSON field's per-row decoding and model machinery
    were most of a diff's time (50,000 items: 2.5 s on the loaded dev machine)."""
    table = VersionRecord._meta.db_table
    last = -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT item_id, record_hash, final FROM {table} WHERE version_id = %s "
                f"AND item_id > %s ORDER BY item_id LIMIT %s",
                [version.pk, last, PAGE * 4],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            if raw:
                yield from rows
            else:
                for item_id, rec_hash, final in rows:
                    yield item_id, rec_hash, None if final is None else db_json(final)


def read_version_records(version: DatasetVersion) -> list[tuple[int, str]]:
    return [(i, h) for i, h, _f in iter_manifest(version)]


def _require_done(version: DatasetVersion) -> None:
    if version.status != DatasetVersion.Status.DONE:
        raise ConflictError(f"version {version.name!r} is {version.status}, not built yet")


def diff_versions(*, old: DatasetVersion, new: DatasetVersion) -> manifest.Diff:
    """What changed from `old` to `new` (a read: nothing is written or audited)."""
    if old.project_id != new.project_id:
        raise InvalidInput(
            ["versions: a diff compares two versions of one project; these belong to "
             f"projects {old.project_id} and {new.project_id}"]
        )  # fmt: skip
    _require_done(old)
    _require_done(new)
    return manifest.diff_manifests(iter_manifest(old, raw=True), iter_manifest(new, raw=True))


@dataclass
class VersionExport:
    filename: str
    content: bytes
    sha256: str

    @property
    def checksum_file(self) -> bytes:
        """sha256sum's format: hash, two spaces, file name, LF (`sha256sum -c` reads it)."""
        return f"{self.sha256}  {self.filename}\n".encode()


EXPORT_FORMATS = ("jsonl",)


def export_version(*, version: DatasetVersion, fmt: str = "jsonl", by) -> VersionExport:
    """The version as a file, the same bytes every time: records in item-id order, each
    the workbench JSONL export's line (data, id, external_id, final) with the final
    answer the version stored and the item's data (items' data is never edited; its
    content hash is in each record hash). An item deleted since makes the export refuse
    rather than write a file that is not the version."""
    from trainerdesk.workbench import formats

    if fmt not in EXPORT_FORMATS:
        raise InvalidInput([f"format: {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}"])
    _require_done(version)
    chunks: list[bytes] = []
    missing = 0
    rows = iter_manifest(version)
    while True:
        page = [r for _, r in zip(range(PAGE), rows, strict=False)]
        if not page:
            break
        ids = [r[0] for r in page]
        items = {
            pk: (external_id, data, content_hash)
            for pk, external_id, data, content_hash in Item.objects.filter(
                project_id=version.project_id, id__in=ids
            ).values_list("id", "external_id", "data", "content_hash")
        }
        records = []
        for item_id, _h, final in page:
            item = items.get(item_id)
            if item is None:
                missing += 1
                continue
            records.append(
                {"id": item_id, "external_id": item[0], "data": db_json(item[1]), "final": final}
            )
        chunks.extend(formats.write_jsonl(records, include_annotations=False))
    if missing:
        raise ConflictError(
            f"{missing} items of version {version.name!r} were deleted since it was made; "
            "its export cannot be reproduced"
        )
    content = b"".join(chunks)
    sha = hashlib.sha256(content).hexdigest()
    filename = f"project-{version.project_id}-{_slug(version.name)}-{version.version_id[:12]}.{fmt}"
    with transaction.atomic():
        audit.record(
            action="governance.dataset_version.export",
            obj=version,
            project=version.project,
            changes={"format": fmt, "sha256": sha, "size": len(content)},
            by=by,
        )
    return VersionExport(filename=filename, content=content, sha256=sha)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:60] or "version"
