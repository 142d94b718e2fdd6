"""A project's evidence page (owners and managers; governance/access.py answers 404 for
the rest): audit events and annotations merged newest first, filtered, keyset pages, and
the whole filtered list as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from trainerdesk.accounts import access as accounts_access
from trainerdesk.governance import access
from trainerdesk.governance.services import evidence
from trainerdesk.lib.audit_actions import ACTIONS
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.request_types import AuthenticatedRequest

PAGE_SIZE = 50


@login_required
@require_GET
def evidence_page(request: AuthenticatedRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    error, filters, entries, next_after = "", evidence.Filters(), [], None
    try:
        filters = evidence.parse_filters(request.GET)
        entries, next_after = evidence.page(
            project=project, filters=filters, after=request.GET.get("after"), limit=PAGE_SIZE
        )
    except InvalidInput as exc:
        error = str(exc)
    query = filters.query()
    context = {
        "project": project,
        "entries": entries,
        "filters": filters,
        "error": error,
        "categories": [*evidence.CATEGORIES, "other"],
        "actions": sorted(ACTIONS),
        "query": urlencode(query),
        "next_query": urlencode({**query, "after": next_after}) if next_after else "",
        # The organization's daily chain heads, for those who may read its audit log.
        "heads_org": project.organization_id
        if accounts_access.audit_organizations(request.user)
        .filter(pk=project.organization_id)
        .exists()
        else None,
    }
    return TemplateResponse(
        request, "governance/evidence.html", context, status=400 if error else 200
    )


@login_required
@require_GET
def evidence_csv(request: AuthenticatedRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_versions(request.user, project_id)
    try:
        filters = evidence.parse_filters(request.GET)
    except InvalidInput as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    rows = evidence.csv_lines(evidence.iter_all(project=project, filters=filters))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    name = f"evidence-project{project.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
