"""Lineage endpoints: which runs used a dataset version (matched by digest, or recorded by
a person), and recording such a link. Owners and managers only (404 for the rest)."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from trainerdesk.governance import access
from trainerdesk.governance.models import UsedVersion
from trainerdesk.governance.services import lineage
from trainerdesk.lib.api_schemas import InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ObjectId, ProjectId

router = Router(tags=["governance"])


class UsedVersionIn(InputSchema):
    run_type: str = Field(description=", ".join(UsedVersion.RunType.values))
    run_id: int = Field(ge=1)
    note: str = Field(default="", max_length=2000)


class UsedVersionOut(Schema):
    version: int
    run_type: str
    run_id: int
    match: str = Field(description="digest (recomputed input digest equal) or explicit.")
    digest: str
    note: str
    recorded_at: datetime
    recorded_by: str | None


@router.get(
    "/projects/{project_id}/versions/{version_id}/lineage",
    response=list[UsedVersionOut],
    summary="The runs that used this dataset version",
    description="Label-error runs, evaluation runs and baseline model versions (with their "
    "training runs) are matched when their stored input digest equals the one recomputed "
    "from the version's finals in the run's own format; any run can be recorded by hand.",
)
def list_lineage(request: ApiRequest, project_id: ProjectId, version_id: ObjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    v = access.get_version_for_user(request.auth, project, version_id)
    return [
        lineage.link_dict(u)
        for u in UsedVersion.objects.filter(version=v).select_related("recorded_by")
    ]


@router.post(
    "/projects/{project_id}/versions/{version_id}/lineage",
    response={201: UsedVersionOut},
    summary="Record that a run used this dataset version",
    description="400 naming the field for an unknown run type or a run of another project; "
    "recording the same run again changes nothing.",
)
def record_lineage(
    request: ApiRequest, project_id: ProjectId, version_id: ObjectId, body: UsedVersionIn
):
    project = access.get_project_for_versions(request.auth, project_id)
    v = access.get_version_for_user(request.auth, project, version_id)
    link = lineage.record_used_version(
        version=v, run_type=body.run_type, run_id=body.run_id, note=body.note, by=request.auth
    )
    return Status(201, lineage.link_dict(link))
