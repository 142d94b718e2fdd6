"""Candidate pages (My assessments, an attempt's result) and staff pages (assessments,
create from a gold project, edit with version history). Thin: services write,
vetting/access.py answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.vetting import access, services
from trainerdesk.vetting.forms import AssessmentForm, NewAssessmentForm
from trainerdesk.vetting.models import Assessment, Attempt
from trainerdesk.workbench import access as workbench_access
from trainerdesk.workbench.models import Project


def _show_errors(form, errors: list[str]) -> None:
    """Service errors ("field: message") under their form field, the rest on top."""
    for error in errors:
        name, _, message = error.partition(": ")
        if name in form.fields:
            form.add_error(name, message)
        else:
            form.add_error(None, error)


# --- candidates ---------------------------------------------------------------------------


@login_required
@require_GET
def my_assessments(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    mine = list(Attempt.objects.filter(user=user).select_related("assessment"))
    rows = []
    for a in Assessment.objects.filter(status=Assessment.Status.ACTIVE):
        rows.append(
            {
                "assessment": a,
                "open": next(
                    (
                        t
                        for t in mine
                        if t.assessment_id == a.pk and t.status == Attempt.Status.IN_PROGRESS
                    ),
                    None,
                ),
                "retake_from": services.retake_from(assessment=a, user=user),
            }
        )
    results = [t for t in mine if t.status == Attempt.Status.SCORED]
    context = {"rows": rows, "results": results, "now": timezone.now()}
    return TemplateResponse(request, "vetting/my_assessments.html", context)


@login_required
@require_POST
def start(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    assessment = access.get_assessment_for_user(request.user, assessment_id)
    try:
        attempt = services.start_attempt(assessment=assessment, user=request.user, by=request.user)
    except (services.ConflictError, services.InvalidInput) as exc:
        messages.error(request, str(exc))
        return redirect("vetting:mine")
    return redirect("workbench:annotate", project_id=attempt.workspace_id)


@login_required
@require_GET
def attempt_page(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = access.get_attempt_for_user(request.user, attempt_id)
    done, total = services.attempt_progress(attempt)
    context = {
        "attempt": attempt,
        "assessment": attempt.assessment,
        "done": done,
        "total": total,
        "own": attempt.user_id == request.user.pk,
        "evidence": getattr(attempt, "evidence", None) if attempt.snapshot_id else None,
        "retake_from": services.retake_from(assessment=attempt.assessment, user=attempt.user),
    }
    return TemplateResponse(request, "vetting/attempt.html", context)


@login_required
@require_POST
def finish(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = access.get_own_attempt(request.user, attempt_id)
    try:
        services.score_attempt(attempt=attempt, by=request.user)
    except services.ConflictError as exc:
        messages.error(request, str(exc))
    return redirect("vetting:attempt", attempt_id=attempt.pk)


@login_required
@require_POST
def abandon(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = access.get_own_attempt(request.user, attempt_id)
    try:
        services.abandon_attempt(attempt=attempt, by=request.user)
    except services.ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Attempt abandoned.")
    return redirect("vetting:attempt", attempt_id=attempt.pk)


# --- staff --------------------------------------------------------------------------------


@login_required
@require_GET
def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    assessments = Assessment.objects.annotate(
        attempts_count=Count("attempts"),
        scored=Count("attempts", filter=Q(attempts__status=Attempt.Status.SCORED)),
    ).select_related("project")
    return TemplateResponse(request, "vetting/staff_list.html", {"assessments": assessments})


def _gold_projects(user):
    """Projects the staff member manages that hold gold items with references."""
    return (
        Project.objects.visible_to(user)
        .filter(attempt__isnull=True, assessment__isnull=True)
        .annotate(
            gold=Count("items", filter=Q(items__is_gold=True, items__reference__isnull=False))
        )
        .filter(gold__gt=0)
        .order_by("name")
    )


@login_required
def staff_new(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    projects = _gold_projects(request.user)
    form = NewAssessmentForm(
        request.POST or None,
        projects=projects,
        initial={
            "items_per_attempt": 20,
            "pass_threshold": 0.8,
            "validity_days": 365,
            "retake_wait_days": 30,
        },
    )
    if form.is_valid():
        data = form.cleaned_data
        project = workbench_access.get_project_for_user(
            request.user, data.pop("project"), action="manage"
        )
        try:
            assessment = services.create_assessment(project=project, by=request.user, **data)
        except services.InvalidInput as exc:
            _show_errors(form, exc.errors)
        else:
            messages.success(request, f"Created {assessment.title} (draft).")
            return redirect("vetting:staff_edit", assessment_id=assessment.pk)
    status = 400 if form.is_bound else 200
    return TemplateResponse(
        request, "vetting/staff_form.html", {"form": form, "new": True}, status=status
    )


@login_required
def staff_edit(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    assessment = access.get_assessment_for_staff(request.user, assessment_id)
    initial = {name: getattr(assessment, name) for name in services.EDITABLE}
    form = AssessmentForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            assessment = services.update_assessment(
                assessment=assessment, by=request.user, **form.cleaned_data
            )
        except services.InvalidInput as exc:
            _show_errors(form, exc.errors)
        else:
            messages.success(request, f"Saved (version {assessment.version}).")
            return redirect("vetting:staff_edit", assessment_id=assessment.pk)
    context = {
        "form": form,
        "assessment": assessment,
        "revisions": assessment.revisions.select_related("created_by").order_by("-version"),
        "pool": services.gold_pool(assessment.project).count(),
        "attempts": assessment.attempts.select_related("user")[:50],
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "vetting/staff_form.html", context, status=status)


@login_required
@require_POST
def staff_status(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    assessment = access.get_assessment_for_staff(request.user, assessment_id)
    change = {"activate": services.activate_assessment, "retire": services.retire_assessment}
    action = change.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "action: must be activate or retire")
    else:
        try:
            assessment = action(assessment=assessment, by=request.user)
            messages.success(request, f"{assessment.title} is {assessment.get_status_display()}.")
        except (services.ConflictError, services.InvalidInput) as exc:
            messages.error(request, str(exc))
    return redirect("vetting:staff_edit", assessment_id=assessment.pk)
