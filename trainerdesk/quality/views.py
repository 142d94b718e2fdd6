"""Quality pages. Label errors: start a run (managers), watch its progress, review the
findings of a run (managers and reviewers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.quality import access as quality_access
from trainerdesk.quality import services
from trainerdesk.quality.models import GoldAccuracySnapshot, LabelErrorFinding, LabelErrorRun
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
    items (hardest first); an annotator sees only their own row and not which items were
    gold. Managers record snapshots (POST)."""
    if request.method == "POST":
        project = access.get_project_for_user(request.user, project_id, action="manage")
        since, until, errors = parse_window(request.POST.get)
        if errors:
            for e in errors:
                messages.error(request, e)
        else:
            saved = services.record_gold_snapshots(
                project=project, by=request.user, since=since, until=until
            )
            messages.success(request, f"Recorded {len(saved)} snapshot(s).")
        return redirect("quality:gold", project_id=project.pk)
    project = access.get_project_for_user(request.user, project_id, action="view")
    see_all = access.can(project, "see_all_work")
    since, until, errors = parse_window(request.GET.get)
    report = services.gold_accuracy(
        project=project,
        since=since,
        until=until,
        annotator_ids=None if see_all else [request.user.pk],
    )
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
    }
    return TemplateResponse(request, "quality/gold.html", context, status=400 if errors else 200)
