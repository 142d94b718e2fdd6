"""Quality workflows. Label-error detection: start a run, run it in the worker, record a
reviewer's verdict on each finding."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from trainerdesk.quality import label_errors, report
from trainerdesk.quality.models import (
    AgreementReport,
    ItemAgreement,
    LabelErrorFinding,
    LabelErrorRun,
    Scorecard,
)
from trainerdesk.workbench.models import Project
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
            )
        )
    return specs


def _report_parameters(specs: list[report.FieldSpec]) -> dict:
    levels = {"choice": "nominal", "pairwise": "ordinal", "rating": "ordinal and interval",
              "spans": "span F1 (exact and overlap)", "boxes": "box F1 and mean IoU"}  # fmt: skip
    return {
        "fields": {
            s.name: {
                "type": s.type,
                "level": "per-label binary + Jaccard alpha"
                if s.type == "choice" and s.multiple
                else levels.get(s.type, "not supported"),
            }
            for s in specs
        },
        "annotations": "non-skipped",
        "box_iou_threshold": 0.5,
        "pair_kappa_weights": {"choice": None, "pairwise": "linear", "rating": "linear"},
    }


def start_agreement_report(*, project: Project, by) -> AgreementReport:
    """Record a report and queue its computation for the worker."""
    from trainerdesk.quality.tasks import compute_agreement_report_task

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
            parameters=_report_parameters(report_field_specs(project)),
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
                _set_report_progress(rep, 0.8 * seen / total, f"Read {seen:,} annotations")
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


def _set_report_progress(rep: AgreementReport, progress: float, message: str) -> None:
    rep.progress = round(min(max(progress, 0.0), 1.0), 4)
    rep.message = message
    rep.save(update_fields=["progress", "message"])


def compute_agreement_report(*, report_id: int) -> AgreementReport:
    """Worker entry point: read, compute, and store the figures and per-item scores in one
    transaction (a failed report has no per-item rows)."""
    with transaction.atomic():
        rep = (
            AgreementReport.objects.select_for_update().select_related("project").get(pk=report_id)
        )
        if rep.status != AgreementReport.Status.QUEUED:
            return rep
        rep.status = AgreementReport.Status.RUNNING
        rep.message = "Reading annotations"
        rep.save(update_fields=["status", "message"])
    try:
        builder = report.ReportBuilder(report_field_specs(rep.project))
        rep.digest = _read_report_input(rep, builder)
        _set_report_progress(rep, 0.8, "Computing agreement")
        out = builder.finish()
    except Exception as exc:  # noqa: BLE001 - the report must record any failure for the user
        logger.exception("agreement report %s failed", rep.pk)
        rep.status = AgreementReport.Status.FAILED
        rep.message = f"The computation stopped: {type(exc).__name__}: {exc}"
        rep.save(update_fields=["status", "message", "digest"])
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
    rep.status = AgreementReport.Status.DONE
    rep.progress = 1.0
    rep.computed_at = timezone.now()
    rep.message = f"{rep.annotation_count:,} annotations on {rep.item_count:,} items"
    with transaction.atomic():
        _insert_item_agreements(rows)
        rep.save(
            update_fields=[
                "results", "item_count", "annotation_count", "status", "progress",
                "computed_at", "message", "digest",
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
    """Accuracy on reference items (items whose `reference` answer is set) from a report,
    with its Wilson interval. The gold helper's per-annotator gold accuracy replaces this
    one function when gold items land; until then it is labelled "reference items"."""
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
    """Review acceptance rate. The review helper's Review model is not merged yet; this one
    function returns its figures once it is."""
    return {"available": False, "reason": "reviews: not available yet"}


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


def build_scorecard(*, project: Project, annotator, weeks: int = 8) -> dict:
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
        "review_acceptance": review_acceptance(project=project, annotator=annotator),
        "trend": trend,
        "report": {"id": rep.pk, "computed_at": rep.computed_at.isoformat(), "digest": rep.digest}
        if rep
        else None,
        "digest": digest.hexdigest(),
        "computed_at": now.isoformat(),
    }


def record_scorecard(*, project: Project, annotator, by) -> Scorecard:
    """Store the scorecard as computed now, so its numbers can be shown and checked later."""
    data = build_scorecard(project=project, annotator=annotator)
    with transaction.atomic():
        return Scorecard.objects.create(
            project=project,
            annotator=annotator,
            recorded_by=by,
            report_id=(data["report"] or {}).get("id"),
            digest=data["digest"],
            data=data,
        )
