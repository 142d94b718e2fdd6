"""Assignment and progress endpoints: assigning items, queue shares, the progress page's data.

Same conventions as api.py (access.py for every lookup, 404 for anything not yours).
"""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Router, Schema

from trainerdesk.lib.api_schemas import InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench import access, services
from trainerdesk.workbench.api import MAX_ID, ProjectId

router = Router(tags=["workbench"])


# --- assignment and progress ----------------------------------------------------------------


class AssignIn(InputSchema):
    items: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        ..., max_length=services.MAX_SELECTION
    )
    assignee: str | None = Field(
        None,
        description="Username of a project member; null puts the items back in the shared queue.",
    )


class AssignOut(Schema):
    assigned: int


class QueueShareIn(InputSchema):
    assignees: list[str] = Field(..., min_length=1, max_length=100)
    count: int | None = Field(None, description="Items for each annotator.")
    percent: float | None = Field(
        None, description="Percent of the open unassigned items for each annotator."
    )
    order: Literal["queue", "random"] = "queue"


class QueueShareOut(Schema):
    each: int
    assigned: dict[str, int]


class AnnotatorProgressOut(Schema):
    username: str
    done: int
    skipped: int
    median_lead_time: float | None
    week_hours: float


class DayOut(Schema):
    date: str
    answers: int


class ProgressOut(Schema):
    total: int
    complete: int
    percent: int
    week_start: datetime
    annotators: list[AnnotatorProgressOut]
    throughput: list[DayOut]


@router.post(
    "/projects/{project_id}/assign",
    response=AssignOut,
    summary="Assign items to a project member, or unassign them (manager)",
    description="Items the assignee already answered or skipped are left unchanged; "
    "`assigned` counts the items that changed. A non-member assignee is a 400.",
)
def assign_items(request: ApiRequest, project_id: ProjectId, payload: AssignIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    user = (
        None
        if payload.assignee is None
        else services.member_by_username(project=project, username=payload.assignee)
    )
    count = services.assign_items(
        project=project, item_ids=payload.items, assignee=user, by=request.auth
    )
    return {"assigned": count}


@router.post(
    "/projects/{project_id}/queue/share",
    response=QueueShareOut,
    summary="Assign a share of the shared queue to named annotators (manager)",
    description="Give either `count` (items each) or `percent` (of the open unassigned "
    "items, each), taken in queue order or at random.",
)
def share_queue(request: ApiRequest, project_id: ProjectId, payload: QueueShareIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    users = [
        services.member_by_username(project=project, username=name) for name in payload.assignees
    ]
    share = services.assign_queue_share(
        project=project,
        assignees=users,
        count=payload.count,
        percent=payload.percent,
        order=payload.order,
        by=request.auth,
    )
    return {"each": share.requested, "assigned": share.assigned}


@router.get(
    "/projects/{project_id}/progress",
    response=ProgressOut,
    summary="Progress: items done / total, per annotator, answers per day (30 days)",
    description="The numbers of the progress page. Annotators get only their own row and "
    "their own answers per day.",
)
def get_progress(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="view")
    overview = services.progress_overview(
        project=project, user=request.auth, everyone=access.can(project, "see_all_work")
    )
    return overview.as_dict()
