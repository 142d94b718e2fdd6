"""Privacy pages: the public notice; for staff the data-subject requests (log, identity
check, bundle download, erasure preview then confirm, close), the retention report with
its run, and the records of processing (Art. 30) with CSV/JSON exports."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.lib.errors import WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.privacy import access, forms, services
from trainerdesk.privacy.models import DataSubjectRequest, ProcessingActivity, RetentionRule


@require_GET
def notice(request):
    """The public privacy notice, rendered from the records of processing."""
    return TemplateResponse(
        request,
        "privacy/notice.html",
        {
            "activities": ProcessingActivity.objects.all(),
            "rules": RetentionRule.objects.filter(country=""),
        },
    )


@login_required
@require_GET
def requests_list(request: AuthenticatedRequest):
    access.require_staff(request.user)
    rows = DataSubjectRequest.objects.all()
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "privacy/requests.html",
        {"requests": rows, "today": today, "open": [r for r in rows if r.is_open]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: AuthenticatedRequest):
    access.require_staff(request.user)
    form = forms.NewRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_request(
                kind=data["kind"],
                email=data["email"],
                user_id=data["user_id"],
                candidate_id=data["candidate_id"],
                details=data["details"],
                received_at=data["received_at"],
                by=request.user,
            )
        except WorkbenchError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Logged; answer by {created.due_on:%d %B %Y}.")
            return redirect("privacy:request", created.pk)
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "privacy/request_new.html", {"form": form}, status=status)


@login_required
@require_GET
def request_detail(request: AuthenticatedRequest, request_id: int):
    dsar = access.get_request_for_user(request.user, request_id)
    preview = None
    error = ""
    if dsar.kind == dsar.Kind.ERASURE and dsar.status == dsar.Status.VERIFIED:
        try:
            preview = services.preview_erasure(request=dsar)  # a dry run: writes nothing
        except WorkbenchError as exc:
            error = str(exc)
    return TemplateResponse(
        request,
        "privacy/request_detail.html",
        {
            "dsar": dsar,
            "preview": preview,
            "error": error,
            "verify_form": forms.VerifyForm(),
            "close_form": forms.CloseForm(),
            "overdue": dsar.is_overdue(),
        },
    )


def _done(request, dsar_id: int, run, success: str):
    try:
        run()
    except WorkbenchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("privacy:request", dsar_id)


@login_required
@require_POST
def verify(request: AuthenticatedRequest, request_id: int):
    dsar = access.get_request_for_user(request.user, request_id)
    form = forms.VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how the identity was checked.")
        return redirect("privacy:request", dsar.pk)
    method = form.cleaned_data["method"]
    return _done(
        request,
        dsar.pk,
        lambda: services.verify_identity(request=dsar, method=method, by=request.user),
        "Identity checked.",
    )


@login_required
@require_POST
def bundle(request: AuthenticatedRequest, request_id: int):
    dsar = access.get_request_for_user(request.user, request_id)
    try:
        data = services.export_bundle(request=dsar, by=request.user)
    except WorkbenchError as exc:
        messages.error(request, str(exc))
        return redirect("privacy:request", dsar.pk)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="data-subject-request-{dsar.pk}.zip"'
    return response


@login_required
@require_POST
def erase(request: AuthenticatedRequest, request_id: int):
    dsar = access.get_request_for_user(request.user, request_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the confirmation: erasure cannot be undone.")
        return redirect("privacy:request", dsar.pk)
    return _done(
        request,
        dsar.pk,
        lambda: services.confirm_erasure(request=dsar, by=request.user),
        "Erased: personal data anonymised; what the law requires was kept.",
    )


@login_required
@require_POST
def close(request: AuthenticatedRequest, request_id: int):
    dsar = access.get_request_for_user(request.user, request_id)
    form = forms.CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what was done (or why not).")
        return redirect("privacy:request", dsar.pk)
    data = form.cleaned_data
    return _done(
        request,
        dsar.pk,
        lambda: services.close_request(
            request=dsar, status=data["status"], summary=data["summary"], by=request.user
        ),
        "Closed.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def retention(request: AuthenticatedRequest):
    access.require_staff(request.user)
    today = timezone.localdate()
    if request.GET.get("today"):
        try:
            today = datetime.date.fromisoformat(request.GET["today"])
        except ValueError:
            raise Http404("today: a date like 2026-12-03") from None
    applied = None
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the confirmation: anonymisation cannot be undone.")
            return redirect("privacy:retention")
        applied = services.run_retention(today=today, dry_run=False, by=request.user)
        messages.success(request, f"{len(applied['erased'])} people anonymised.")
    report = services.run_retention(today=today, dry_run=True)
    return TemplateResponse(
        request,
        "privacy/retention.html",
        {"report": report, "applied": applied, "rules": RetentionRule.objects.all()},
    )


@login_required
@require_GET
def records(request: AuthenticatedRequest):
    access.require_staff(request.user)
    return TemplateResponse(
        request, "privacy/records.html", {"activities": ProcessingActivity.objects.all()}
    )


@login_required
@require_GET
def records_export(request: AuthenticatedRequest, fmt: str):
    access.require_staff(request.user)
    if fmt == "csv":
        body, kind = services.activities_csv(), "text/csv; charset=utf-8"
    elif fmt == "json":
        body, kind = services.activities_json(), "application/json"
    else:
        raise Http404("records.csv or records.json")
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="records-of-processing.{fmt}"'
    return response
