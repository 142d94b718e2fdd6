"""The pipeline's JSON API under /api/v1/placements/: every action of the pages, with the
same access rules (access.py: anything not yours is a 404) and the services' refusals
as 400/403/409 with their message. Lists page by keyset (`after` an id)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.placements import access, services
from trainerdesk.placements.models import (
    Interview,
    Offer,
    OwnershipDispute,
    StageChange,
    Submission,
)

router = Router(tags=["placements"])

MAX_ID = 2**63 - 1
MAX_PAGE = 500
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[
    int, Query(ge=0, le=MAX_ID, description="Return rows with an id above this (keyset paging).")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
StageName = Literal[
    "sourced", "submitted", "client_review", "interview", "offer", "placed", "rejected",
    "withdrawn",
]  # fmt: skip
REFUSED = {400: ErrorOut, 403: ErrorOut, 409: ErrorOut}


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    by: int | None = Field(None, alias="by_id")
    at: datetime.datetime
    reason: str


class SubmissionOut(Schema):
    id: int
    candidate: int = Field(alias="candidate_id")
    candidate_name: str = Field(alias="candidate.full_name")
    opening: int = Field(alias="opening_id")
    client: int = Field(alias="opening.client_id")
    member: int = Field(alias="member_id")
    consent: int | None = Field(None, alias="consent_id")
    policy_version: int = Field(alias="policy.version")
    stage: str
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None
    stage_changed_at: datetime.datetime


class SubmissionDetailOut(SubmissionOut):
    history: list[StageChangeOut] = Field(alias="history_rows")
    allowed_moves: list[str] = Field(alias="moves_for_caller")


class SubmissionPage(Schema):
    submissions: list[SubmissionOut]
    next_after: int | None


class InterviewOut(Schema):
    id: int
    submission: int = Field(alias="submission_id")
    scheduled_at: datetime.datetime
    duration_minutes: int
    feedback: dict
    outcome: str
    notes: str


class OfferOut(Schema):
    id: int
    submission: int = Field(alias="submission_id")
    pay_cents: int
    currency: str
    unit: str
    hours_per_week: int
    start_date: datetime.date
    status: str


class PlacementOut(Schema):
    id: int
    submission: int = Field(alias="submission_id")
    client: int = Field(alias="client_id")
    member: int = Field(alias="member_id")
    fee_type: str
    fee_basis_points: int | None
    fee_basis_cents: int | None
    fee_cents: int
    currency: str
    commission_basis_points: int
    member_commission_cents: int
    platform_cents: int
    start_date: datetime.date
    started_on: datetime.date | None
    guarantee_ends_on: datetime.date
    status: str
    earned_on: datetime.date | None
    fell_off_on: datetime.date | None


class PlacementPage(Schema):
    placements: list[PlacementOut]
    next_after: int | None


class FunnelRowOut(Schema):
    stage: str
    reached: int
    conversion: float | None
    median_seconds: float | None
    stays: int


class DisputeOut(Schema):
    id: int
    ownership: int = Field(alias="ownership_id")
    claimant: int = Field(alias="claimant_id")
    reason: str
    status: str
    resolution: str


class PolicyOut(Schema):
    version: int
    pending_cap_per_member_per_opening: int
    ownership_days: int
    created_at: datetime.datetime


# -- bodies --


class SubmitIn(InputSchema):
    candidate: int = Field(ge=1, le=MAX_ID)
    opening: int = Field(ge=1, le=MAX_ID)
    stage: Literal["sourced", "submitted"] = "submitted"


class MoveIn(InputSchema):
    to_stage: StageName
    reason: str = Field("", max_length=2000)


class InterviewIn(InputSchema):
    scheduled_at: datetime.datetime = Field(strict=False)
    duration_minutes: int = Field(45, ge=5, le=480)


class FeedbackIn(InputSchema):
    feedback: dict = Field(description='{"<requirement id>": {"rating": "meets", "note": ""}}')
    outcome: Literal["advance", "hold", "do_not_advance"]
    notes: str = Field("", max_length=2000)


class OfferIn(InputSchema):
    pay_cents: int = Field(ge=1, le=10**9)
    currency: str = Field(min_length=3, max_length=3)
    unit: Literal["hour", "month", "year"]
    hours_per_week: int | None = Field(None, ge=1, le=80)
    start_date: datetime.date = Field(strict=False)


class AnswerIn(InputSchema):
    accepted: bool


class StartIn(InputSchema):
    on: datetime.date | None = Field(None, strict=False)


class FallOffIn(InputSchema):
    on: datetime.date = Field(strict=False)
    reason: str = Field(min_length=1, max_length=2000)


class DisputeIn(InputSchema):
    candidate: int = Field(ge=1, le=MAX_ID)
    client: int = Field(ge=1, le=MAX_ID)
    reason: str = Field(min_length=1, max_length=2000)


class ResolveIn(InputSchema):
    reassign: bool
    reason: str = Field(min_length=1, max_length=2000)


class PolicyIn(InputSchema):
    pending_cap_per_member_per_opening: int
    ownership_days: int


class SweepIn(InputSchema):
    today: datetime.date = Field(strict=False)


def _detail(request: ApiRequest, sub: Submission) -> Submission:
    sub = access.get_submission_for_user(request.auth, sub.pk)
    sub.history_rows = list(StageChange.objects.filter(submission=sub))  # type: ignore[attr-defined]
    sub.moves_for_caller = services.allowed_moves(sub, request.auth)  # type: ignore[attr-defined]
    return sub


# -- submissions --


@router.get("/placements/submissions", response=SubmissionPage)
def list_submissions(
    request: ApiRequest, after: After = 0, limit: Limit = 100, stage: StageName | None = None
):
    """Submissions you may see (yours as a member; to your client's roles, never sourced
    ones, as a client contact; all as staff), oldest first."""
    qs = access.visible_submissions(request.auth).select_related("policy").filter(pk__gt=after)
    if stage:
        qs = qs.filter(stage=stage)
    page = list(qs.order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"submissions": page, "next_after": page[-1].pk if more else None}


@router.post("/placements/submissions", response={201: SubmissionDetailOut, **REFUSED})
def create_submission(request: ApiRequest, body: SubmitIn):
    member, candidate, opening = access.get_submittable(request.auth, body.candidate, body.opening)
    sub = services.submit_candidate(
        candidate=candidate, opening=opening, member=member, stage=body.stage, by=request.auth
    )
    return Status(201, _detail(request, sub))


@router.get("/placements/submissions/{submission_id}", response=SubmissionDetailOut)
def get_submission(request: ApiRequest, submission_id: Id):
    return _detail(request, access.get_submission_for_user(request.auth, submission_id))


@router.post(
    "/placements/submissions/{submission_id}/stage", response={200: SubmissionDetailOut, **REFUSED}
)
def move_submission(request: ApiRequest, submission_id: Id, body: MoveIn):
    """Move to another stage. Members: sourced → submitted, withdraw. Clients: client
    review, interview, offer, placed (needs an accepted offer; makes the placement),
    rejected. Staff: any move of the graph."""
    sub = access.get_submission_for_user(request.auth, submission_id)
    services.move_submission(
        submission=sub, to_stage=body.to_stage, reason=body.reason, by=request.auth
    )
    return _detail(request, sub)


@router.post(
    "/placements/submissions/{submission_id}/interviews", response={201: InterviewOut, **REFUSED}
)
def schedule_interview(request: ApiRequest, submission_id: Id, body: InterviewIn):
    sub = access.get_submission_for_user(request.auth, submission_id)
    interview = services.schedule_interview(
        submission=sub, scheduled_at=body.scheduled_at,
        duration_minutes=body.duration_minutes, by=request.auth,
    )  # fmt: skip
    return Status(201, interview)


@router.get("/placements/submissions/{submission_id}/interviews", response=list[InterviewOut])
def list_interviews(request: ApiRequest, submission_id: Id):
    sub = access.get_submission_for_user(request.auth, submission_id)
    return list(Interview.objects.filter(submission=sub).order_by("pk"))


@router.post(
    "/placements/interviews/{interview_id}/feedback", response={200: InterviewOut, **REFUSED}
)
def interview_feedback(request: ApiRequest, interview_id: Id, body: FeedbackIn):
    interview = access.get_interview_for_user(request.auth, interview_id)
    return services.record_interview_feedback(
        interview=interview, feedback=body.feedback, outcome=body.outcome, notes=body.notes,
        by=request.auth,
    )  # fmt: skip


@router.post("/placements/submissions/{submission_id}/offers", response={201: OfferOut, **REFUSED})
def make_offer(request: ApiRequest, submission_id: Id, body: OfferIn):
    sub = access.get_submission_for_user(request.auth, submission_id)
    offer = services.make_offer(
        submission=sub, pay_cents=body.pay_cents, currency=body.currency, unit=body.unit,
        hours_per_week=body.hours_per_week, start_date=body.start_date, by=request.auth,
    )  # fmt: skip
    return Status(201, offer)


@router.get("/placements/submissions/{submission_id}/offers", response=list[OfferOut])
def list_offers(request: ApiRequest, submission_id: Id):
    sub = access.get_submission_for_user(request.auth, submission_id)
    return list(Offer.objects.filter(submission=sub).order_by("pk"))


@router.post("/placements/offers/{offer_id}/answer", response={200: OfferOut, **REFUSED})
def answer_offer(request: ApiRequest, offer_id: Id, body: AnswerIn):
    offer = access.get_offer_for_user(request.auth, offer_id)
    return services.answer_offer(offer=offer, accepted=body.accepted, by=request.auth)


# -- placements --


@router.get("/placements/placements", response=PlacementPage)
def list_placements(request: ApiRequest, after: After = 0, limit: Limit = 100):
    qs = access.visible_placements(request.auth).filter(pk__gt=after).order_by("pk")
    page = list(qs[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"placements": page, "next_after": page[-1].pk if more else None}


@router.get("/placements/placements/{placement_id}", response=PlacementOut)
def get_placement(request: ApiRequest, placement_id: Id):
    return access.get_placement_for_user(request.auth, placement_id)


@router.post("/placements/placements/{placement_id}/start", response={200: PlacementOut, **REFUSED})
def start_placement(request: ApiRequest, placement_id: Id, body: StartIn):
    placement = access.get_placement_for_user(request.auth, placement_id)
    return services.start_placement(placement=placement, on=body.on, by=request.auth)


@router.post(
    "/placements/placements/{placement_id}/fall-off", response={200: PlacementOut, **REFUSED}
)
def fall_off(request: ApiRequest, placement_id: Id, body: FallOffIn):
    placement = access.get_placement_for_user(request.auth, placement_id)
    return services.record_fall_off(
        placement=placement, on=body.on, reason=body.reason, by=request.auth
    )


@router.post("/placements/sweep", response={200: dict[str, int], **REFUSED})
def sweep(request: ApiRequest, body: SweepIn):
    """Staff: run the guarantee sweep for a day (the daily command does the same)."""
    access.staff_or_404(request.auth)
    return services.sweep_placements(today=body.today, by=request.auth)


# -- fair play: policy, ownership disputes, funnel --


@router.get("/placements/policy", response=PolicyOut)
def get_policy(request: ApiRequest):
    return services.current_policy()


@router.post("/placements/policy", response={201: PolicyOut, **REFUSED})
def create_policy(request: ApiRequest, body: PolicyIn):
    access.staff_or_404(request.auth)
    policy = services.create_fair_play_policy(
        pending_cap_per_member_per_opening=body.pending_cap_per_member_per_opening,
        ownership_days=body.ownership_days, by=request.auth,
    )  # fmt: skip
    return Status(201, policy)


@router.post("/placements/disputes", response={201: DisputeOut, **REFUSED})
def raise_dispute(request: ApiRequest, body: DisputeIn):
    member, ownership = access.get_disputable_ownership(request.auth, body.candidate, body.client)
    dispute = services.raise_ownership_dispute(
        ownership=ownership, claimant=member, reason=body.reason, by=request.auth
    )
    return Status(201, dispute)


@router.get("/placements/disputes", response=list[DisputeOut])
def list_disputes(request: ApiRequest, after: After = 0, limit: Limit = 100):
    access.staff_or_404(request.auth)
    return list(OwnershipDispute.objects.filter(pk__gt=after).order_by("pk")[:limit])


@router.post("/placements/disputes/{dispute_id}/resolve", response={200: DisputeOut, **REFUSED})
def resolve_dispute(request: ApiRequest, dispute_id: Id, body: ResolveIn):
    dispute = access.get_dispute_for_staff(request.auth, dispute_id)
    return services.resolve_ownership_dispute(
        dispute=dispute, reassign=body.reassign, reason=body.reason, by=request.auth
    )


@router.get("/placements/funnel", response=list[FunnelRowOut])
def get_funnel(request: ApiRequest):
    """Staff: conversion per stage and median time in stage over all submissions."""
    access.staff_or_404(request.auth)
    return services.funnel()
