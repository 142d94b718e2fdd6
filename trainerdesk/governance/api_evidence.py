"""Read endpoints of the audit-log evidence: a project's evidence (owners and managers),
an organization's daily chain heads (owners and admins), and the dataset versions a run
used. 404 for anyone else."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema

from trainerdesk.accounts import access as accounts_access
from trainerdesk.governance import access
from trainerdesk.governance.models import UsedVersion
from trainerdesk.governance.services import evidence, lineage
from trainerdesk.governance.services import heads as heads_service
from trainerdesk.lib import audit
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ProjectId

router = Router(tags=["governance"])


class EvidenceOut(Schema):
    at: str = Field(description="UTC, ISO 8601 with microseconds.")
    category: str = Field(description=", ".join((*evidence.CATEGORIES, "other")))
    source: str = Field(description="event (an audit event) or annotation (the row itself).")
    id: int = Field(description="The audit event's or the annotation's id.")
    actor: str
    action: str
    description: str
    object_type: str
    object_id: str
    url: str = Field(description="The object's page, when it has one.")


class EvidencePage(Schema):
    entries: list[EvidenceOut]
    next_after: str | None = Field(description="Pass as `after` for the next (older) page.")


class EvidenceQuery(Schema):
    actor: str = Field("", description="Username, user id, or `system:<job>`.")
    category: str = ""
    action: str = ""
    since: str = Field("", description="From this day (YYYY-MM-DD, UTC).")
    until: str = Field("", description="Up to this day, inclusive.")
    after: str = Field("", description="The `next_after` of the previous page.")
    limit: int = Field(100, ge=1, le=1000)


def _entry(e: evidence.Entry) -> dict[str, Any]:
    return {
        "at": audit.iso_utc(e.at),
        "category": e.category,
        "source": e.source,
        "id": e.id,
        "actor": e.actor,
        "action": e.action,
        "description": e.description,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "url": e.url,
    }


@router.get(
    "/projects/{project_id}/evidence",
    response=EvidencePage,
    summary="Who labelled, reviewed, exported, trained, evaluated, versioned, approved what",
    description="The project's audit events and annotations, newest first, keyset pages.",
)
def get_evidence(request: ApiRequest, project_id: ProjectId, q: Query[EvidenceQuery]):
    project = access.get_project_for_versions(request.auth, project_id)
    filters = evidence.parse_filters(q.dict())
    entries, after = evidence.page(
        project=project, filters=filters, after=q.after or None, limit=q.limit
    )
    return {"entries": [_entry(e) for e in entries], "next_after": after}


class HeadOut(Schema):
    chain: str
    organization_id: int | None
    day: str
    seq: int = Field(description="Events in the chain up to the day's last event.")
    event_id: int
    head_hash: str = Field(description="The chain hash after the day's last event.")
    day_events: int


@router.get(
    "/orgs/{org_id}/audit/heads",
    response=list[HeadOut],
    summary="The organization's daily audit chain heads (owners and admins)",
)
def get_heads(request: ApiRequest, org_id: int):
    org = accounts_access.get_audit_organization(request.auth, org_id)
    return [h.as_dict() for h in heads_service.stored_heads([audit.chain_key(org.pk)])]


class UsedOut(Schema):
    version: int
    version_name: str
    version_id: str = Field(description="The version's content id (sha256).")
    match: str
    digest: str


@router.get(
    "/projects/{project_id}/lineage",
    response=list[UsedOut],
    summary="The dataset versions a run used",
)
def get_run_lineage(
    request: ApiRequest,
    project_id: ProjectId,
    run_type: str = Query(..., description=", ".join(UsedVersion.RunType.values)),
    run_id: int = Query(..., ge=1),
):
    project = access.get_project_for_versions(request.auth, project_id)
    lineage.get_run(project, run_type, run_id)  # 400 naming the field if there is no such run
    return [
        {
            "version": u.version_id,
            "version_name": u.version.name,
            "version_id": u.version.version_id,
            "match": u.match,
            "digest": u.digest,
        }
        for u in lineage.versions_used_by(project, run_type, run_id)
    ]
