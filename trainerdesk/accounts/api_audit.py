"""`GET /api/v1/audit/events`: the audit log of organizations you own or administer,
oldest first in keyset pages (pass `next_after` back as `after`; poll with the last
`after` to follow the log)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import Http404
from ninja import Field, Query, Router, Schema

from trainerdesk.accounts import access, audit_log
from trainerdesk.lib.api_schemas import ErrorOut
from trainerdesk.lib.request_types import ApiRequest

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    seq: int = Field(description="Position in the organization's hash chain, from 1.")
    created_at: str = Field(description="UTC, ISO 8601 with microseconds.")
    action: str = Field(description="`app.entity.verb`, from a fixed list.")
    description: str
    organization_id: int | None
    project_id: int | None
    actor_id: int | None = Field(description="The acting user's id; null for a system job.")
    actor: str = Field(description="Username, `system:<job>`, or `user #<id>` once erased.")
    actor_system: str = Field(description="The system job that acted, when no user did.")
    object_type: str
    object_id: str
    changes: dict[str, Any] = Field(
        description="`{field: {before, after}}` of changed fields, or facts such as "
        "`count`/`ids_sha256` of a bulk action. Secrets are never included."
    )
    reason: str
    request_id: str
    ip: str = Field(description="Client address; sign-in events only.")
    prev_hash: str = Field(description="The previous event's hash (64 zeros for seq 1).")
    hash: str = Field(description="sha256(prev_hash || canonical event), hex.")


class AuditPage(Schema):
    events: list[AuditEventOut]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


class AuditQuery(Schema):
    org: int | None = Field(
        None, ge=1, le=access.MAX_ID, description="Organization id; default: all you administer."
    )
    action: str = Field("", description="Only this action, e.g. `accounts.apitoken.create`.")
    actor: str = Field("", description="Username, user id, or `system:<job>`.")
    object_type: str = Field("", description="e.g. `accounts.apitoken`.")
    object_id: str = ""
    project: int | None = Field(None, ge=1, le=access.MAX_ID)
    since: str = Field("", description="From this date (YYYY-MM-DD) or ISO date-time.")
    until: str = Field("", description="Up to this date (inclusive) or date-time.")
    after: int = Field(0, ge=0, le=access.MAX_ID, description="Events with a larger id.")
    limit: int = Field(100, ge=1, le=1000)


@router.get(
    "/audit/events",
    response={200: AuditPage, 404: ErrorOut},
    summary="Audit events of your organizations (owners and admins)",
)
def list_audit_events(request: ApiRequest, query: Annotated[AuditQuery, Query()]):
    if query.org is not None:
        org_ids = [access.get_audit_organization(request.auth, query.org).pk]
    else:
        org_ids = list(access.audit_organizations(request.auth).values_list("pk", flat=True))
        if not org_ids:
            raise Http404("You own or administer no organization")
    params = query.dict()
    params["project"] = "" if query.project is None else str(query.project)
    filters = audit_log.parse_filters(params)
    events, next_after = audit_log.page_after(
        audit_log.events(org_ids, filters), query.after, query.limit
    )
    return {"events": events, "next_after": next_after}
