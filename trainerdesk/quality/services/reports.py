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
from trainerdesk.lib.jsonutil import db_json, iso_utc
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


def _read_report_input(rep: AgreementReport, builder: report.ReportBuilder) -> str:
    """Feed the builder the project's references, then its non-skipped annotations, one
    query per page (keyset on id; raw SQL for the same reason as export_records: per-row
    ORM converters dominate at a million rows). Returns the input digest."""
    from django.db import connection

    project = rep.project
    item_t, ann_t = Item._meta.db_table, Annotation._meta.db_table
    user_t = get_user_model()._meta.db_table
    total = Annotation.objects.filter(project=project, skipped=False).count() or 1
    digest = LineDigest()
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
                builder.add_reference(item_id, db_json(ref))
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
                digest.add(pk, iso_utc(updated))
                builder.add(item_id, username or imported or "?", db_json(answer), day)
            last = page[-1][0]
            seen += len(page)
            pages += 1
            if pages % 20 == 0:
                rep.set_progress(0.8 * seen / total, f"Read {seen:,} annotations")
    return digest.hexdigest()


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
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
    }
