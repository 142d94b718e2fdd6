"""The audit log pages: one organization's events for its owners and admins, filtered,
in keyset pages (never OFFSET), and streamed as CSV or JSONL."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from trainerdesk.accounts import access, audit_log
from trainerdesk.accounts.services import AccountError
from trainerdesk.lib.audit_actions import ACTIONS
from trainerdesk.lib.request_types import AuthenticatedRequest

PAGE_SIZE = 50


@login_required
@require_GET
def audit_index(request: AuthenticatedRequest) -> HttpResponse:
    orgs = list(access.audit_organizations(request.user))
    if len(orgs) == 1:
        return redirect("accounts_audit:org_audit", org_id=orgs[0].pk)
    return TemplateResponse(request, "accounts/audit_index.html", {"orgs": orgs})


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() and int(raw) <= access.MAX_ID else None


@login_required
@require_GET
def org_audit(request: AuthenticatedRequest, org_id: int) -> HttpResponse:
    org = access.get_audit_organization(request.user, org_id)
    error, filters = "", audit_log.Filters()
    try:
        filters = audit_log.parse_filters(request.GET)
    except AccountError as exc:
        error = str(exc)
    qs = audit_log.events([org.pk], filters)
    page, next_before = audit_log.page_before(qs, _before(request), PAGE_SIZE)
    for row in page:
        row["change_lines"] = audit_log.change_lines(row["changes"])
    query = filters.query_string()
    context = {
        "org": org,
        "events": page,
        "filters": filters,
        "error": error,
        "actions": sorted(ACTIONS),
        "query": urlencode(query),
        "next_query": urlencode({**query, "before": next_before}) if next_before else "",
    }
    return TemplateResponse(request, "accounts/audit.html", context, status=400 if error else 200)


@login_required
@require_GET
def org_audit_export(
    request: AuthenticatedRequest, org_id: int, fmt: str
) -> HttpResponse | StreamingHttpResponse:
    org = access.get_audit_organization(request.user, org_id)
    try:
        filters = audit_log.parse_filters(request.GET)
    except AccountError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    qs = audit_log.events([org.pk], filters)
    if fmt == "csv":
        response = StreamingHttpResponse(audit_log.csv_lines(qs), content_type="text/csv")
    else:
        response = StreamingHttpResponse(
            audit_log.jsonl_lines(qs), content_type="application/x-ndjson"
        )
    response["Content-Disposition"] = f'attachment; filename="audit-{org.slug}.{fmt}"'
    return response
