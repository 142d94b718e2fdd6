"""Quality pages. Label errors: start a run (managers), watch its progress, review the
findings of a run (managers and reviewers)."""

from __future__ import annotations

import csv
import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality import access as quality_access
from trainerdesk.quality import report_page
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import (
    AgreementReport,
    GoldAccuracySnapshot,
    ItemAgreement,
    LabelErrorFinding,
    LabelErrorRun,
    Review,
    Scorecard,
)
from trainerdesk.workbench import access, blind, services, views_annotate, views_runs
from trainerdesk.workbench.models import Annotation, Item, Project
from trainerdesk.workbench.readable import readable_answer
from trainerdesk.workbench.services import ConflictError, InvalidInput

report = lazy_module("trainerdesk.quality.report")  # NumPy: loaded on first use

FINDINGS_PER_PAGE = 50
EXCERPT_CHARS = 240


def _run_context(project, run: LabelErrorRun | None) -> dict:
    context = {"project": project, "run": run, "can_manage": access.can(project, "manage")}
    if run is not None:
        context |= views_runs.card_context(
            run,
            poll_url=reverse("quality:label_error_run", args=[project.pk, run.pk]),
            card_id="run-status",
            title=f"Run {run.pk} on {run.field_name}",
            details="quality/label_errors.html#run-details",
        )
    return context


def _findings_context(request: HttpRequest, project, run: LabelErrorRun | None) -> dict:
    if run is None or run.status != LabelErrorRun.Status.DONE:
        return {"page": None, "status_filter": ""}
    status_filter = request.GET.get("status", "")
    qs = run.findings.select_related("item", "decided_by").order_by("rank")
    if status_filter in LabelErrorFinding.Status.values:
        qs = qs.filter(status=status_filter)
    else:
        status_filter = ""
    page = Paginator(qs, FINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    source = next((f.source for f in project.schema.fields if f.name == run.field_name), None)
    for finding in page:
        text = finding.item.data.get(source) if isinstance(finding.item.data, dict) else None
        finding.excerpt = str(text or "")[:EXCERPT_CHARS]
        finding.truncated = len(str(text or "")) > EXCERPT_CHARS
    return {"page": page, "status_filter": status_filter, "open_count": run.findings.open().count()}


@login_required
@require_http_methods(["GET", "POST"])
def label_errors(request: HttpRequest, project_id: int) -> HttpResponse:
    """The review queue of the latest run (or ?run=<id>); managers start runs here."""
    if request.method == "POST":
        # A dead run must not block a new one.
        project = access.get_project_with_runs(request.user, project_id, action="manage")
        try:
            run = quality.start_label_error_run(
                project=project, by=request.user, field_name=request.POST.get("field") or None
            )
        except (InvalidInput, ConflictError) as exc:
            messages.error(request, str(exc))
            return redirect("quality:label_errors", project_id=project.pk)
        return redirect(reverse("quality:label_errors", args=[project.pk]) + f"?run={run.pk}")
    project = access.get_project_with_runs(request.user, project_id, action="see_all_work")
    recent = list(LabelErrorRun.objects.filter(project=project).select_related("created_by")[:10])
    if request.GET.get("run"):
        run = quality_access.get_label_error_run_for_user(request.user, project, request.GET["run"])
    else:
        run = recent[0] if recent else None
    context = _run_context(project, run) | _findings_context(request, project, run)
    context |= {
        "runs": recent,
        "fields": quality.label_error_fields(project),
    }
    return TemplateResponse(request, "quality/label_errors.html", context)


@login_required
@require_GET
def label_error_run(request: HttpRequest, project_id: int, run_id: int) -> HttpResponse:
    """The run's progress card, polled by htmx; a plain request goes to the full page."""
    project = access.get_project_with_runs(request.user, project_id, action="see_all_work")
    run = quality_access.get_label_error_run_for_user(request.user, project, run_id)
    page_url = reverse("quality:label_errors", args=[project.pk]) + f"?run={run.pk}"
    if not request.htmx:
        return redirect(page_url)
    # The findings appear below the card: reload the page once the run is done.
    return views_runs.run_progress(request, _run_context(project, run), page_url=page_url)


@login_required
@require_POST
def decide_label_error(request: HttpRequest, project_id: int, finding_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    finding = quality_access.get_label_error_finding_for_user(request.user, project, finding_id)
    error = ""
    try:
        quality.decide_label_error(
            finding=finding,
            decision=request.POST.get("decision", ""),
            corrected_label=request.POST.get("corrected_label") or None,
            by=request.user,
        )
    except InvalidInput as exc:
        error = str(exc)
    if request.htmx:
        source = next(
            (f.source for f in project.schema.fields if f.name == finding.run.field_name), None
        )
        text = str(finding.item.data.get(source) or "") if source else ""
        finding.excerpt, finding.truncated = text[:EXCERPT_CHARS], len(text) > EXCERPT_CHARS
        context = {"project": project, "run": finding.run, "finding": finding, "error": error}
        return TemplateResponse(
            request,
            "quality/label_errors.html#finding",
            context,
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    back = request.POST.get("next", "")
    prefix = reverse("quality:label_errors", args=[project.pk])
    return redirect(back if back.startswith(prefix) else f"{prefix}?run={finding.run_id}")


# --- review: the review queue page ---------------------------------------------------------

REVIEW_TEMPLATE = "quality/review.html"
SCOPE_NAMES = {
    "all": "All annotated items",
    "disagreement": "Disagreement (the answers differ)",
    "low": "Low confidence",
}


def _scope(request: HttpRequest) -> str:
    scope = request.GET.get("scope") or request.POST.get("scope") or "all"
    return scope if scope in quality.SCOPES else "all"


def _workspace(
    request: HttpRequest,
    project: Project,
    item: Item | None,
    *,
    scope: str,
    selected: int | None = None,
    errors: list[str] | None = None,
    fix: dict | None = None,
) -> dict:
    context: dict = {"project": project, "item": item, "scope": scope, "errors": errors or []}
    context["scopes"] = SCOPE_NAMES.items()
    if item is None:
        return context
    schema = project.schema
    # with_responses: a pairwise field over two data keys shows them as its two responses.
    data = schema.with_responses(item.data) if isinstance(item.data, dict) else {}
    annotations = list(
        Annotation.objects.filter(item=item)
        .select_related("annotator")
        .prefetch_related("reviews__reviewer")
        .order_by("created_at", "id")
    )
    cards = []
    for a in annotations:
        history = sorted(a.reviews.all(), key=lambda r: (r.created_at, r.pk))
        cards.append(
            {
                "annotation": a,
                "latest": history[-1] if history else None,
                "history": history,
                "fields": [
                    {"name": f.name, "lines": readable_answer(f, a.answer.get(f.name), data)}
                    for f in schema.fields
                ],
                "answer_json": json.dumps(a.answer),
            }
        )
    if selected is None or selected not in {a.pk for a in annotations}:
        pending = [c for c in cards if c["latest"] is None and not c["annotation"].skipped]
        selected = (pending or cards)[0]["annotation"].pk if cards else None
    chosen = next((c for c in cards if c["annotation"].pk == selected), None)
    if fix is None:
        fix = dict(chosen["annotation"].answer) if chosen else {}
    fix_fields = []
    for f in schema.fields:
        value = fix.get(f.name)
        entry = {"field": f}
        if f.type == "choice":
            picked = set(value if isinstance(value, list) else [value] if value else [])
            entry["labels"] = [(lb, lb.value in picked) for lb in f.labels]
        elif f.type == "text":
            entry["text"] = value if isinstance(value, str) else ""
        else:
            entry["json"] = json.dumps(value, ensure_ascii=False) if value is not None else ""
        fix_fields.append(entry)
    # The item itself, shown the way the annotation page shows it but in the item's own
    # response order (answers are stored in that order).
    response_sources = blind.response_sources(schema)
    image_keys = services.image_keys(schema)
    source = next(
        (f.source for f in schema.fields
         if f.source and f.source not in response_sources and f.source not in image_keys),
        "prompt" if response_sources else "text",
    )  # fmt: skip
    context |= {
        "cards": cards,
        "selected": selected,
        "fix_fields": fix_fields,
        "text": data.get(source) if isinstance(data.get(source), str) else None,
        "title": data.get("title") if isinstance(data.get("title"), str) else None,
        "response_blocks": [
            {"source": s, "responses": rs}
            for s in response_sources
            if (rs := views_annotate.responses_of(data, s))
        ],
        "image": views_annotate.image_view(project, item, image_keys[0]) if image_keys else None,
        "prediction": item.best_prediction(),
        "returned": Review.objects.filter(item=item, annotation__isnull=True, sent_back=True)
        .select_related("reviewer")
        .order_by("created_at", "id"),
    }
    return context


def _render(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    template = f"{REVIEW_TEMPLATE}#review_workspace" if request.htmx else REVIEW_TEMPLATE
    context["quality_settings"] = quality.settings_for(context["project"])
    return TemplateResponse(request, template, context, status=status)


def _url(project: Project, scope: str, item: Item | None) -> str:
    url = reverse("quality:review", args=[project.pk]) + f"?scope={scope}"
    return url + (f"&item={item.pk}" if item else "")


@login_required
@require_GET
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="review")
    scope = _scope(request)
    if request.GET.get("item"):
        item = access.get_item_for_user(request.user, project, request.GET["item"])
    elif "scope" not in request.GET:
        # Opened plainly: disagreements nobody reviewed yet first (items where everyone
        # agreed are the least likely to need a reviewer), then every annotated item.
        item, scope = quality.first_disagreement(project=project), "disagreement"
        if item is None:
            item, scope = quality.next_review_item(project=project), "all"
    else:
        item = quality.next_review_item(project=project, scope=scope)
    selected = request.GET.get("annotation")
    selected = int(selected) if selected and selected.isdigit() else None
    return _render(request, _workspace(request, project, item, scope=scope, selected=selected))


@login_required
@require_GET
def review_next(request: HttpRequest, project_id: int) -> HttpResponse:
    """The next item in the queue after the one given (Enter on the review page)."""
    project = access.get_project_for_user(request.user, project_id, action="review")
    scope = _scope(request)
    after = request.GET.get("after", "")
    after = int(after) if after.isdigit() and int(after) < 2**63 else 0
    item = quality.next_review_item(project=project, scope=scope, after=after)
    if item is not None and item.pk == after:
        item = None  # only this one is left: say so instead of showing it again
    if not request.htmx:
        return redirect(_url(project, scope, item) + ("" if item else "&done=1"))
    response = _render(request, _workspace(request, project, item, scope=scope))
    response["HX-Push-Url"] = _url(project, scope, item)
    return response


@login_required
@require_POST
def review_decide(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="review")
    scope = _scope(request)
    item = access.get_item_for_user(request.user, project, request.POST.get("item"))
    annotation = access.get_annotation_for_user(
        request.user, project, request.POST.get("annotation")
    )
    if annotation.item_id != item.pk:
        raise Http404("No such annotation")
    annotation.item = item
    decision = request.POST.get("decision", "")
    fix, errors = (None, [])
    if decision == Review.Decision.FIXED:
        fix, errors = views_annotate.answer_from_post(project, request.POST)
        errors = [e.replace("answer.", "fixed_answer.", 1) for e in errors]
    try:
        if errors:
            raise services.InvalidInput(errors)
        quality.record_review(
            project=project,
            annotation=annotation,
            reviewer=request.user,
            decision=decision,
            reason=request.POST.get("reason", ""),
            fixed_answer=fix,
            send_back=decision == Review.Decision.REJECTED and bool(request.POST.get("send_back")),
        )
    except services.WorkbenchError as exc:
        context = _workspace(
            request,
            project,
            item,
            scope=scope,
            selected=annotation.pk,
            errors=getattr(exc, "errors", None) or [str(exc)],
            fix=fix,
        )
        # Reopen the box the reviewer was in, with what they typed.
        context["open_box"] = {"rejected": "reject-box", "fixed": "fix-box"}.get(decision, "")
        context["reason"] = request.POST.get("reason", "")
        return _render(request, context, status=422 if request.htmx else 200)
    if not request.htmx:
        return redirect(_url(project, scope, item))
    return _render(request, _workspace(request, project, item, scope=scope))


# --- gold accuracy ----------------------------------------------------------------------------


def parse_window(get) -> tuple[object, object, list[str]]:
    """?since=YYYY-MM-DD&until=YYYY-MM-DD (until inclusive) as aware datetimes."""
    from datetime import date, datetime, time, timedelta

    from django.utils import timezone

    out, errors = [], []
    for name, shift in (("since", 0), ("until", 1)):
        raw = (get(name) or "").strip()
        if not raw:
            out.append(None)
            continue
        try:
            day = date.fromisoformat(raw) + timedelta(days=shift)
        except ValueError:
            errors.append(f"{name}: {raw[:40]!r} is not a date (use YYYY-MM-DD)")
            out.append(None)
            continue
        out.append(timezone.make_aware(datetime.combine(day, time.min)))
    return out[0], out[1], errors


@login_required
@require_http_methods(["GET", "POST"])
def gold(request: HttpRequest, project_id: int) -> HttpResponse:
    """Accuracy on gold per annotator. Managers and reviewers see everyone and the gold
    items (hardest first); an annotator sees only their own numbers, never which items were
    gold, and only as own_gold_accuracy allows. Managers record snapshots (POST)."""
    if request.method == "POST":
        project = access.get_project_for_user(request.user, project_id, action="manage")
        since, until, errors = parse_window(request.POST.get)
        if errors:
            for e in errors:
                messages.error(request, e)
        else:
            saved = quality.record_gold_snapshots(
                project=project, by=request.user, since=since, until=until
            )
            messages.success(request, f"Recorded {len(saved)} snapshot(s).")
        return redirect("quality:gold", project_id=project.pk)
    project = access.get_project_for_user(request.user, project_id, action="view")
    see_all = access.can(project, "see_all_work")
    if not see_all:
        own = quality.own_gold_accuracy(project=project, annotator=request.user)
        context = {
            "project": project,
            "own": own,
            "see_all": False,
            "quality_settings": quality.settings_for(project),
        }
        return TemplateResponse(request, "quality/gold.html", context)
    since, until, errors = parse_window(request.GET.get)
    report = quality.gold_accuracy(project=project, since=since, until=until)
    snapshots = (
        GoldAccuracySnapshot.objects.filter(project=project).select_related("annotator")[:50]
        if access.can(project, "manage")
        else []
    )
    context = {
        "project": project,
        "report": report,
        "see_all": see_all,
        "can_manage": access.can(project, "manage"),
        "errors": errors,
        "raw": request.GET,
        "snapshots": snapshots,
        "quality_settings": quality.settings_for(project),
    }
    return TemplateResponse(request, "quality/gold.html", context, status=400 if errors else 200)


# --- quality page, report export, annotator scorecards (qpage) ---------------------------


def _report_context(project, rep) -> dict:
    latest = quality.latest_agreement_report(project)
    context = {"project": project, "report": rep, "latest": latest}
    if rep is not None:
        context |= views_runs.card_context(
            rep,
            poll_url=reverse("quality:quality_page", args=[project.pk]),
            card_id="report-status",
            title=f"Report {rep.pk}",
        )
    context["supported"] = report.SUPPORTED
    if latest is not None:
        context |= report_page.page_data(latest.results)
    # The levels and weights to compute with: the latest report's, else the type's defaults.
    chosen = (latest.parameters if latest else {}).get("fields", {})
    context["options"] = [
        {
            "name": s.name,
            "type": s.type,
            "levels": s.levels(),
            "level": chosen.get(s.name, {}).get("level", s.alpha_level),
            "weights": chosen.get(s.name, {}).get(
                "kappa_weights", report.WEIGHT_NAMES[s.kappa_weights]
            ),
        }
        for s in quality.report_field_specs(project)
        if s.coded
    ]
    context["weight_names"] = tuple(report.WEIGHT_NAMES.values())
    return context


def _report_options(post) -> tuple[dict, dict]:
    """level.<field> and weights.<field> from the quality page's form."""
    levels = {k.removeprefix("level."): v for k, v in post.items() if k.startswith("level.")}
    weights = {k.removeprefix("weights."): v for k, v in post.items() if k.startswith("weights.")}
    return levels, weights


@login_required
@require_http_methods(["GET", "POST"])
def quality_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """Managers and reviewers: run an agreement report and read the latest one."""
    # A dead report must not block a new one.
    project = access.get_project_with_runs(request.user, project_id, action="see_all_work")
    if request.method == "POST":
        levels, weights = _report_options(request.POST)
        try:
            quality.start_agreement_report(
                project=project, levels=levels, kappa_weights=weights, by=request.user
            )
        except (ConflictError, InvalidInput) as exc:
            messages.error(request, str(exc))
        return redirect("quality:quality_page", project_id=project.pk)
    rep = AgreementReport.objects.filter(project=project).first()
    context = _report_context(project, rep)
    if rep is not None and request.htmx and request.GET.get("was"):
        # The figures appear below the card: reload the page once the report is done.
        return views_runs.run_progress(request, context, page_url=context["poll_url"])
    return TemplateResponse(request, "quality/quality.html", context)


def report_export_data(project) -> dict:
    """The latest finished report as the export's JSON document (404 without one)."""
    rep = quality.latest_agreement_report(project)
    if rep is None:
        raise Http404("No agreement report yet")
    return report_document(project, rep)


def report_document(project, rep: AgreementReport) -> dict:
    """A finished report as the export's JSON document."""
    items = list(
        ItemAgreement.objects.filter(report=rep)
        .order_by("item_id", "field")
        .values_list("item_id", "field", "score", "n_annotators")
    )
    return {
        "project": project.pk,
        "report": rep.pk,
        "computed_at": rep.computed_at.isoformat(),
        "digest": rep.digest,
        "digest_of": "sha256 over 'annotation id<TAB>updated_at' lines, sorted by id",
        "parameters": rep.parameters,
        "item_count": rep.item_count,
        "annotation_count": rep.annotation_count,
        "results": rep.results,
        "items": [{"item": i, "field": f, "score": s, "n_annotators": n} for i, f, s, n in items],
    }


@login_required
@require_GET
def report_export(request: HttpRequest, project_id: int, fmt: str) -> HttpResponse:

    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    data = report_export_data(project)
    name = f"quality-report-{project.pk}-{data['report']}"
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 1})
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=report_page.CSV_COLUMNS)
        writer.writeheader()
        items = [(r["item"], r["field"], r["score"], r["n_annotators"]) for r in data["items"]]
        writer.writerows(report_page.csv_rows(data, data["results"], items))
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def annotators(request: HttpRequest, project_id: int) -> HttpResponse:
    """Everyone who annotated here, with the scorecard's key figures (?sort=)."""
    from trainerdesk.quality import scorecards

    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    sort, errors = request.GET.get("sort") or "annotator", []
    try:
        sort = scorecards.check_sort(sort)
    except InvalidInput as exc:
        sort, errors = "annotator", exc.errors
    rows = scorecards.annotator_rows(project=project, sort=sort)
    columns = [
        ("annotator", "Annotator"), ("done", "Items done"), ("gold", "Gold accuracy"),
        ("gold_low", "Gold lower bound (95%)"), ("agreement", "Agreement (mean kappa)"),
        ("acceptance", "Review acceptance"), ("lead_time", "Median lead time"),
    ]  # fmt: skip
    context = {
        "project": project,
        "rows": rows,
        "sort": sort,
        "errors": errors,
        # Each header sorts by its column; again reverses it.
        "columns": [
            (k, name, f"-{k}" if sort == k else k, sort.removeprefix("-") == k)
            for k, name in columns
        ],  # fmt: skip
        "report": quality.latest_agreement_report(project),
    }
    return TemplateResponse(
        request, "quality/annotators.html", context, status=400 if errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def scorecard(request: HttpRequest, project_id: int, username: str) -> HttpResponse:

    project = access.get_project_for_user(request.user, project_id, action="view")
    user = quality_access.get_scorecard_annotator_for_user(request.user, project, username)
    live_gold = access.can(project, "see_all_work")  # see quality.own_gold_accuracy
    if request.method == "POST":
        quality.record_scorecard(
            project=project, annotator=user, by=request.user, live_gold=live_gold
        )
        messages.success(request, "Scorecard recorded")
        return redirect("quality:scorecard", project_id=project.pk, username=username)
    data = quality.build_scorecard(project=project, annotator=user, live_gold=live_gold)
    recorded = Scorecard.objects.filter(project=project, annotator=user)[:10]
    chart = {
        "labels": [t["week"] for t in data["trend"]],
        "done": [t["done"] for t in data["trend"]],
        "agreement": [t["agreement_with_majority"] for t in data["trend"]],
    }
    context = {"project": project, "who": user, "card": data, "recorded": recorded, "chart": chart}
    return TemplateResponse(request, "quality/scorecard.html", context)
