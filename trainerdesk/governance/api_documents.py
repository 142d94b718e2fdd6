"""Document endpoints (/api/v1/projects/{id}/documents...): generate, list, get, approve,
PDF. Owners and managers only: governance/access.py answers 404 for anyone else and for
other projects' documents."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from trainerdesk.governance import access
from trainerdesk.governance.models import DataGap, DocumentVersion
from trainerdesk.governance.services import documents
from trainerdesk.governance.views_documents import pdf_response
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ObjectId, ProjectId

router = Router(tags=["governance"])


class DocumentIn(InputSchema):
    kind: str = Field(description="datasheet, model_card or annex_iv.")
    subject_ids: list[int] = Field(
        description="The dataset version (datasheet), the model version (model card) or "
        "the model versions of the system (Annex IV)."
    )
    texts: dict[str, str] | None = Field(
        default=None,
        description="Person-written fields by name; omitted: the newest version's texts.",
    )


class DocumentOut(Schema):
    id: int
    project: int
    kind: str
    subject_ids: list[int]
    number: int
    title: str
    texts: dict
    inputs: list[dict] = Field(description="Every record read: type, id, sha256, label.")
    content_sha256: str = Field(description="sha256 of the content's canonical JSON.")
    pdf_sha256: str
    created_by: str | None
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None

    @staticmethod
    def resolve_project(d: DocumentVersion) -> int:
        return d.project_id

    @staticmethod
    def resolve_created_by(d: DocumentVersion) -> str | None:
        return d.created_by.get_username() if d.created_by else None

    @staticmethod
    def resolve_approved_by(d: DocumentVersion) -> str | None:
        return d.approved_by.get_username() if d.approved_by else None


class DocumentFullOut(DocumentOut):
    content: dict = Field(description="Sections of facts, tables, notes and person fields.")


class GeneratedOut(Schema):
    created: bool = Field(description="False: the newest version already had this content.")
    document: DocumentOut


@router.post(
    "/projects/{project_id}/documents",
    response={201: GeneratedOut, 200: GeneratedOut, 409: ErrorOut},
    summary="Generate a datasheet, model card or Annex IV draft (owner or manager)",
    description="Built from the database; 201 with a new version, 200 with the newest "
    "version when nothing changed. 400 names the problem (a model version with no "
    "finished evaluation run, a dataset version of another project, an unknown text "
    "field); nothing is stored then.",
)
def generate(request: ApiRequest, project_id: ProjectId, body: DocumentIn):
    project = access.get_project_for_versions(request.auth, project_id)
    out = documents.generate_document(
        project=project, kind=body.kind, subject_ids=body.subject_ids, texts=body.texts,
        by=request.auth,
    )  # fmt: skip
    return Status(201 if out.created else 200, out)


@router.get(
    "/projects/{project_id}/documents",
    response=list[DocumentOut],
    summary="Document versions, newest first (owner or manager)",
)
def list_documents(request: ApiRequest, project_id: ProjectId, kind: str | None = None):
    project = access.get_project_for_versions(request.auth, project_id)
    qs = DocumentVersion.objects.filter(project=project).defer("pdf")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.select_related("created_by", "approved_by")[:200])


@router.get(
    "/projects/{project_id}/documents/{document_id}",
    response=DocumentFullOut,
    summary="One document version with its content",
)
def get_document(request: ApiRequest, project_id: ProjectId, document_id: ObjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return access.get_document_for_user(request.auth, project, document_id)


@router.post(
    "/projects/{project_id}/documents/{document_id}/approve",
    response={200: DocumentOut, 409: ErrorOut},
    summary="Approve (sign off) a document version; it never changes again",
)
def approve(request: ApiRequest, project_id: ProjectId, document_id: ObjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    doc = access.get_document_for_user(request.auth, project, document_id)
    return documents.approve_document(document=doc, by=request.auth)


@router.get(
    "/projects/{project_id}/documents/{document_id}/pdf",
    response={200: None},
    summary="The stored PDF (header X-Content-SHA256)",
)
def download_pdf(request: ApiRequest, project_id: ProjectId, document_id: ObjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return pdf_response(access.get_document_for_user(request.auth, project, document_id))


# --- the data-gaps register (Art. 10(2)(h)) -------------------------------------------


class DataGapIn(InputSchema):
    title: str
    description: str = ""


class DataGapClose(InputSchema):
    resolution: str = Field(description="How the gap was addressed.")


class DataGapOut(Schema):
    id: int
    title: str
    description: str
    status: str
    resolution: str
    created_by: str | None
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None

    @staticmethod
    def resolve_created_by(g: DataGap) -> str | None:
        return g.created_by.get_username() if g.created_by else None

    @staticmethod
    def resolve_closed_by(g: DataGap) -> str | None:
        return g.closed_by.get_username() if g.closed_by else None


GAPS = "/projects/{project_id}/data-gaps"


@router.get(GAPS, response=list[DataGapOut], summary="The data-gaps register")
def list_data_gaps(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_versions(request.auth, project_id)
    return list(DataGap.objects.filter(project=project).select_related("created_by", "closed_by"))


@router.post(GAPS, response={201: DataGapOut}, summary="Add a data gap (owner or manager)")
def create_data_gap(request: ApiRequest, project_id: ProjectId, body: DataGapIn):
    project = access.get_project_for_versions(request.auth, project_id)
    gap = documents.create_data_gap(
        project=project, title=body.title, description=body.description, by=request.auth
    )
    return Status(201, gap)


@router.post(
    GAPS + "/{gap_id}/close",
    response={200: DataGapOut, 409: ErrorOut},
    summary="Close a data gap, saying how it was addressed",
)
def close_data_gap(
    request: ApiRequest, project_id: ProjectId, gap_id: ObjectId, body: DataGapClose
):
    project = access.get_project_for_versions(request.auth, project_id)
    gap = access.get_data_gap_for_user(request.auth, project, gap_id)
    return documents.close_data_gap(gap=gap, resolution=body.resolution, by=request.auth)
