"""Vetting endpoints: assessments (staff manage them, candidates take them), attempts and
evidence. Lookups go through vetting/access.py (404 for anything not yours); list
endpoints page by keyset on id (`after`, `next_after`), like the workbench's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from trainerdesk.lib.api_schemas import InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.vetting import access, services
from trainerdesk.vetting.models import Assessment, Attempt, Evidence
from trainerdesk.workbench import access as workbench_access
from trainerdesk.workbench.api import MAX_ID, After, ObjectId

router = Router(tags=["vetting"])
Limit = Annotated[int, Query(ge=1, le=200, description="Rows per page.")]


def _page(qs, after: int, limit: int) -> tuple[list, int | None]:
    rows = list(qs.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].pk if more else None


# --- assessments --------------------------------------------------------------------------


class AssessmentOut(Schema):
    id: int
    slug: str
    title: str
    description: str
    task_type: str
    domain: str
    items_per_attempt: int
    pass_threshold: float = Field(description="Pass when the 95% Wilson lower bound reaches it.")
    validity_days: int
    retake_wait_days: int
    version: int = Field(description="Bumped when what is measured changes.")
    status: str = Field(description="draft, active or retired.")
    project: int | None = Field(description="The gold pool's project (staff only; else null).")
    created_at: datetime


class AssessmentPage(Schema):
    assessments: list[AssessmentOut]
    next_after: int | None


class AssessmentIn(InputSchema):
    project: int = Field(ge=1, le=MAX_ID, description="A project you manage, with gold items.")
    slug: str = Field(max_length=80)
    title: str = Field(max_length=200)
    description: str = ""
    task_type: str
    domain: str
    items_per_attempt: int = 20
    pass_threshold: float = 0.8
    validity_days: int = 365
    retake_wait_days: int = 30


class AssessmentPatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    items_per_attempt: int | None = None
    pass_threshold: float | None = None
    validity_days: int | None = None
    retake_wait_days: int | None = None


class RevisionOut(Schema):
    version: int
    changes: dict
    created_at: datetime
    created_by: int | None


def _assessment(a: Assessment, *, staff: bool) -> dict:
    return {
        **{
            k: getattr(a, k)
            for k in (
                "id",
                "slug",
                "title",
                "description",
                "task_type",
                "domain",
                "items_per_attempt",
                "pass_threshold",
                "validity_days",
                "retake_wait_days",
                "version",
                "status",
                "created_at",
            )
        },
        "project": a.project_id if staff else None,
    }


@router.get(
    "/vetting/assessments",
    response=AssessmentPage,
    summary="Assessments: the active ones (staff: all), by keyset pages on id",
)
def list_assessments(
    request: ApiRequest,
    after: After = 0,
    limit: Limit = 50,
    status: Literal["draft", "active", "retired"] | None = None,
):
    qs = access.assessments_visible_to(request.auth)
    if status:
        qs = qs.filter(status=status)
    rows, next_after = _page(qs, after, limit)
    staff = access.is_staff(request.auth)
    return {"assessments": [_assessment(a, staff=staff) for a in rows], "next_after": next_after}


@router.post(
    "/vetting/assessments",
    response={201: AssessmentOut},
    summary="Create a draft assessment from a gold project (staff)",
)
def create_assessment(request: ApiRequest, body: AssessmentIn):
    access.require_staff(request.auth)
    data = body.dict()
    project = workbench_access.get_project_for_user(
        request.auth, data.pop("project"), action="manage"
    )
    a = services.create_assessment(project=project, by=request.auth, **data)
    return Status(201, _assessment(a, staff=True))


@router.get(
    "/vetting/assessments/{assessment_id}", response=AssessmentOut, summary="One assessment"
)
def get_assessment(request: ApiRequest, assessment_id: ObjectId):
    a = access.get_assessment_for_user(request.auth, assessment_id)
    return _assessment(a, staff=access.is_staff(request.auth))


@router.patch(
    "/vetting/assessments/{assessment_id}",
    response=AssessmentOut,
    summary="Change an assessment (staff); a change of what is measured makes a new version",
)
def update_assessment(request: ApiRequest, assessment_id: ObjectId, body: AssessmentPatch):
    a = access.get_assessment_for_staff(request.auth, assessment_id)
    changes = body.dict(exclude_none=True)
    a = services.update_assessment(assessment=a, by=request.auth, **changes)
    return _assessment(a, staff=True)


@router.post(
    "/vetting/assessments/{assessment_id}/activate",
    response=AssessmentOut,
    summary="Open an assessment to candidates (staff)",
)
def activate_assessment(request: ApiRequest, assessment_id: ObjectId):
    a = access.get_assessment_for_staff(request.auth, assessment_id)
    return _assessment(services.activate_assessment(assessment=a, by=request.auth), staff=True)


@router.post(
    "/vetting/assessments/{assessment_id}/retire",
    response=AssessmentOut,
    summary="Retire an assessment: no new attempts, results stay valid (staff)",
)
def retire_assessment(request: ApiRequest, assessment_id: ObjectId):
    a = access.get_assessment_for_staff(request.auth, assessment_id)
    return _assessment(services.retire_assessment(assessment=a, by=request.auth), staff=True)


@router.get(
    "/vetting/assessments/{assessment_id}/revisions",
    response=list[RevisionOut],
    summary="An assessment's versions, newest first (staff)",
)
def list_revisions(request: ApiRequest, assessment_id: ObjectId):
    a = access.get_assessment_for_staff(request.auth, assessment_id)
    return [
        {
            "version": r.version,
            "changes": r.changes,
            "created_at": r.created_at,
            "created_by": r.created_by_id,
        }
        for r in a.revisions.order_by("-version")
    ]


# --- attempts -----------------------------------------------------------------------------


class AttemptOut(Schema):
    id: int
    assessment: int
    assessment_version: int
    user: int
    status: str = Field(description="in_progress, scored or abandoned.")
    project: int | None = Field(
        description="The attempt's own workbench project: answer it with "
        "`GET /api/v1/projects/{project}/next` and the submit endpoint."
    )
    answered: int
    items: int
    started_at: datetime
    finished_at: datetime | None
    n: int | None
    correct: int | None
    skipped: int | None = Field(description="Skipped items, counted as not correct.")
    accuracy: float | None
    low: float | None = Field(description="95% Wilson interval, lower bound.")
    high: float | None
    passed: bool | None
    lead_time_seconds: float | None = Field(description="Median seconds per answered item.")
    valid_until: datetime | None
    snapshot: int | None = Field(description="The quality app's gold snapshot it came from.")
    pool_item_ids: list[int] | None = Field(description="The drawn pool items (staff only).")


class AttemptPage(Schema):
    attempts: list[AttemptOut]
    next_after: int | None


def _attempt(t: Attempt, *, staff: bool) -> dict:
    answered, items = services.attempt_progress(t)
    return {
        **{
            k: getattr(t, k)
            for k in (
                "id",
                "assessment_version",
                "user_id",
                "status",
                "started_at",
                "finished_at",
                "n",
                "correct",
                "skipped",
                "accuracy",
                "low",
                "high",
                "passed",
                "lead_time_seconds",
                "valid_until",
            )
        },
        "assessment": t.assessment_id,
        "user": t.user_id,
        "project": t.workspace_id,
        "answered": answered,
        "items": items,
        "snapshot": t.snapshot_id,
        "pool_item_ids": list(t.item_ids) if staff else None,
    }


@router.post(
    "/vetting/assessments/{assessment_id}/attempts",
    response={201: AttemptOut},
    summary="Start an attempt: draw your items (refused during a retake wait or "
    "while an attempt is open)",
)
def start_attempt(request: ApiRequest, assessment_id: ObjectId):
    a = access.get_assessment_for_user(request.auth, assessment_id)
    t = services.start_attempt(assessment=a, user=request.auth, by=request.auth)
    return Status(201, _attempt(t, staff=False))


@router.get(
    "/vetting/attempts", response=AttemptPage, summary="Your attempts, by keyset pages on id"
)
def list_attempts(request: ApiRequest, after: After = 0, limit: Limit = 50):
    qs = Attempt.objects.filter(user=request.auth)
    rows, next_after = _page(qs, after, limit)
    return {"attempts": [_attempt(t, staff=False) for t in rows], "next_after": next_after}


@router.get(
    "/vetting/attempts/{attempt_id}", response=AttemptOut, summary="One attempt (yours; staff: any)"
)
def get_attempt(request: ApiRequest, attempt_id: ObjectId):
    t = access.get_attempt_for_user(request.auth, attempt_id)
    return _attempt(t, staff=access.is_staff(request.auth))


@router.post(
    "/vetting/attempts/{attempt_id}/score",
    response=AttemptOut,
    summary="Score your finished attempt (every drawn item answered or skipped)",
)
def score_attempt(request: ApiRequest, attempt_id: ObjectId):
    t = access.get_own_attempt(request.auth, attempt_id)
    return _attempt(services.score_attempt(attempt=t, by=request.auth), staff=False)


@router.post(
    "/vetting/attempts/{attempt_id}/abandon",
    response=AttemptOut,
    summary="Give up your attempt in progress (it counts for the retake wait; no result)",
)
def abandon_attempt(request: ApiRequest, attempt_id: ObjectId):
    t = access.get_own_attempt(request.auth, attempt_id)
    return _attempt(services.abandon_attempt(attempt=t, by=request.auth), staff=False)


# --- evidence -----------------------------------------------------------------------------


class EvidenceOut(Schema):
    id: int
    task_type: str
    domain: str
    source: str = Field(description="assessment or scorecard.")
    attempt: int | None
    scorecard: int | None
    n: int
    accuracy: float | None
    low: float | None
    high: float | None
    agreement: float | None
    lead_time_seconds: float | None
    measured_at: datetime
    valid_until: datetime
    valid: bool = Field(description="false once past valid_until: counts as missing.")
    inputs_digest: str


class EvidencePage(Schema):
    evidence: list[EvidenceOut]
    next_after: int | None


@router.get(
    "/vetting/evidence",
    response=EvidencePage,
    summary="Your measured evidence, by keyset pages on id",
)
def list_evidence(request: ApiRequest, after: After = 0, limit: Limit = 50):
    rows, next_after = _page(Evidence.objects.filter(user=request.auth), after, limit)
    now = timezone.now()
    return {
        "evidence": [
            {
                **{k: getattr(e, k) for k in (*Evidence.SHOWN_FIELDS, "inputs_digest")},
                "attempt": e.attempt_id,
                "scorecard": e.scorecard_id,
                "valid": e.valid_until > now,
            }
            for e in rows
        ],
        "next_after": next_after,
    }
