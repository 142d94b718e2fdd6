"""Evaluation endpoints under /api/v1/projects/{id}/evaluation/. Every project lookup goes
through evaluation.access (managers and reviewers read, managers write; 404 otherwise)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from trainerdesk.evaluation import access
from trainerdesk.evaluation import services as evaluation
from trainerdesk.evaluation.models import (
    EvaluationRun,
    EvaluationSplit,
    ModelVersion,
    TrainingRun,
)
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ObjectId, ProjectId

router = Router(tags=["evaluation"])
BASE = "/projects/{project_id}/evaluation"


class VersionIn(InputSchema):
    model: str = Field(description="The model's name (created when new).")
    name: str = Field(description="The version's name: predictions carry it as model_version.")
    notes: str = ""


class VersionOut(Schema):
    id: int
    model: str
    name: str
    source: str
    notes: str
    created_at: datetime

    @staticmethod
    def resolve_model(v: ModelVersion) -> str:
        return v.model.name


class ProbabilityRow(InputSchema):
    item: int
    probabilities: list[float] = Field(description="One per label, in the schema's order.")


class ProbabilitiesIn(InputSchema):
    field: str | None = None
    rows: list[ProbabilityRow]


class CountOut(Schema):
    stored: int


class SplitIn(InputSchema):
    fraction: float = Field(0.2, gt=0, le=0.9)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    field: str | None = Field(None, description="The choice field to stratify by.")


class SplitOut(Schema):
    field: str
    fraction: float
    seed: int
    items: int
    item_ids: list[int]
    items_digest: str
    created_at: datetime

    @staticmethod
    def resolve_field(s: EvaluationSplit) -> str:
        return s.field_name

    @staticmethod
    def resolve_items(s: EvaluationSplit) -> int:
        return len(s.item_ids)


class RunIn(InputSchema):
    version: int = Field(description="A model version id of the project.")
    field: str | None = None
    scope: Literal["split", "all"] = Field(
        "split", description="split: the held-out items; all: every labelled item (said so)."
    )
    against: Literal["final", "gold"] = "final"
    resamples: int = Field(1000, ge=100, le=10_000)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    slices: list[str] = Field(
        default_factory=list, description="Item data keys to slice by (length is always)."
    )


class RunOut(Schema):
    id: int
    version: int
    version_name: str
    field: str
    scope: str
    against: str
    status: str
    progress: float
    message: str
    parameters: dict
    classes: list[str]
    items_digest: str
    items_evaluated: int
    items_left_out: int
    metrics: dict
    slices: list
    computed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_version(r: EvaluationRun) -> int:
        return r.version_id

    @staticmethod
    def resolve_version_name(r: EvaluationRun) -> str:
        return r.version.name

    @staticmethod
    def resolve_field(r: EvaluationRun) -> str:
        return r.field_name


class TrainIn(InputSchema):
    name: str = Field(description="The new model and version's name (predictions carry it).")
    field: str | None = Field(None, description="The choice field to train on (single-label).")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class TrainingOut(Schema):
    id: int
    name: str
    field: str
    status: str
    progress: float
    message: str
    version: int | None
    training: dict
    created_at: datetime

    @staticmethod
    def resolve_field(r: TrainingRun) -> str:
        return r.field_name

    @staticmethod
    def resolve_version(r: TrainingRun) -> int | None:
        return r.version_id

    @staticmethod
    def resolve_training(r: TrainingRun) -> dict:
        return r.version.training if r.version else {}


class CompareQuery(Schema):
    a: int
    b: int
    resamples: int = Field(1000, ge=100, le=10_000)
    seed: int = Field(0, ge=0)


@router.get(f"{BASE}/versions", response=list[VersionOut], summary="Model versions")
def list_versions(request: ApiRequest, project_id: ProjectId):
    project = access.get_project(request.auth, project_id)
    return evaluation.versions_with_predictions(project=project, by=request.auth)


@router.post(
    f"{BASE}/versions", response={201: VersionOut}, summary="Create a model version (manager)"
)
def create_version(request: ApiRequest, project_id: ProjectId, body: VersionIn):
    project = access.get_project(request.auth, project_id, change=True)
    version = evaluation.create_model_version(
        project=project, model_name=body.model, name=body.name, notes=body.notes, by=request.auth
    )
    return Status(201, version)


@router.post(
    f"{BASE}/versions/{{version_id}}/probabilities",
    response=CountOut,
    summary="Store a version's probability vectors (manager)",
    description="Each row's vector has one probability per label of the field, in the "
    "schema's order, summing to 1; one bad row rejects the call and nothing is stored.",
)
def add_probabilities(
    request: ApiRequest, project_id: ProjectId, version_id: ObjectId, body: ProbabilitiesIn
):
    project = access.get_project(request.auth, project_id, change=True)
    version = access.get_version(project, version_id)
    stored = evaluation.add_probabilities(
        version=version, field_name=body.field, rows=[r.dict() for r in body.rows], by=request.auth
    )
    return {"stored": stored}


@router.get(f"{BASE}/split", response=SplitOut, summary="The evaluation split")
def get_split(request: ApiRequest, project_id: ProjectId):
    project = access.get_project(request.auth, project_id)
    from django.http import Http404

    split = EvaluationSplit.objects.filter(project=project).first()
    if split is None:
        raise Http404("This project has no evaluation split yet")
    return split


@router.post(
    f"{BASE}/split",
    response={201: SplitOut, 409: ErrorOut},
    summary="Draw the evaluation split (manager; once: 409 afterwards)",
)
def create_split(request: ApiRequest, project_id: ProjectId, body: SplitIn):
    project = access.get_project(request.auth, project_id, change=True)
    split = evaluation.create_split(
        project=project, fraction=body.fraction, seed=body.seed, field_name=body.field,
        by=request.auth,
    )  # fmt: skip
    return Status(201, split)


@router.post(
    f"{BASE}/runs",
    response={202: RunOut, 409: ErrorOut},
    summary="Evaluate a model version (manager); runs in the background, poll the run",
)
def start_run(request: ApiRequest, project_id: ProjectId, body: RunIn):
    project = access.get_project(request.auth, project_id, change=True)
    version = access.get_version(project, body.version)
    run = evaluation.start_evaluation(
        version=version,
        field_name=body.field,
        scope=body.scope,
        against=body.against,
        resamples=body.resamples,
        seed=body.seed,
        slices=body.slices,
        by=request.auth,
    )
    run.refresh_from_db()
    return Status(202, run)


@router.get(f"{BASE}/runs", response=list[RunOut], summary="Evaluation runs, newest first")
def list_runs(request: ApiRequest, project_id: ProjectId):
    project = access.get_project(request.auth, project_id)
    return list(EvaluationRun.objects.filter(project=project).select_related("version")[:100])


@router.get(f"{BASE}/runs/{{run_id}}", response=RunOut, summary="One evaluation run")
def get_run(request: ApiRequest, project_id: ProjectId, run_id: ObjectId):
    project = access.get_project(request.auth, project_id)
    return access.get_run(project, run_id)


@router.get(
    f"{BASE}/compare",
    response=dict,
    summary="Compare two runs on their shared items (paired bootstrap and McNemar)",
)
def compare(request: ApiRequest, project_id: ProjectId, query: Query[CompareQuery]):
    project = access.get_project(request.auth, project_id)
    a, b = access.get_run(project, query.a), access.get_run(project, query.b)
    return evaluation.compare_runs(a=a, b=b, resamples=query.resamples, seed=query.seed)


@router.post(
    f"{BASE}/train",
    response={202: TrainingOut, 409: ErrorOut},
    summary="Train the built-in baseline (manager); runs in the background, poll the training",
    description="Trains on the final labels outside the evaluation split (which must exist) "
    "and stores a baseline version with predictions and probabilities for every item.",
)
def train(request: ApiRequest, project_id: ProjectId, body: TrainIn):
    project = access.get_project(request.auth, project_id, change=True)
    run = evaluation.train_baseline(
        project=project, name=body.name, field_name=body.field, seed=body.seed, by=request.auth
    )
    run = TrainingRun.objects.select_related("version").get(pk=run.pk)
    return Status(202, run)


@router.get(f"{BASE}/train/{{training_id}}", response=TrainingOut, summary="One training")
def get_training(request: ApiRequest, project_id: ProjectId, training_id: ObjectId):
    project = access.get_project(request.auth, project_id)
    return access.get_training(project, training_id)
