"""Agreement reports: parameters, the worker's computation, the stored results."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.jsonutil import db_json
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality.models import (
    AgreementReport,
    ItemAgreement,
    QualitySettings,
)
from trainerdesk.workbench.models import Annotation, Item, Project
from trainerdesk.workbench.services import ConflictError, InvalidInput

logger = logging.getLogger(__name__)
if TYPE_CHECKING:
    from trainerdesk.quality import metrics, report
else:  # NumPy and friends load on first use (lib/lazy.py)
    metrics = lazy_module("trainerdesk.quality.metrics")
    report = lazy_module("trainerdesk.quality.report")


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
        audit.record(
            action="quality.agreement_report.create",
            obj=rep,
            project=project,
            changes={"parameters": rep.parameters},
            by=by,
        )
        transaction.on_commit(lambda: compute_agreement_report_task.enqueue(report_id=rep.pk))
    return rep


def _sql_parts(vendor: str) -> dict[str, str]:
    """The per-annotation SQL expressions of the report's read, per database.

    line: the digest's canonical line `id<TAB>iso_utc(updated_at)<LF>` built by the
    database (SQLite keeps Django's UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]", isoformat()
    with a T and the offset; PostgreSQL drops the microseconds when they are zero, as
    isoformat() does): str() and iso_utc() per row were a third of a million-row
    report. day: the UTC day of created_at. name: username, else the imported annotator,
    else "?". choice: a field's value as report.CHOICE_TEXT + the string, NULL when
    absent or null, "x" when not a string (JSON extraction in C instead of decoding every
    answer in Python). project: the keyset read's project filter. SQLite's unary + keeps
    it off the project index so the read walks the rowid in order; PostgreSQL's + would
    hide the column from the planner's statistics, which then guesses a few hundred
    matching rows and sorts the whole table for each early page (the top-N heapsort over
    every annotation was most of a report's time there, bench_agreement_service)."""
    if vendor == "sqlite":
        return {
            "project": "+a.project_id",
            "line": "a.id || char(9) || replace(CAST(a.updated_at AS TEXT), ' ', 'T') "
            "|| '+00:00' || char(10)",
            "day": "substr(a.created_at, 1, 10)",
            "object": "json_type(a.answer) = 'object'",
            "choice": "CASE coalesce(json_type(a.answer, '$.{f}'), 'null') WHEN 'null' "
            "THEN NULL WHEN 'text' THEN '{s}' || json_extract(a.answer, '$.{f}') "
            "ELSE 'x' END",
        }
    return {
        "project": "a.project_id",
        # One to_char with the microseconds, dropped again when they are all zero (the
        # pattern can only match there): a quarter less time than two to_char calls.
        "line": "a.id::text || chr(9) || replace(to_char(a.updated_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00'), '.000000+', '+') || chr(10)",
        "day": "to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        "object": "jsonb_typeof(a.answer) = 'object'",
        "choice": "CASE coalesce(jsonb_typeof(a.answer -> '{f}'), 'null') WHEN 'null' "
        "THEN NULL WHEN 'string' THEN '{s}' || (a.answer ->> '{f}') ELSE 'x' END",
    }


def _read_report_input(rep: AgreementReport, builder: report.ReportBuilder) -> str:
    """Feed the builder the project's references, then its non-skipped annotations, one
    query per page (keyset on id; raw SQL for the same reason as export_records: per-row
    ORM converters dominate at a million rows). When every field is a single choice the
    database extracts the fields' values and the builder takes them by columns
    (add_choice_columns); else each answer is decoded here. Returns the input digest."""
    from django.db import connection

    project = rep.project
    item_t, ann_t = Item._meta.db_table, Annotation._meta.db_table
    user_t = get_user_model()._meta.db_table
    total = Annotation.objects.filter(project=project, skipped=False).count() or 1
    digest = LineDigest()
    sql = _sql_parts(connection.vendor)
    choices = builder.choice_fields()  # names match schema.fields._NAME_RE: safe in SQL
    if choices:
        columns = ", ".join(sql["choice"].format(f=f, s=report.CHOICE_TEXT) for f in choices)
        answer_sql = f"{sql['object']}, {columns}"
    else:
        answer_sql = "a.answer"
    name_sql = "COALESCE(NULLIF(u.username, ''), NULLIF(a.imported_annotator, ''), '?')"
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
                builder.add_reference(item_id, db_json(ref))
            last = page[-1][0]
        last, seen, pages = 0, 0, 0
        while True:
            cursor.execute(
                f"SELECT a.id, {sql['line']}, a.item_id, {name_sql}, {sql['day']}, "
                f"{answer_sql} FROM {ann_t} a LEFT JOIN {user_t} u "
                f"ON u.id = a.annotator_id WHERE {sql['project']} = %s AND a.id > %s "
                f"AND a.skipped = %s ORDER BY a.id LIMIT %s",
                [project.pk, last, False, _REPORT_PAGE],
            )
            page = cursor.fetchall()
            if not page:
                break
            _ids, lines, item_ids, names, days, *answers = zip(*page, strict=True)
            digest.add_lines(lines)
            if choices:
                builder.add_choice_columns(item_ids, names, days, answers[0], answers[1:])
            else:
                for item_id, name, answer, day in zip(
                    item_ids, names, answers[0], days, strict=True
                ):
                    builder.add(item_id, name, db_json(answer), day)
            last = page[-1][0]
            seen += len(page)
            pages += 1
            if pages % 20 == 0:
                rep.set_progress(0.8 * seen / total, f"Read {seen:,} annotations")
        if choices and builder.references:
            _read_reference_answers(cursor, project, builder, sql["day"], name_sql)
    return digest.hexdigest()


def _read_reference_answers(cursor, project, builder, day_sql: str, name_sql: str) -> None:
    """The whole answers on reference items, which add_choice_columns() does not see."""
    item_t, ann_t = Item._meta.db_table, Annotation._meta.db_table
    user_t = get_user_model()._meta.db_table
    last = 0
    while True:
        cursor.execute(
            f"SELECT a.id, a.item_id, {name_sql}, a.answer, {day_sql} FROM {ann_t} a "
            f"JOIN {item_t} i ON i.id = a.item_id LEFT JOIN {user_t} u "
            f"ON u.id = a.annotator_id WHERE i.project_id = %s AND i.reference IS NOT NULL "
            f"AND a.id > %s AND a.skipped = %s ORDER BY a.id LIMIT %s",
            [project.pk, last, False, _REPORT_PAGE],
        )
        page = cursor.fetchall()
        if not page:
            break
        builder.add_reference_answers(
            (item_id, name, db_json(answer), day) for _pk, item_id, name, answer, day in page
        )
        last = page[-1][0]


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
            dawid_skene=QualitySettings.for_project(rep.project).final_label_rule
            == QualitySettings.FinalLabelRule.DAWID_SKENE,
        )
        rep.digest = _read_report_input(rep, builder)
        rep.set_progress(0.8, "Computing agreement")
        out = builder.finish()
    except Exception as exc:  # noqa: BLE001 - the report must record any failure for the user
        logger.exception("agreement report %s failed", rep.pk)
        failed = rep.fail(f"The computation stopped: {type(exc).__name__}: {exc}", save=False)
        with transaction.atomic():
            rep.save(update_fields=[*failed, "digest"])
            _record_finish(rep)
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
        _record_finish(rep)
    return rep


def _record_finish(rep: AgreementReport) -> None:
    # The worker's event: its actor is the task (quality/tasks.py, audit.acting_as).
    audit.record(
        action="quality.agreement_report.finish",
        obj=rep,
        project=rep.project,
        changes={
            "status": rep.status,
            "annotation_count": rep.annotation_count,
            "item_count": rep.item_count,
            "inputs_sha256": rep.digest,
        },
    )


def _insert_item_agreements(rows: list[tuple]) -> None:
    """executemany rather than bulk_create: building 250,000 model instances and their
    INSERT SQL took 30 s of a report over 1,000,000 annotations (bench_agreement_service).
    On PostgreSQL COPY: executemany there still makes one round trip per row."""
    from django.db import connection

    t = ItemAgreement._meta.db_table
    columns = "report_id, item_id, field, score, n_annotators"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {t} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {t} ({columns}) VALUES (%s, %s, %s, %s, %s)"
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
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
    }
