"""Dataset-version endpoints (/api/v1/projects/{id}/versions...). Owners and managers
only: governance/access.py answers 404 for anyone else and for other projects' versions."""

from datetime import datetime

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from trainerdesk.governance import access, services
from trainerdesk.governance.models import BiasAudit, DatasetVersion
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ObjectId, ProjectId

router = Router(tags=["governance"])


class VersionIn(InputSchema):
    name: str = Field(max_length=100, description="Unique within the project, e.g. v3.")
    tags: list[str] = Field(default_factory=list)
    notes: str = ""


class VersionPatch(InputSchema):
    tags: list[str] | None = None
    notes: str | None = None


class VersionOut(Schema):
    id: int
    project: int
    name: str
    tags: list[str]
    notes: str
    status: str = Field(description="queued, running, done or failed.")
    progress: float = Field(description="0.0 to 1.0.")
    message: str
    version_id: str = Field(
        description="sha256 over the sorted `item id<TAB>record hash` lines (blank until "
        "built); the same data always gives the same id."
    )
    record_count: int
    final_label_rule: str
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_project(v: DatasetVersion) -> int:
        return v.project_id

    @staticmethod
    def resolve_progress(v: DatasetVersion) -> float:
        return 1.0 if v.status == v.Status.DONE else v.progress

    @staticmethod
    def resolve_created_by(v: DatasetVersion) -> str | None:
        return v.created_by.get_username() if v.created_by else None


class DiffQuery(Schema):
    old: int = Field(ge=1)
    new: int = Field(ge=1)


@router.post(
    "/projects/{project_id}/versions",
    response={202: VersionOut, 409: ErrorOut},
    summary="Create a dataset version (owner or manager)",
    description="Snapshots the project's labelled items in the background; poll the "
    "version. 409 when the name is taken.",
)
def create_version(request: ApiRequest, project_id: ProjectId, body: VersionIn):
    project = access.get_project_for_versions(request.auth, project_id)
    v = services.create_version(
        project=project, name=body.name, tags=body.tags, notes=body.notes, by=request.auth
    )
    v.refresh_from_db()
    return Status(202, v)


@router.get(
    "/projects/{project_id}/versions",
    response=list[VersionOut],
    summary="Dataset versions, newest first (owner or manager)",
)
def list_versions(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return list(DatasetVersion.objects.filter(project=project).select_related("created_by")[:200])


@router.get(
    "/projects/{project_id}/versions/diff",
    response={200: dict, 409: ErrorOut},
    summary="What changed between two versions of the project",
    description="Counts of added, removed, relabelled items (and of items whose record "
    "changed with the same final answer), per field the old → new label counts and Cohen's "
    f"κ / Krippendorff's α between the versions; at most {services.DIFF_ID_LIMIT} item ids "
    "per kind.",
)
def diff_versions(request: ApiRequest, project_id: ProjectId, q: Query[DiffQuery]):
    project = access.get_project_for_versions(request.auth, project_id)
    old = access.get_version_for_user(request.auth, project, q.old)
    new = access.get_version_for_user(request.auth, project, q.new)
    result = services.diff_versions(old=old, new=new)
    return {"old": old.pk, "new": new.pk} | result.as_dict(limit=services.DIFF_ID_LIMIT)


@router.get(
    "/projects/{project_id}/versions/{version_id}",
    response=VersionOut,
    summary="One dataset version, with its build progress",
)
def get_version(request: ApiRequest, project_id: ProjectId, version_id: ObjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return access.get_version_for_user(request.auth, project, version_id)


@router.patch(
    "/projects/{project_id}/versions/{version_id}",
    response=VersionOut,
    summary="Change a version's tags or notes (its records never change)",
)
def update_version(
    request: ApiRequest, project_id: ProjectId, version_id: ObjectId, body: VersionPatch
):
    project = access.get_project_for_versions(request.auth, project_id)
    v = access.get_version_for_user(request.auth, project, version_id)
    return services.update_version(version=v, tags=body.tags, notes=body.notes, by=request.auth)


@router.get(
    "/projects/{project_id}/versions/{version_id}/export",
    response={200: None, 409: ErrorOut},
    summary="The version as JSONL: the same bytes every time",
    description="Header X-Content-SHA256 carries the file's sha256; `?checksum=true` "
    "answers the sha256sum line instead.",
)
def export_version(
    request: ApiRequest, project_id: ProjectId, version_id: ObjectId, checksum: bool = False
):
    project = access.get_project_for_versions(request.auth, project_id)
    v = access.get_version_for_user(request.auth, project, version_id)
    out = services.export_version(version=v, by=request.auth)
    if checksum:
        response = HttpResponse(out.checksum_file, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{out.filename}.sha256"'
        return response
    response = HttpResponse(out.content, content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="{out.filename}"'
    response["X-Content-SHA256"] = out.sha256
    return response


class GroupsIn(InputSchema):
    """What every bias audit compares: groups of one or two attributes, one label."""

    attribute: str = Field(max_length=100, description="Item-data field, e.g. sex.")
    second_attribute: str | None = Field(
        default=None, max_length=100, description="Audit the intersection with this field."
    )
    field: str | None = Field(
        default=None, description="The label field; default: the only single-choice field."
    )
    positive: str = Field(description="The favourable label of that field.")


class BiasAuditIn(GroupsIn):
    privileged: str | list[str] | None = Field(
        default=None,
        description="The reference group (one value per attribute); default: highest rate.",
    )
    dataset_version: int | None = Field(
        default=None, ge=1, description="Audit this built version's finals instead."
    )


class BiasAuditOut(Schema):
    id: int
    project: int
    kind: str = Field(description="label_parity, model_fairness or annotator_parity.")
    model_version: int | None = Field(description="The model version a model-fairness audit read.")
    attributes: list[str]
    field: str
    positive: str
    privileged: str
    dataset_version: int | None
    inputs_digest: str = Field(
        description="sha256 over `item id<TAB>attribute values<TAB>favourable` lines."
    )
    item_count: int
    results: dict = Field(
        description="label_parity: parity (groups with n, rate and Wilson interval; SPD/DI "
        "per group; four-fifths flag; warnings), representation (split x group counts) and "
        "unlabelled. model_fairness: model_fairness (groups' selection rate, TPR, FPR, "
        "accuracy with bootstrap intervals; fairlearn's aggregates; AIF360's signed values per "
        "unprivileged group). annotator_parity: annotator_parity (tests per annotator and group)."
    )
    computed_by: str | None
    computed_at: datetime

    @staticmethod
    def resolve_project(a) -> int:
        return a.project_id

    @staticmethod
    def resolve_dataset_version(a) -> int | None:
        return a.dataset_version_id

    @staticmethod
    def resolve_model_version(a) -> int | None:
        return a.model_version_id

    @staticmethod
    def resolve_computed_by(a) -> str | None:
        return a.computed_by.get_username() if a.computed_by else None


@router.post(
    "/projects/{project_id}/bias-audits",
    response={201: BiasAuditOut, 409: ErrorOut},
    summary="Run a label-parity bias audit (owner or manager)",
    description="Favourable-label rate of the final labels per group of an item-data "
    "attribute; 400 naming the field when the attribute is missing on every item, has "
    "one group, or the favourable label is missing or unused.",
)
def run_bias_audit(request: ApiRequest, project_id: ProjectId, body: BiasAuditIn):
    project = access.get_project_for_versions(request.auth, project_id)
    version = None
    if body.dataset_version is not None:
        version = access.get_version_for_user(request.auth, project, body.dataset_version)
    a = services.run_label_parity_audit(
        project=project,
        attribute=body.attribute,
        second_attribute=body.second_attribute,
        privileged=body.privileged,
        field=body.field,
        positive=body.positive,
        dataset_version=version,
        by=request.auth,
    )
    return Status(201, a)


@router.get(
    "/projects/{project_id}/bias-audits",
    response=list[BiasAuditOut],
    summary="Bias audits, newest first (owner or manager)",
)
def list_bias_audits(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return list(BiasAudit.objects.filter(project=project).select_related("computed_by")[:200])


@router.get(
    "/projects/{project_id}/bias-audits/{audit_id}",
    response=BiasAuditOut,
    summary="One bias audit",
)
def get_bias_audit(request: ApiRequest, project_id: ProjectId, audit_id: ObjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return access.get_bias_audit_for_user(request.auth, project, audit_id)
