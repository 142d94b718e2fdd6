"""The feedback loop's endpoints under /api/v1/projects/{id}/evaluation/ (active learning,
disagreement queue, errors sent back, iterations, comparisons). Lookups go through
evaluation.access like the rest of the app: managers and reviewers read, managers write,
404 for everyone else."""

from datetime import datetime
from typing import Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from trainerdesk.evaluation import access
from trainerdesk.evaluation.models import FeedbackBatch, Iteration, QueueReorder
from trainerdesk.evaluation.services import active_queue, feedback, iterations
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.access import key_or_404
from trainerdesk.workbench.api import ObjectId, ProjectId
from trainerdesk.workbench.services import InvalidInput

router = Router(tags=["evaluation"])
BASE = "/projects/{project_id}/evaluation"


class ActiveIn(InputSchema):
    strategy: Literal["off", "least_confidence", "margin", "entropy"]
    random_share: float = Field(0.10, ge=0, le=1, description="Share of random items.")
    version: int | None = Field(None, description="The version whose probabilities order.")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class ActiveOut(Schema):
    strategy: str
    random_share: float
    version: int | None
    seed: int

    @staticmethod
    def resolve_version(s) -> int | None:
        return s.version_id


class ReorderOut(Schema):
    id: int
    version: int
    strategy: str
    random_share: float
    seed: int
    status: str
    progress: float
    message: str
    items_ordered: int
    random_items: int
    items_kept: int
    order_digest: str
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_version(r: QueueReorder) -> int:
        return r.version_id


class DisagreementOut(Schema):
    item: int
    reasons: list[str]
    model: str
    human: str | None
    score: float | None


class QueueIn(InputSchema):
    version: int
    field: str | None = None
    kind: Literal["review", "relabel"] = "review"
    reasons: list[Literal["final", "gold", "minority"]] = Field(
        default_factory=lambda: ["final", "gold", "minority"],
        description="Which disagreements to send (all three by default).",
    )


class FeedbackIn(InputSchema):
    kind: Literal["review", "relabel"]
    items: list[int] = Field(description="Item ids of the project.")
    run: int | None = Field(None, description="The evaluation run they were found in.")
    reason: str = ""


class BatchOut(Schema):
    id: int
    kind: str
    source: str
    items: int
    items_digest: str
    entries: list
    created_at: datetime

    @staticmethod
    def resolve_items(b: FeedbackBatch) -> int:
        return len(b.entries)


class ErrorRowOut(Schema):
    item: int
    truth: str
    pred: str
    confidence: float | None


class IterationIn(InputSchema):
    run: int = Field(description="A finished evaluation run of the project.")
    name: str = ""
    notes: str = ""


class IterationOut(Schema):
    id: int
    number: int
    name: str
    version: int
    version_name: str
    run: int
    labelled_items: int
    trained_items: int | None
    error_rate: dict | None
    change: dict
    created_at: datetime

    @staticmethod
    def resolve_version(i: Iteration) -> int:
        return i.version_id

    @staticmethod
    def resolve_version_name(i: Iteration) -> str:
        return i.version.name

    @staticmethod
    def resolve_run(i: Iteration) -> int:
        return i.run_id

    @staticmethod
    def resolve_error_rate(i: Iteration) -> dict | None:
        return iterations.error_rate(i.run)


class ComparisonQuery(Schema):
    run: list[int] = Field(description="Two or more run ids; the first is the base.")
    seed: int = Field(0, ge=0)


@router.get(f"{BASE}/active-learning", response=ActiveOut, summary="Active-learning setting")
def get_active(request: ApiRequest, project_id: ProjectId):
    return active_queue.settings_of(access.get_project(request.auth, project_id))


@router.put(f"{BASE}/active-learning", response=ActiveOut, summary="Set active learning (manager)")
def set_active(request: ApiRequest, project_id: ProjectId, body: ActiveIn):
    project = access.get_project(request.auth, project_id, change=True)
    version = access.get_version(project, body.version) if body.version else None
    return active_queue.update_settings(
        project=project,
        strategy=body.strategy,
        random_share=body.random_share,
        version=version,
        seed=body.seed,
        by=request.auth,
    )


@router.post(
    f"{BASE}/active-learning/reorder",
    response={202: ReorderOut, 409: ErrorOut},
    summary="Re-order the annotation queue by the model's uncertainty (manager; background)",
)
def reorder(request: ApiRequest, project_id: ProjectId):
    project = access.get_project(request.auth, project_id, change=True)
    run = active_queue.start_reorder(project=project, by=request.auth)
    run.refresh_from_db()
    return Status(202, run)


@router.get(
    f"{BASE}/active-learning/reorder", response=list[ReorderOut], summary="Re-orderings (log)"
)
def list_reorders(request: ApiRequest, project_id: ProjectId):
    project = access.get_project(request.auth, project_id)
    return list(QueueReorder.objects.filter(project=project)[:100])


@router.get(
    f"{BASE}/active-learning/reorder/{{reorder_id}}", response=ReorderOut, summary="One re-order"
)
def get_reorder(request: ApiRequest, project_id: ProjectId, reorder_id: ObjectId):
    project = access.get_project(request.auth, project_id)
    run = QueueReorder.objects.filter(pk=key_or_404(reorder_id), project=project).first()
    if run is None:
        raise Http404("No such re-ordering")
    return run


@router.get(
    f"{BASE}/versions/{{version_id}}/disagreements",
    response=list[DisagreementOut],
    summary="Items where the version disagrees with people (final, gold, minority)",
)
def disagreements(request: ApiRequest, project_id: ProjectId, version_id: ObjectId):
    project = access.get_project(request.auth, project_id)
    version = access.get_version(project, version_id)
    return feedback.find_disagreements(project=project, version=version)


@router.post(
    f"{BASE}/disagreement-queue",
    response={201: BatchOut},
    summary="Send the version's disagreements to review or relabel in one action (manager)",
)
def send_disagreements(request: ApiRequest, project_id: ProjectId, body: QueueIn):
    project = access.get_project(request.auth, project_id, change=True)
    version = access.get_version(project, body.version)
    batch = feedback.send_disagreements(
        project=project,
        version=version,
        kind=body.kind,
        reasons=body.reasons,
        field_name=body.field,
        by=request.auth,
    )
    if batch is None:
        raise InvalidInput([f"version: {version.name!r} agrees with people on every item"])
    return Status(201, batch)


@router.post(
    f"{BASE}/feedback",
    response={201: BatchOut},
    summary="Send chosen items (e.g. a run's errors) to review or relabel (manager)",
)
def send_feedback(request: ApiRequest, project_id: ProjectId, body: FeedbackIn):
    project = access.get_project(request.auth, project_id, change=True)
    run = access.get_run(project, body.run) if body.run else None
    reason = body.reason.strip() or (f"an error of evaluation run {run.pk}" if run else "")
    batch = feedback.send_items(
        project=project,
        kind=body.kind,
        entries=[{"item": i, "reason": reason} for i in body.items],
        source="errors",
        version=run.version if run else None,
        run=run,
        by=request.auth,
    )
    return Status(201, batch)


@router.get(
    f"{BASE}/runs/{{run_id}}/errors",
    response=list[ErrorRowOut],
    summary="A run's errors, most confident first",
)
def run_errors(request: ApiRequest, project_id: ProjectId, run_id: ObjectId):
    project = access.get_project(request.auth, project_id)
    return feedback.run_errors(run=access.get_run(project, run_id))


@router.post(
    f"{BASE}/iterations", response={201: IterationOut}, summary="Record an iteration (manager)"
)
def create_iteration(request: ApiRequest, project_id: ProjectId, body: IterationIn):
    project = access.get_project(request.auth, project_id, change=True)
    run = access.get_run(project, body.run)
    iteration = iterations.record_iteration(
        project=project, run=run, name=body.name, notes=body.notes, by=request.auth
    )
    return Status(201, iteration)


@router.get(f"{BASE}/iterations", response=list[IterationOut], summary="Iterations, in order")
def list_iterations(request: ApiRequest, project_id: ProjectId):
    project = access.get_project(request.auth, project_id)
    return list(Iteration.objects.filter(project=project).select_related("version", "run"))


@router.get(
    f"{BASE}/comparison",
    response=dict,
    summary="Two or more runs side by side: metrics and slices, regressions first",
)
def comparison(request: ApiRequest, project_id: ProjectId, query: Query[ComparisonQuery]):
    project = access.get_project(request.auth, project_id)
    runs = [access.get_run(project, pk) for pk in query.run]
    result = iterations.compare_many(runs=runs, seed=query.seed)
    return {
        "base": result["base"].pk,
        "runs": [{"id": r.pk, "version": r.version.name} for r in result["runs"]],
        "metrics": result["metrics"],
        "slices": result["slices"],
        "notes": result["notes"],
    }
