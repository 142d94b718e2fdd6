"""Quality pages. Label errors: start a run (managers), watch its progress, review the
findings of a run (managers and reviewers)."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.quality import access as quality_access
from trainerdesk.quality import report, services
from trainerdesk.quality.models import (
    AgreementReport,
    ItemAgreement,
    LabelErrorFinding,
    LabelErrorRun,
    Scorecard,
)
from trainerdesk.workbench import access
from trainerdesk.workbench.services import ConflictError, InvalidInput

FINDINGS_PER_PAGE = 50
EXCERPT_CHARS = 240


def _run_context(project, run: LabelErrorRun | None) -> dict:
    return {"project": project, "run": run, "can_manage": access.can(project, "manage")}


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
        project = access.get_project_for_user(request.user, project_id, action="manage")
        try:
            run = services.start_label_error_run(
                project=project, by=request.user, field_name=request.POST.get("field") or None
            )
        except (InvalidInput, ConflictError) as exc:
            messages.error(request, str(exc))
            return redirect("quality:label_errors", project_id=project.pk)
        return redirect(reverse("quality:label_errors", args=[project.pk]) + f"?run={run.pk}")
    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    runs = list(LabelErrorRun.objects.filter(project=project).select_related("created_by")[:10])
    if request.GET.get("run"):
        run = quality_access.get_label_error_run_for_user(request.user, project, request.GET["run"])
    else:
        run = runs[0] if runs else None
    context = _run_context(project, run) | _findings_context(request, project, run)
    context |= {
        "runs": runs,
        "fields": services.label_error_fields(project),
    }
    return TemplateResponse(request, "quality/label_errors.html", context)


@login_required
@require_GET
def label_error_run(request: HttpRequest, project_id: int, run_id: int) -> HttpResponse:
    """The run's progress card, polled by htmx; a plain request goes to the full page."""
    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    run = quality_access.get_label_error_run_for_user(request.user, project, run_id)
    page_url = reverse("quality:label_errors", args=[project.pk]) + f"?run={run.pk}"
    if not request.htmx:
        return redirect(page_url)
    response = TemplateResponse(
        request, "quality/label_errors.html#run-status", _run_context(project, run)
    )
    if run.is_finished and request.GET.get("was") in ("queued", "running"):
        # The findings appear below the card: reload the page once the run is done.
        response["HX-Redirect"] = page_url
    return response


@login_required
@require_POST
def decide_label_error(request: HttpRequest, project_id: int, finding_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    finding = quality_access.get_label_error_finding_for_user(request.user, project, finding_id)
    error = ""
    try:
        services.decide_label_error(
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


# --- quality page, report export, annotator scorecards (qpage) ---------------------------


def _report_context(project, rep) -> dict:
    latest = services.latest_agreement_report(project)
    context = {"project": project, "report": rep, "latest": latest}
    context["supported"] = report.SUPPORTED
    if latest is not None:
        context |= report.page_data(latest.results)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def quality_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """Managers and reviewers: run an agreement report and read the latest one."""
    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    if request.method == "POST":
        try:
            services.start_agreement_report(project=project, by=request.user)
        except ConflictError as exc:
            messages.error(request, str(exc))
        return redirect("quality:quality_page", project_id=project.pk)
    rep = AgreementReport.objects.filter(project=project).first()
    context = _report_context(project, rep)
    if request.htmx and request.GET.get("status"):
        response = TemplateResponse(request, "quality/quality.html#report-status", context)
        if rep is not None and rep.is_finished and request.GET["status"] in ("queued", "running"):
            response["HX-Redirect"] = reverse("quality:quality_page", args=[project.pk])
        return response
    return TemplateResponse(request, "quality/quality.html", context)


def report_export_data(project) -> dict:
    """The latest report as the export's JSON document (404 without one)."""

    rep = services.latest_agreement_report(project)
    if rep is None:
        raise Http404("No agreement report yet")
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
        writer = csv.DictWriter(buf, fieldnames=report.CSV_COLUMNS)
        writer.writeheader()
        items = [(r["item"], r["field"], r["score"], r["n_annotators"]) for r in data["items"]]
        writer.writerows(report.csv_rows(data, data["results"], items))
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def annotators(request: HttpRequest, project_id: int) -> HttpResponse:

    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    ids = set(project.annotations.exclude(annotator=None).values_list("annotator_id", flat=True))
    ids |= set(project.members.values_list("user_id", flat=True))
    users = get_user_model().objects.filter(id__in=ids).order_by("username")
    return TemplateResponse(
        request, "quality/annotators.html", {"project": project, "users": users}
    )


@login_required
@require_http_methods(["GET", "POST"])
def scorecard(request: HttpRequest, project_id: int, username: str) -> HttpResponse:

    project = access.get_project_for_user(request.user, project_id, action="view")
    user = quality_access.get_scorecard_annotator_for_user(request.user, project, username)
    if request.method == "POST":
        services.record_scorecard(project=project, annotator=user, by=request.user)
        messages.success(request, "Scorecard recorded")
        return redirect("quality:scorecard", project_id=project.pk, username=username)
    data = services.build_scorecard(project=project, annotator=user)
    recorded = Scorecard.objects.filter(project=project, annotator=user)[:10]
    chart = {
        "labels": [t["week"] for t in data["trend"]],
        "done": [t["done"] for t in data["trend"]],
        "agreement": [t["agreement_with_majority"] for t in data["trend"]],
    }
    context = {"project": project, "who": user, "card": data, "recorded": recorded, "chart": chart}
    return TemplateResponse(request, "quality/scorecard.html", context)
