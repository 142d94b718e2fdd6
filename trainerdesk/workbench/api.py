"""Workbench endpoints: projects, items, imports, the annotation queue and exports.

Every project lookup goes through access.py, so anything the caller may not see is a 404
with a JSON message, never a hint that it exists.
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Body, Field, File, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.lib import streams
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.workbench import access, formats, runs, services, visibility
from trainerdesk.workbench.models import (
    Annotation,
    GuidelineVersion,
    ImportJob,
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
FinalLabelRuleName = Literal["reviewer", "majority", "dawid_skene"]


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
    final_label_rule: FinalLabelRuleName = Field(
        description="How the export picks each item's final answer: reviewer (a reviewer's "
        "fix, else the majority of accepted answers, else the majority), majority, or "
        "dawid_skene (votes weighted by each annotator's estimated accuracy)."
    )
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


class ProjectDetail(ProjectSummary):
    instructions: str = Field(description="Markdown guidelines shown to annotators.")
    label_schema: dict[str, Any] = Field(description="The label schema (see PUT /schema).")
    counts: ProjectCounts
    # Gold settings: managers and reviewers only (null for annotators).
    gold_rate: float | None = Field(None, description="Share of served items that are gold.")
    gold_feedback: bool | None = Field(None, description="Immediate feedback after gold items.")
    gold_threshold: float | None = Field(None, description="Pass: Wilson lower bound >= this.")
    gold_min_items: int | None = Field(None, description="Gold items needed for pass/fail.")


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


class ProjectPatch(InputSchema):
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
    final_label_rule: FinalLabelRuleName | None = None
    annotator_fields: list[str] | None = Field(
        None,
        max_length=visibility.MAX_ANNOTATOR_FIELDS,
        description="Item data keys annotators see besides those the label schema reads "
        '(e.g. `["title"]`); everything else in the item\'s data stays hidden from them.',
    )
    annotators_see_external_id: bool | None = None
    gold_rate: float | None = Field(None, ge=0, le=1)
    gold_feedback: bool | None = None
    gold_threshold: float | None = Field(None, ge=0, le=1)
    gold_min_items: int | None = Field(None, ge=1, le=10000)


class GuidelineOut(Schema):
    version: int
    text: str
    created_by: str | None
    created_at: datetime


class MemberOut(Schema):
    username: str
    role: str
    created_at: datetime


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


class ItemPage(Schema):
    items: list[ItemOut]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


class RowErrorOut(Schema):
    line: int = Field(description="1-based position of the row (in the list, or line in the file).")
    message: str


class AddItemsOut(Schema):
    added: int
    duplicates: int = Field(description="Rows whose data is already in the project; not added.")
    errors: list[RowErrorOut]


class ImportJobOut(Schema):
    id: int
    original_name: str
    format: str
    status: str = Field(description="queued, running, done or failed.")
    progress: float = Field(description="0.0 to 1.0, by bytes read.")
    size_bytes: int
    rows_read: int
    items_added: int
    duplicates: int
    annotations_added: int
    error_count: int = Field(description="All row errors; `errors` keeps the first 1,000.")
    errors: list[RowErrorOut]
    warnings: list[str] = Field(
        description="What the file had that was left out on purpose, one line per kind."
    )
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class QueueItem(Schema):
    id: int
    external_id: str | None = Field(
        description="Null unless the project shows external ids to annotators."
    )
    data: dict[str, Any] = Field(
        description="The keys the label schema reads plus the project's `annotator_fields`; "
        "other item data stays hidden from annotation."
    )


class SuggestionOut(Schema):
    model_version: str
    score: float | None
    answer: dict[str, Any] = Field(
        description="Keyed by field name like an answer, in the item's own response order; "
        "fields that do not fit the schema are left out."
    )


class NextOut(Schema):
    item: QueueItem | None = Field(description="Null when there is nothing left for you.")
    lease_expires_at: datetime | None = Field(
        None, description="The item is yours until then; asking again returns the same item."
    )
    suggestion: SuggestionOut | None = Field(
        None,
        description="The item's best model prediction (highest score, then latest), to show "
        "as a suggestion, never to submit unseen; null when it has none that fits.",
    )
    guideline_version: int
    message: str = ""


class AnnotationIn(InputSchema):
    item: int = Field(ge=1, le=MAX_ID, description="Id of the item answered.")
    answer: dict[str, Any] | None = Field(
        None, description='Answer keyed by schema field name, e.g. `{"topic": "sport"}`.'
    )
    skipped: bool = False
    skip_reason: str = Field("", max_length=500)
    lead_time: float | None = Field(None, description="Active seconds spent on the item.")
    client_id: UUID | None = Field(
        None,
        strict=False,
        description="Retry key: resending the same client_id returns the first result.",
    )
    response_order: list[int] | dict[str, list[int]] | None = Field(
        None,
        description="The order your interface showed the responses in, as item indexes "
        "(e.g. `[1, 0]`: B first); recorded, not applied: `answer` uses the item's order.",
    )


class AnnotationOut(Schema):
    id: int
    item: int
    annotator: str | None
    answer: dict[str, Any]
    skipped: bool
    skip_reason: str
    guideline_version: int
    lead_time: float | None
    client_id: UUID | None
    response_order: list[int] | dict[str, list[int]] | None = None
    origin: str
    created_at: datetime
    updated_at: datetime


class AnnotationPage(Schema):
    annotations: list[AnnotationOut]
    next_after: int | None


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
        "final_label_rule": project.final_label_rule,
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
        **{
            key: getattr(project, key)
            for key in services.GOLD_SETTINGS
            if access.can(project, "see_all_work")
        },
    }


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


def _annotation(a: Annotation) -> dict:
    return {
        "id": a.pk,
        "item": a.item_id,
        "annotator": a.author or None,
        "answer": a.answer,
        "skipped": a.skipped,
        "skip_reason": a.skip_reason,
        "guideline_version": a.guideline_version,
        "lead_time": a.lead_time,
        "client_id": a.client_id,
        "response_order": a.response_order,
        "origin": a.origin,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def _job(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "original_name": job.original_name,
        "format": job.format,
        "status": job.status,
        "progress": job.progress,
        "size_bytes": job.size_bytes,
        "rows_read": job.rows_read,
        "items_added": job.items_added,
        "duplicates": job.duplicates,
        "annotations_added": job.annotations_added,
        "error_count": job.error_count,
        "errors": job.errors,
        "warnings": job.warnings,
        "message": job.message,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


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
def list_projects(request: HttpRequest):
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
def create_project(request: HttpRequest, payload: ProjectCreate):
    organization = _organization_to_manage(request.auth, payload.organization)
    project = services.create_project(
        organization=organization,
        created_by=request.auth,
        **payload.model_dump(exclude={"organization"}),
    )
    project = access.get_project_for_user(request.auth, project.pk)
    return Status(201, _detail(project, request.auth))


@router.get("/projects/{project_id}", response=ProjectDetail, summary="One project")
def get_project(request: HttpRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id)
    return _detail(project, request.auth)


@router.patch(
    "/projects/{project_id}", response=ProjectDetail, summary="Change project settings (manager)"
)
def update_project(request: HttpRequest, project_id: ProjectId, payload: ProjectPatch):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    changes = payload.model_dump(exclude_unset=True)
    nulls = [key for key, value in changes.items() if value is None]
    if nulls:
        raise services.InvalidInput([f"{key}: must not be null" for key in nulls])
    project = services.update_project(project=project, by=request.auth, **changes)
    project = access.get_project_for_user(request.auth, project.pk)
    return _detail(project, request.auth)


@router.get("/projects/{project_id}/schema", response=dict[str, Any], summary="The label schema")
def get_schema(request: HttpRequest, project_id: ProjectId):
    return access.get_project_for_user(request.auth, project_id).label_schema


@router.put(
    "/projects/{project_id}/schema",
    response=dict[str, Any],
    summary="Replace the label schema (manager)",
    description="The body is the schema itself. Errors name the field, e.g. "
    "`label_schema.fields[0].labels: ...`.",
)
def put_schema(
    request: HttpRequest, project_id: ProjectId, label_schema: Annotated[dict[str, Any], Body()]
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    project = services.update_project(project=project, by=request.auth, label_schema=label_schema)
    return project.label_schema


@router.get(
    "/projects/{project_id}/guidelines",
    response=list[GuidelineOut],
    summary="Guideline versions, newest first",
)
def list_guidelines(request: HttpRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id)
    versions = GuidelineVersion.objects.filter(project=project).select_related("created_by")
    return [
        {
            "version": g.version,
            "text": g.text,
            "created_by": g.created_by.get_username() if g.created_by_id else None,
            "created_at": g.created_at,
        }
        for g in versions.order_by("-version")
    ]


# --- members ------------------------------------------------------------------------------


def _member_out(member: ProjectMember) -> dict:
    return {
        "username": member.user.get_username(),
        "role": member.role,
        "created_at": member.created_at,
    }


@router.get(
    "/projects/{project_id}/members",
    response=list[MemberOut],
    summary="Project members (organization owners and admins manage every project too)",
)
def list_members(request: HttpRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id)
    members = ProjectMember.objects.filter(project=project).select_related("user")
    return [_member_out(m) for m in members.order_by("user__username")]


@router.put(
    "/projects/{project_id}/members", response=MemberOut, summary="Add a member or change a role"
)
def set_member(request: HttpRequest, project_id: ProjectId, payload: MemberIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    user = User.objects.filter(username=payload.username).first()
    if user is None:
        # Same words as the service's "not in the organization": no probing for usernames.
        raise services.InvalidInput([f"user: {payload.username} is not in {project.organization}"])
    member = services.set_project_member(
        project=project, user=user, role=payload.role, by=request.auth
    )
    member.user = user
    return _member_out(member)


@router.delete(
    "/projects/{project_id}/members/{username}",
    response={204: None},
    summary="Remove a member (their open lease is released)",
)
def remove_member(request: HttpRequest, project_id: ProjectId, username: str):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    member = ProjectMember.objects.filter(project=project, user__username=username).first()
    if member is None:
        raise Http404(f"No such member: {username}")
    services.remove_project_member(project=project, user=member.user, by=request.auth)
    return Status(204, None)


# --- items --------------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/items",
    response=ItemPage,
    exclude_unset=True,
    summary="Items in id order, by keyset pages",
)
def list_items(request: HttpRequest, project_id: ProjectId, after: After = 0, limit: Limit = 100):
    project = access.get_project_for_user(request.auth, project_id)
    full = access.can(project, "see_all_work")
    page = list(Item.objects.filter(project=project, pk__gt=after).order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [_item(item, full=full, project=project) for item in page],
        "next_after": page[-1].pk if more else None,
    }


@router.post(
    "/projects/{project_id}/items",
    response={200: AddItemsOut, 201: AddItemsOut},
    summary="Add items (manager)",
    description=f"The body is a JSON list of up to {MAX_ITEMS_PER_CALL:,} items, each shaped "
    "like a JSONL import line. Invalid rows are reported by position and the valid ones kept; "
    "rows already in the project count as duplicates. 201 when anything was added, else 200.",
)
def add_items(
    request: HttpRequest,
    project_id: ProjectId,
    items: Annotated[list[Any], Body(max_length=MAX_ITEMS_PER_CALL)],
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    result = services.add_items(project=project, items=items)
    body = {
        "added": result.added,
        "duplicates": result.duplicates,
        "errors": [{"line": e.line, "message": e.message} for e in result.errors],
    }
    return Status(201 if result.added else 200, body)


@router.get(
    "/projects/{project_id}/items/{item_id}",
    response=ItemOut,
    exclude_unset=True,
    summary="One item",
)
def get_item(request: HttpRequest, project_id: ProjectId, item_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id)
    item = access.get_item_for_user(request.auth, project, item_id)
    return _item(item, full=access.can(project, "see_all_work"), project=project)


class PredictionIn(InputSchema):
    answer: dict[str, Any] = Field(
        description="A (possibly partial) answer keyed by field name, checked like one."
    )
    model_version: str = Field("", max_length=255)
    score: float | None = Field(None, description="Higher is more confident.")


class PredictionOut(Schema):  # not PredictionIn: strict input rules are not for output
    answer: dict[str, Any]
    model_version: str
    score: float | None
    id: int
    item: int
    created_at: datetime


@router.post(
    "/projects/{project_id}/items/{item_id}/predictions",
    response={201: PredictionOut},
    summary="Add a model's prediction to an item (manager)",
    description="Shown to annotators as a suggestion (the best score wins), never stored as "
    "their answer unless they accept it. Errors name the field, e.g. `answer.topic: ...`.",
)
def add_prediction(
    request: HttpRequest, project_id: ProjectId, item_id: ObjectId, payload: PredictionIn
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    item = access.get_item_for_user(request.auth, project, item_id)
    p = services.add_prediction(project=project, item=item, **payload.model_dump())
    return Status(
        201,
        {"id": p.pk, "item": item.pk, "answer": p.answer, "model_version": p.model_version,
         "score": p.score, "created_at": p.created_at},
    )  # fmt: skip


# --- imports ------------------------------------------------------------------------------


@router.post(
    "/projects/{project_id}/imports",
    response={202: ImportJobOut},
    summary="Upload a file to import (manager)",
    description="Multipart upload in field `file`: .jsonl/.ndjson, .csv or Label Studio "
    ".json. The file is processed in the background; poll the returned job for progress "
    "and row errors (each names its line).",
)
def start_import(request: HttpRequest, project_id: ProjectId, file: File[UploadedFile]):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    job = services.start_import(project=project, upload=file, by=request.auth)
    return Status(202, _job(job))


class ImageUploadOut(Schema):
    added: int = Field(description="Images added, one new item each.")
    duplicates: int = Field(description="Images already in the project (same sha256).")
    errors: list[str] = Field(description="One message per refused file, naming it.")


@router.post(
    "/projects/{project_id}/images",
    response={200: ImageUploadOut},
    summary="Upload images or zips of images (manager)",
    description="Multipart upload, one or more files in field `files`: JPEG, PNG, GIF or "
    "WebP (checked by content), or .zip archives of them. Each new image becomes an item "
    "whose image field is `upload:<sha256>`. Bad files are listed in `errors` and skipped; "
    "the valid ones are kept.",
)
def upload_images(request: HttpRequest, project_id: ProjectId, files: File[list[UploadedFile]]):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    result = services.add_images(project=project, files=files, by=request.auth)
    return {"added": result.added, "duplicates": result.duplicates, "errors": result.errors}


@router.get(
    "/projects/{project_id}/imports",
    response=list[ImportJobOut],
    summary="Import jobs, newest first (manager)",
)
def list_imports(request: HttpRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    runs.fail_stale_runs(project=project)
    return [_job(job) for job in ImportJob.objects.filter(project=project).order_by("-id")[:100]]


@router.get(
    "/projects/{project_id}/imports/{job_id}",
    response=ImportJobOut,
    summary="One import job (manager)",
)
def get_import(request: HttpRequest, project_id: ProjectId, job_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    runs.fail_stale_runs(project=project)
    return _job(access.get_import_for_user(request.auth, project, job_id))


# --- the annotation queue -----------------------------------------------------------------


@router.get(
    "/projects/{project_id}/next",
    response=NextOut,
    summary="Your next item, leased to you",
    description="Always 200. When nothing is left for you, `item` is null and `message` says "
    "so. Asking again while you hold a lease returns the same item.",
)
def next_item(request: HttpRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="annotate")
    item = services.next_item(project=project, user=request.auth)
    if item is None:
        return {
            "item": None,
            "guideline_version": project.guideline_version,
            "message": "No more items for you in this project.",
        }
    return {
        # The annotator view for whoever annotates, as on the annotation page.
        "item": {
            "id": item.pk,
            "external_id": visibility.annotator_external_id(project, item),
            "data": visibility.annotator_data(project, item.data),
        },
        "lease_expires_at": item.lease_expires_at,
        "suggestion": _suggestion(project, item),
        "guideline_version": project.guideline_version,
    }


def _suggestion(project: Project, item: Item) -> dict | None:
    prediction = item.best_prediction()
    if prediction is None:
        return None
    answer = project.schema.validate_prediction(prediction.answer, item.data, strict=False)
    if not answer:
        return None
    return {"model_version": prediction.model_version, "score": prediction.score, "answer": answer}


@router.post(
    "/projects/{project_id}/annotations",
    response={200: AnnotationOut, 201: AnnotationOut, 409: ErrorOut},
    summary="Submit (or change) your answer on an item",
    description="201 when a new annotation was recorded; 200 when the request was a retry "
    "with the same `client_id`, or changed your earlier answer on the item. An answer that "
    "breaks the schema is a 400 naming the field, e.g. `answer.topic: ...`. 409: a new answer "
    "or skip for an item not leased or assigned to you, a gold answer you were shown "
    "feedback on, or a `client_id` used for another item.",
)
def submit_annotation(request: HttpRequest, project_id: ProjectId, payload: AnnotationIn):
    project = access.get_project_for_user(request.auth, project_id, action="annotate")
    item = access.get_item_for_user(request.auth, project, payload.item)
    result = services.submit_annotation(
        project=project,
        item=item,
        user=request.auth,
        answer={} if payload.answer is None else payload.answer,
        skipped=payload.skipped,
        skip_reason=payload.skip_reason,
        lead_time=payload.lead_time,
        client_id=payload.client_id,
        response_order=payload.response_order,
        require_lease=True,
    )
    return Status(201 if result.created else 200, _annotation(result.annotation))


@router.get(
    "/projects/{project_id}/annotations",
    response=AnnotationPage,
    summary="Annotations in id order, by keyset pages",
    description="Annotators see only their own unless the project lets annotators see others.",
)
def list_annotations(
    request: HttpRequest,
    project_id: ProjectId,
    after: After = 0,
    limit: Limit = 100,
    item: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this item.")] = None,
):
    project = access.get_project_for_user(request.auth, project_id)
    qs = access.annotations_visible_to(request.auth, project).filter(pk__gt=after)
    if item is not None:
        qs = qs.filter(item_id=item)
    page = list(qs.select_related("annotator").order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "annotations": [_annotation(a) for a in page],
        "next_after": page[-1].pk if more else None,
    }


@router.get(
    "/projects/{project_id}/annotations/{annotation_id}",
    response=AnnotationOut,
    summary="One annotation",
)
def get_annotation(request: HttpRequest, project_id: ProjectId, annotation_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id)
    return _annotation(access.get_annotation_for_user(request.auth, project, annotation_id))


# --- export -------------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/export",
    response={200: None},
    summary="Download the project's items and answers (manager)",
    description="Streams the whole project. `format`: " + ", ".join(formats.EXPORT_FORMATS) + ".",
)
def export(
    request: HttpRequest,
    project_id: ProjectId,
    format: Annotated[str, Query(description="jsonl, csv, labelstudio, conll or coco")] = "jsonl",
    only_labeled: Annotated[bool, Query(description="Only items with an answer.")] = False,
    include_annotations: Annotated[
        bool, Query(description="Include every annotator's answer, not only the final one.")
    ] = True,
    labels: Annotated[
        Literal["both", "final", "annotations"] | None,
        Query(
            description="final: final labels by the project's final_label_rule; annotations: "
            "every annotation with its reviews; both. Overrides include_annotations. COCO and "
            "CoNLL write one answer per image/text: annotations gives one per annotation, the "
            "others the final answer, leaving out items without one (see export/left-out)."
        ),
    ] = None,
) -> HttpResponse:
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    if labels is not None:
        include_annotations = labels != "final"
    if format not in formats.EXPORT_FORMATS:
        raise services.InvalidInput(
            [f"format: {format!r} is not one of {', '.join(formats.EXPORT_FORMATS)}"]
        )
    # Built before the response starts so a refusal (e.g. CoNLL without spans) is a 400.
    chunks = services.export_stream(
        project=project,
        fmt=format,
        only_labeled=only_labeled,
        include_annotations=include_annotations,
        include_final=labels != "annotations",
    )
    name = slugify(project.name) or f"project-{project.pk}"
    filename = f"{name}-{timezone.localdate().isoformat()}.{formats.FILE_EXTENSIONS[format]}"
    try:
        chunks = streams.hold_download_slot(chunks, limit=settings.MAX_DOWNLOADS)
    except streams.DownloadsBusy as exc:
        raise HttpError(503, str(exc)) from None
    response = StreamingHttpResponse(chunks, content_type=formats.CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class LeftOutOut(Schema):
    item_id: int
    reason: str
    annotation_id: int | None = None
    annotator: str | None = None
    file_name: str | None = None


class ExportLeftOutOut(Schema):
    format: str
    labels: str
    count: int
    left_out: list[LeftOutOut]


@router.get(
    "/projects/{project_id}/export/left-out",
    response=ExportLeftOutOut,
    summary="What a COCO or CoNLL export leaves out, and why (manager)",
    description="COCO and CoNLL hold one answer per image/text, so an item with no final "
    "answer (no answers yet, or the answers tie) is left out rather than written as empty, "
    "as is an image of unknown size. COCO files also list these under `skipped`; a CoNLL "
    "file has nowhere to, so this lists them (the export is run and its bytes dropped).",
)
def export_left_out(
    request: HttpRequest,
    project_id: ProjectId,
    format: Literal["conll", "coco"],
    labels: Literal["both", "final", "annotations"] = "final",
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    left_out = services.export_left_out(project=project, fmt=format, labels=labels)
    return {"format": format, "labels": labels, "count": len(left_out), "left_out": left_out}


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
def assign_items(request: HttpRequest, project_id: ProjectId, payload: AssignIn):
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
def share_queue(request: HttpRequest, project_id: ProjectId, payload: QueueShareIn):
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
def get_progress(request: HttpRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="view")
    overview = services.progress_overview(
        project=project, user=request.auth, everyone=access.can(project, "see_all_work")
    )
    return overview.as_dict()


# --- gold items ---------------------------------------------------------------------------------


class GoldItemIn(InputSchema):
    is_gold: bool = Field(description="Gold items are mixed into every annotator's queue once.")
    reference: dict[str, Any] | None = Field(
        None, description="The reference (gold) answer, keyed by field like an answer."
    )
    explanation: str = Field("", max_length=5000, description="Shown with gold feedback.")


class GoldSelectionIn(InputSchema):
    items: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        ..., max_length=services.MAX_SELECTION
    )
    gold: bool = Field(
        description="true: mark gold with each item's current final answer as its reference; "
        "false: unmark (the reference stays)."
    )


class GoldSelectionOut(Schema):
    changed: int
    without_answer: list[int] = Field(
        description="Not marked: no final answer yet (nobody answered, or the answers tie)."
    )


@router.put(
    "/projects/{project_id}/items/{item_id}/gold",
    response=ItemOut,
    summary="Set an item's reference answer and gold flag (manager)",
)
def set_item_gold(
    request: HttpRequest, project_id: ProjectId, item_id: ObjectId, payload: GoldItemIn
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    item = access.get_item_for_user(request.auth, project, item_id)
    item = services.set_gold(
        project=project,
        item=item,
        reference=payload.reference,
        is_gold=payload.is_gold,
        explanation=payload.explanation,
        by=request.auth,
    )
    return _item(item, full=True, project=project)


@router.post(
    "/projects/{project_id}/gold/items",
    response=GoldSelectionOut,
    summary="Mark or unmark items as gold (manager)",
)
def set_items_gold(request: HttpRequest, project_id: ProjectId, payload: GoldSelectionIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    if not payload.gold:
        count = services.unmark_gold(project=project, item_ids=payload.items, by=request.auth)
        return {"changed": count, "without_answer": []}
    count, missing = services.mark_gold(project=project, item_ids=payload.items, by=request.auth)
    return {"changed": count, "without_answer": missing}
