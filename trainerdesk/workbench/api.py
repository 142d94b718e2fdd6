"""Workbench endpoints: projects and members, and the types every workbench API module
shares (ids, paging, project summaries). Items and imports are in api_items.py, the queue
in api_queue.py, export in api_export.py, assignment and progress in api_progress.py, gold
in api_gold.py, comments and webhooks in api_collab.py; each has its own router.

Every project lookup goes through access.py, so anything the caller may not see is a 404
with a JSON message, never a hint that it exists.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.contrib.auth import get_user_model
from django.http import Http404
from ninja import Body, Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import create_model

from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench import access, extensions, services, visibility
from trainerdesk.workbench.models import (
    GuidelineVersion,
    Item,
    Project,
    ProjectMember,
)

router = Router(tags=["workbench"])

User = get_user_model()

# Largest value a database bigint holds: larger ids are rejected before any query.
MAX_ID = 2**63 - 1
MAX_PAGE = 1000
MAX_ITEMS_PER_CALL = 10_000

ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Project id")]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[
    int, Query(ge=0, le=MAX_ID, description="Return rows with an id above this (keyset paging).")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
OrderingName = Literal["sequential", "random", "priority"]


# --- schemas ------------------------------------------------------------------------------


class OrganizationRef(Schema):
    id: int
    slug: str
    name: str


class ProjectSummary(Schema):
    id: int
    organization: OrganizationRef
    name: str
    description: str
    guideline_version: int = Field(description="Bumped each time the instructions change.")
    overlap: int = Field(description="How many annotators answer each item.")
    ordering: OrderingName = Field(description="The order the queue hands out items in.")
    annotators_see_others: bool
    blind_order: bool = Field(
        description="LLM evaluation: responses shown in an order shuffled per annotator."
    )
    annotators_see_comments: bool = Field(
        description="Annotators may read and write comments on the items they work on."
    )
    annotator_fields: list[str] = Field(
        description="Item data keys annotators see besides those the label schema reads."
    )
    annotators_see_external_id: bool
    role: str | None = Field(
        description="Your role in the project: manager, reviewer or annotator."
    )
    created_at: datetime
    updated_at: datetime


class ProjectCounts(Schema):
    items: int = Field(description="Items in the project.")
    complete: int = Field(description="Items with as many answers as the overlap asks for.")
    annotations: int = Field(description="Answers and skips recorded, by everyone.")
    mine: int = Field(description="Items you answered (skips not counted).")
    mine_today: int
    percent: int = Field(description="complete / items, in percent.")


class _ProjectDetail(ProjectSummary):
    instructions: str = Field(description="Markdown guidelines shown to annotators.")
    label_schema: dict[str, Any] = Field(description="The label schema (see PUT /schema).")
    counts: ProjectCounts
    # Gold settings: managers and reviewers only (null for annotators).
    gold_rate: float | None = Field(None, description="Share of served items that are gold.")
    gold_feedback: bool | None = Field(None, description="Immediate feedback after gold items.")


class ProjectCreate(InputSchema):
    organization: int | str = Field(
        description="Id or slug of an organization you own or administer."
    )
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    instructions: str = Field("", description="Markdown guidelines for annotators.")
    label_schema: dict[str, Any] = Field(
        description='The label schema, e.g. `{"fields": [{"name": "topic", "type": "choice", '
        '"source": "text", "labels": [{"value": "sport"}]}]}`.'
    )
    overlap: int = Field(1, ge=1, le=100, description="Annotators per item.")
    ordering: OrderingName = "sequential"
    annotators_see_others: bool = False
    blind_order: bool = Field(
        True,
        description="LLM evaluation: show the responses in an order shuffled per annotator, "
        "model names hidden.",
    )
    annotator_fields: list[str] = Field(
        default_factory=list,
        max_length=visibility.MAX_ANNOTATOR_FIELDS,
        description="Item data keys annotators see besides those the label schema reads.",
    )
    annotators_see_external_id: bool = False


class _ProjectPatch(InputSchema):
    """Only the fields you send change. New instructions start a new guideline version."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    instructions: str | None = None
    label_schema: dict[str, Any] | None = None
    overlap: int | None = Field(None, ge=1, le=100)
    ordering: OrderingName | None = None
    annotators_see_others: bool | None = None
    blind_order: bool | None = None
    annotators_see_comments: bool | None = None
    annotator_fields: list[str] | None = Field(
        None,
        max_length=visibility.MAX_ANNOTATOR_FIELDS,
        description="Item data keys annotators see besides those the label schema reads "
        '(e.g. `["title"]`); everything else in the item\'s data stays hidden from them.',
    )
    annotators_see_external_id: bool | None = None
    gold_rate: float | None = Field(None, ge=0, le=1)
    gold_feedback: bool | None = None


def _with_sections(name: str, base: type, *, patch: bool) -> Any:
    """`base` plus the settings the apps above the workbench contribute (their sections,
    extensions.SettingsSection): one project resource, as in Label Studio, whichever app
    keeps a setting. Built once, when this module is first imported (the URLconf, after
    every app's ready())."""
    fields: dict[str, Any] = {}
    for section in extensions.settings_sections(for_schemas=True):
        for key, (kind, options) in section.api_fields.items():
            if patch:  # only the fields sent change
                fields[key] = (kind | None, Field(None, **options))
            else:  # null when the caller may not see it
                fields[key] = (kind | None, Field(None, description=options.get("description")))
    model: type = create_model(name, __base__=base, __module__=__name__, **fields)
    model.__doc__ = base.__doc__
    return model


if TYPE_CHECKING:  # the sections' fields are only known at run time; code reads them by key
    ProjectDetail = _ProjectDetail
    ProjectPatch = _ProjectPatch
else:
    ProjectDetail = _with_sections("ProjectDetail", _ProjectDetail, patch=False)
    ProjectPatch = _with_sections("ProjectPatch", _ProjectPatch, patch=True)


class GuidelineOut(Schema):
    version: int
    text: str
    created_by: str | None
    created_at: datetime


class MemberOut(Schema):
    username: str
    role: str
    created_at: datetime

    @staticmethod
    def resolve_username(member: ProjectMember) -> str:
        return member.user.get_username()


class MemberIn(InputSchema):
    username: str = Field(min_length=1, max_length=150, description="A member of the organization.")
    role: Literal["manager", "reviewer", "annotator"]


class ItemOut(Schema):
    id: int
    external_id: str | None = Field(
        description="Null for annotators unless the project shows them external ids."
    )
    data: dict[str, Any] = Field(
        description="Annotators get only the keys the schema reads plus `annotator_fields`."
    )
    priority: int
    created_at: datetime
    reference: Any = Field(None, description="Gold answer; shown to managers and reviewers only.")
    done_count: int | None = Field(None, description="Answers so far (managers and reviewers).")
    skip_count: int | None = Field(None, description="Skips so far (managers and reviewers).")
    is_gold: bool | None = Field(None, description="Gold item (managers and reviewers).")
    gold_explanation: str | None = Field(None, description="Shown with gold feedback.")


# --- helpers ------------------------------------------------------------------------------


def _org_ref(org: Organization) -> dict:
    return {"id": org.pk, "slug": org.slug, "name": org.name}


def _summary(project: Project, role: str | None) -> dict:
    return {
        "id": project.pk,
        "organization": _org_ref(project.organization),
        "name": project.name,
        "description": project.description,
        "guideline_version": project.guideline_version,
        "overlap": project.overlap,
        "ordering": project.ordering,
        "annotators_see_others": project.annotators_see_others,
        "blind_order": project.blind_order,
        "annotators_see_comments": project.annotators_see_comments,
        "annotator_fields": project.annotator_fields,
        "annotators_see_external_id": project.annotators_see_external_id,
        "role": role,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


def _detail(project: Project, user) -> dict:
    progress = services.project_progress(project=project, user=user)
    return {
        **_summary(project, getattr(project, "user_role", None)),
        "instructions": project.instructions,
        "label_schema": project.label_schema,
        "counts": {
            "items": progress.total,
            "complete": progress.complete,
            "annotations": project.annotations.count(),
            "mine": progress.mine,
            "mine_today": progress.mine_today,
            "percent": progress.percent,
        },
        **_settings(project),
    }


def _settings(project: Project) -> dict:
    """The workbench's gold settings and every app's section, staff-only ones left out
    (null) for annotators."""
    staff = access.can(project, "see_all_work")
    out = {key: getattr(project, key) for key in services.GOLD_SETTINGS if staff}
    for section in extensions.settings_sections():
        values = section.read(project=project)
        out |= {k: v for k, v in values.items() if staff or k not in section.staff_only}
    return out


def _item(item: Item, *, full: bool, project: Project) -> dict:
    """`full` for managers and reviewers; annotators get the annotator view (visibility.py)."""
    out = {
        "id": item.pk,
        "external_id": item.external_id
        if full
        else visibility.annotator_external_id(project, item),
        "data": item.data if full else visibility.annotator_data(project, item.data),
        "priority": item.priority,
        "created_at": item.created_at,
    }
    if full:
        out.update(reference=item.reference, done_count=item.done_count, skip_count=item.skip_count)
        out.update(is_gold=item.is_gold, gold_explanation=item.gold_explanation)
    return out


def _organization_to_manage(user, ref: int | str) -> Organization:
    """The organization a new project goes in: 404 unless the user belongs to it, 403
    unless they own or administer it."""
    if isinstance(ref, int):
        if not 1 <= ref <= MAX_ID:
            raise Http404(f"No such organization: {ref}")
        memberships = Membership.objects.filter(user=user, organization_id=ref)
    else:
        memberships = Membership.objects.filter(user=user, organization__slug=ref)
    membership = memberships.select_related("organization").first()
    if membership is None:
        raise Http404(f"No such organization: {ref}")
    if not membership.is_admin:
        raise HttpError(
            403,
            f"organization: only owners and admins of {membership.organization} create projects",
        )
    return membership.organization


# --- projects -----------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectSummary], summary="Projects you can open")
def list_projects(request: ApiRequest):
    user = request.auth
    admin_orgs = set(
        Membership.objects.filter(user=user, role__in=Membership.ADMIN_ROLES).values_list(
            "organization_id", flat=True
        )
    )
    roles = dict(ProjectMember.objects.filter(user=user).values_list("project_id", "role"))
    projects = Project.objects.visible_to(user).select_related("organization").order_by("id")
    return [
        _summary(
            p, ProjectMember.Role.MANAGER if p.organization_id in admin_orgs else roles.get(p.pk)
        )
        for p in projects
    ]


@router.post("/projects", response={201: ProjectDetail, 403: ErrorOut}, summary="Create a project")
def create_project(request: ApiRequest, payload: ProjectCreate):
    organization = _organization_to_manage(request.auth, payload.organization)
    project = services.create_project(
        organization=organization,
        created_by=request.auth,
        **payload.model_dump(exclude={"organization"}),
    )
    project = access.get_project_for_user(request.auth, project.pk)
    return Status(201, _detail(project, request.auth))


@router.get("/projects/{project_id}", response=ProjectDetail, summary="One project")
def get_project(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id)
    return _detail(project, request.auth)


@router.patch(
    "/projects/{project_id}", response=ProjectDetail, summary="Change project settings (manager)"
)
def update_project(request: ApiRequest, project_id: ProjectId, payload: ProjectPatch):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    changes = payload.model_dump(exclude_unset=True)
    nulls = [key for key, value in changes.items() if value is None]
    if nulls:
        raise services.InvalidInput([f"{key}: must not be null" for key in nulls])
    project = services.update_project(project=project, by=request.auth, **changes)
    project = access.get_project_for_user(request.auth, project.pk)
    return _detail(project, request.auth)


@router.get("/projects/{project_id}/schema", response=dict[str, Any], summary="The label schema")
def get_schema(request: ApiRequest, project_id: ProjectId):
    return access.get_project_for_user(request.auth, project_id).label_schema


@router.put(
    "/projects/{project_id}/schema",
    response=dict[str, Any],
    summary="Replace the label schema (manager)",
    description="The body is the schema itself. Errors name the field, e.g. "
    "`label_schema.fields[0].labels: ...`.",
)
def put_schema(
    request: ApiRequest, project_id: ProjectId, label_schema: Annotated[dict[str, Any], Body()]
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    project = services.update_project(project=project, by=request.auth, label_schema=label_schema)
    return project.label_schema


@router.get(
    "/projects/{project_id}/guidelines",
    response=list[GuidelineOut],
    summary="Guideline versions, newest first",
)
def list_guidelines(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id)
    versions = GuidelineVersion.objects.filter(project=project).select_related("created_by")
    return [
        {
            "version": g.version,
            "text": g.text,
            "created_by": g.created_by.get_username() if g.created_by is not None else None,
            "created_at": g.created_at,
        }
        for g in versions.order_by("-version")
    ]


# --- members ------------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/members",
    response=list[MemberOut],
    summary="Project members (organization owners and admins manage every project too)",
)
def list_members(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id)
    members = ProjectMember.objects.filter(project=project).select_related("user")
    return list(members.order_by("user__username"))


@router.put(
    "/projects/{project_id}/members", response=MemberOut, summary="Add a member or change a role"
)
def set_member(request: ApiRequest, project_id: ProjectId, payload: MemberIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    user = User.objects.filter(username=payload.username).first()
    if user is None:
        # Same words as the service's "not in the organization": no probing for usernames.
        raise services.InvalidInput([f"user: {payload.username} is not in {project.organization}"])
    member = services.set_project_member(
        project=project, user=user, role=payload.role, by=request.auth
    )
    member.user = user
    return member


@router.delete(
    "/projects/{project_id}/members/{username}",
    response={204: None},
    summary="Remove a member (their open lease is released)",
)
def remove_member(request: ApiRequest, project_id: ProjectId, username: str):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    member = ProjectMember.objects.filter(project=project, user__username=username).first()
    if member is None:
        raise Http404(f"No such member: {username}")
    services.remove_project_member(project=project, user=member.user, by=request.auth)
    return Status(204, None)
