"""The daily chain heads page of an organization (its owners and admins, as the audit log
page: accounts.access answers 404 for anyone else): the stored heads, a CSV/JSON export to
keep elsewhere, a button that records the finished days now (the worker runs it), and a
check of the stored heads against the events."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from trainerdesk.accounts import access
from trainerdesk.governance.models import ChainHead
from trainerdesk.governance.services import heads as service
from trainerdesk.lib import audit
from trainerdesk.lib.request_types import AuthenticatedRequest

PAGE_SIZE = 100


@login_required
@require_http_methods(["GET", "POST"])
def audit_heads(request: AuthenticatedRequest, org_id: int) -> HttpResponse:
    org = access.get_audit_organization(request.user, org_id)
    chain = audit.chain_key(org.pk)
    if request.method == "POST":
        from trainerdesk.governance.tasks import record_chain_heads_task

        record_chain_heads_task.enqueue()
        messages.success(request, "Recording the finished days' heads (the worker runs it).")
        return redirect("governance:audit_heads", org_id=org.pk)
    qs = ChainHead.objects.filter(chain=chain).order_by("-day")
    before = request.GET.get("before", "")
    if before:
        qs = qs.filter(day__lt=before) if len(before) == 10 else qs.none()
    rows = list(qs[: PAGE_SIZE + 1])
    context = {
        "org": org,
        "chain": chain,
        "heads": rows[:PAGE_SIZE],
        "next_before": rows[PAGE_SIZE - 1].day.isoformat() if len(rows) > PAGE_SIZE else "",
        "checked": "check" in request.GET,
        "mismatches": service.check_heads(service.stored_heads([chain]))
        if "check" in request.GET
        else [],
    }
    return TemplateResponse(request, "governance/audit_heads.html", context)


@login_required
@require_GET
def audit_heads_export(request: AuthenticatedRequest, org_id: int, fmt: str) -> HttpResponse:
    org = access.get_audit_organization(request.user, org_id)
    heads = list(service.stored_heads([audit.chain_key(org.pk)]))
    if fmt == "csv":
        body, kind = service.export_csv(heads), "text/csv"
    elif fmt == "json":
        body, kind = service.export_json(heads), "application/json"
    else:
        raise Http404("No such format")
    response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
    name = f"audit-heads-org{org.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
