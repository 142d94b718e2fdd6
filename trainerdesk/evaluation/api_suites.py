"""The behavioural test suites API under /api/v1/projects/{id}/evaluation/suites: every
action of the suite pages. Owners and managers only (evaluation.access); anyone else
gets 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import StreamingHttpResponse
from ninja import Field, Router, Schema, Status

from trainerdesk.evaluation import access
from trainerdesk.evaluation.models import Suite, SuiteRun, SuiteTest
from trainerdesk.evaluation.services import suite_runs, suites
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ObjectId, ProjectId

router = Router(tags=["evaluation suites"])
BASE = "/projects/{project_id}/evaluation/suites"
ONE = BASE + "/{suite_id}"


class SuiteIn(InputSchema):
    name: str
    description: str = ""
    field: str | None = Field(None, description="The choice field (default: the first).")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    lexicons: dict[str, list[str]] = Field(
        default_factory=dict, description="Fill-in lists: placeholder → values."
    )


class SuitePatch(InputSchema):
    name: str | None = None
    description: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    lexicons: dict[str, list[str]] | None = None


class TestOut(Schema):
    id: int
    name: str
    kind: str
    spec: dict
    cases: int

    @staticmethod
    def resolve_cases(t: SuiteTest) -> int:
        return t.cases.count()


class SuiteOut(Schema):
    id: int
    name: str
    description: str
    field: str
    seed: int
    lexicons: dict
    tests: list[TestOut]
    created_at: datetime

    @staticmethod
    def resolve_field(s: Suite) -> str:
        return s.field_name

    @staticmethod
    def resolve_tests(s: Suite) -> list[SuiteTest]:
        return list(s.tests.all())


class TestIn(InputSchema):
    name: str
    kind: Literal["mft", "inv", "dir"]
    spec: dict[str, Any] = Field(
        description="mft: templates, expected, max_cases; inv/dir: perturbation and texts, "
        "items or sample; dir also label, direction, tolerance."
    )


class TestPatch(InputSchema):
    name: str | None = None
    spec: dict[str, Any] | None = None


class ImportIn(InputSchema):
    suite: dict[str, Any] = Field(description="A suite export (GET …/export).")
    name: str | None = Field(None, description="Another name for the imported suite.")


class ItemsIn(InputSchema):
    items: list[int] = Field(min_length=1, max_length=1000)
    test: int | None = Field(None, description="Default: the suite's collected test.")


class SendIn(InputSchema):
    target_project: int | None = Field(None, description="Default: the suite's project.")


class RunIn(InputSchema):
    version: int = Field(description="A built-in baseline version of the project.")


class PredictionsIn(InputSchema):
    version: int = Field(description="The model version the predictions are of.")
    predictions: str = Field(
        description='JSONL: one {"id": case id, "label": ...} or {"id": ..., "scores": '
        "{label: probability}} per exported text (…/cases.jsonl)."
    )


class RunOut(Schema):
    id: int
    suite: int
    version: int
    version_name: str
    mode: str
    status: str
    progress: float
    message: str
    cases: int
    passed: int
    pass_rate: float | None
    results: list
    cases_digest: str
    computed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_suite(r: SuiteRun) -> int:
        return r.suite_id

    @staticmethod
    def resolve_version(r: SuiteRun) -> int:
        return r.version_id

    @staticmethod
    def resolve_version_name(r: SuiteRun) -> str:
        return r.version.name


class RunDetailOut(RunOut):
    previous_run: int | None
    regressions: dict


class CountOut(Schema):
    count: int


def _suite(request: ApiRequest, project_id: int, suite_id: int) -> Suite:
    project = access.get_suite_project(request.auth, project_id)
    return access.get_suite(project, suite_id)


@router.get(BASE, response=list[SuiteOut], summary="Behavioural test suites")
def list_suites(request: ApiRequest, project_id: ProjectId):
    project = access.get_suite_project(request.auth, project_id)
    return list(Suite.objects.filter(project=project))


@router.post(BASE, response={201: SuiteOut}, summary="Create a suite")
def create_suite(request: ApiRequest, project_id: ProjectId, body: SuiteIn):
    project = access.get_suite_project(request.auth, project_id)
    suite = suites.create_suite(
        project=project, name=body.name, description=body.description, field_name=body.field,
        seed=body.seed, lexicons=body.lexicons, by=request.auth,
    )  # fmt: skip
    return Status(201, suite)


@router.post(f"{BASE}/import", response={201: SuiteOut}, summary="Import a suite (JSON)")
def import_suite(request: ApiRequest, project_id: ProjectId, body: ImportIn):
    import json

    project = access.get_suite_project(request.auth, project_id)
    suite = suites.import_suite(
        project=project, text=json.dumps(body.suite), name=body.name, by=request.auth
    )
    return Status(201, suite)


@router.get(ONE, response=SuiteOut, summary="One suite")
def get_suite(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    return _suite(request, project_id, suite_id)


@router.patch(ONE, response=SuiteOut, summary="Change a suite")
def update_suite(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, body: SuitePatch):
    suite = _suite(request, project_id, suite_id)
    changes = body.dict(exclude_unset=True)
    return suites.update_suite(suite=suite, by=request.auth, **changes)


@router.delete(ONE, response={204: None}, summary="Delete a suite, its cases and runs")
def delete_suite(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    suites.delete_suite(suite=_suite(request, project_id, suite_id), by=request.auth)
    return Status(204, None)


@router.get(f"{ONE}/export", response=dict, summary="Export a suite as JSON")
def export_suite(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    return suites.export_suite(_suite(request, project_id, suite_id))


@router.post(f"{ONE}/tests", response={201: TestOut}, summary="Add a test")
def add_test(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, body: TestIn):
    suite = _suite(request, project_id, suite_id)
    test = suites.add_test(
        suite=suite, name=body.name, kind=body.kind, spec=body.spec, by=request.auth
    )
    return Status(201, test)


@router.patch(f"{ONE}/tests/{{test_id}}", response=TestOut, summary="Change a test")
def update_test(
    request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, test_id: ObjectId,
    body: TestPatch,
):  # fmt: skip
    test = access.get_suite_test(_suite(request, project_id, suite_id), test_id)
    return suites.update_test(test=test, name=body.name, spec=body.spec, by=request.auth)


@router.delete(f"{ONE}/tests/{{test_id}}", response={204: None}, summary="Delete a test")
def delete_test(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, test_id: ObjectId):
    test = access.get_suite_test(_suite(request, project_id, suite_id), test_id)
    suites.delete_test(test=test, by=request.auth)
    return Status(204, None)


@router.post(f"{ONE}/generate", response=dict[str, int], summary="Generate the cases")
def generate(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    return suites.generate_cases(suite=_suite(request, project_id, suite_id), by=request.auth)


@router.post(f"{ONE}/cases/from-items", response=CountOut, summary="Add items as cases")
def add_items(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, body: ItemsIn):
    suite = _suite(request, project_id, suite_id)
    test = access.get_suite_test(suite, body.test) if body.test is not None else None
    count = suites.add_cases_from_items(
        suite=suite, test=test, item_ids=body.items, by=request.auth
    )
    return {"count": count}


@router.get(
    f"{ONE}/cases.jsonl",
    summary="The cases to predict with an external model (JSONL)",
    response={200: None},
)
def export_cases(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    suite = _suite(request, project_id, suite_id)
    response = StreamingHttpResponse(
        suite_runs.export_cases(suite=suite), content_type="application/x-ndjson"
    )
    response["Content-Disposition"] = f'attachment; filename="suite-{suite.pk}-cases.jsonl"'
    return response


@router.post(f"{ONE}/confirm", response=CountOut, summary="Send cases to annotators")
def send(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, body: SendIn):
    suite = _suite(request, project_id, suite_id)
    target = None
    if body.target_project is not None:
        target = access.get_suite_project(request.auth, body.target_project)
    return {"count": suites.send_for_confirmation(suite=suite, target=target, by=request.auth)}


@router.post(f"{ONE}/confirm/sync", response=dict[str, int], summary="Read the annotators' labels")
def sync(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    suite = _suite(request, project_id, suite_id)
    return suites.sync_confirmations(suite=suite, by=request.auth)


@router.post(
    f"{ONE}/runs",
    response={202: RunOut, 409: ErrorOut},
    summary="Run a built-in version against the suite (in the background)",
)
def start_run(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, body: RunIn):
    suite = _suite(request, project_id, suite_id)
    version = access.get_version(suite.project, body.version)
    run = suite_runs.start_suite_run(suite=suite, version=version, by=request.auth)
    run.refresh_from_db()
    return Status(202, run)


@router.post(
    f"{ONE}/predictions", response={201: RunOut}, summary="Score an external model's predictions"
)
def import_predictions(
    request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, body: PredictionsIn
):
    suite = _suite(request, project_id, suite_id)
    version = access.get_version(suite.project, body.version)
    run = suite_runs.import_predictions(
        suite=suite, version=version, data=body.predictions, by=request.auth
    )
    return Status(201, run)


@router.get(f"{ONE}/runs", response=list[RunOut], summary="The suite's runs, newest first")
def list_runs(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId):
    suite = _suite(request, project_id, suite_id)
    return list(suite.runs.select_related("version")[:100])


@router.get(
    f"{ONE}/runs/{{run_id}}",
    response=RunDetailOut,
    summary="One run, with regressions against the previous version's run",
)
def get_run(request: ApiRequest, project_id: ProjectId, suite_id: ObjectId, run_id: ObjectId):
    run = access.get_suite_run(_suite(request, project_id, suite_id), run_id)
    before, marks = suite_runs.compare_to_previous(run)
    run.previous_run = before.pk if before else None
    run.regressions = marks
    return run
