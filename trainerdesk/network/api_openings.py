"""Openings ("roles") with requirements and fee terms in the JSON API."""

from __future__ import annotations

import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network import access, services
from trainerdesk.network.api_common import PageQuery, call, page

router = Router(tags=["network roles"])
DENIED = {403: ErrorOut, 409: ErrorOut}


class RequirementIO(Schema):
    kind: str = Field(
        description="language, work_authorisation, availability, accuracy, agreement or lead_time."
    )
    language: str = ""
    level: str = ""
    region: str = ""
    hours: int | None = None
    task_type: str = ""
    domain: str = ""
    threshold: float | None = Field(
        None,
        description="Lower bound (accuracy, agreement) or seconds per item at most (lead time).",
    )
    weight: int = 1


class OpeningValues(Schema):
    title: str
    description: str = ""
    task_type: str
    domain: str = "general"
    workplace: str = "remote"
    location: str = ""
    contract_type: str
    duration_months: int | None = None
    hours_per_week: int
    pay_cents: int
    pay_currency: str = "EUR"
    pay_unit: str = "hour"
    positions: int = 1
    fee_type: str = Field("", description="percent or flat; empty: no terms yet.")
    fee_basis_points: int | None = Field(None, description="2000 = 20 % of first-year pay.")
    fee_flat_cents: int | None = None
    fee_currency: str = "EUR"
    guarantee_days: int = 90


class OpeningOut(OpeningValues):
    id: int
    client: int = Field(alias="client_id")
    client_name: str = Field(alias="client.name")
    status: str
    created_at: datetime.datetime
    approved_at: datetime.datetime | None
    requirements: list[RequirementIO]

    @staticmethod
    def resolve_requirements(obj) -> list:
        return list(obj.requirements.all())


class OpeningIn(InputSchema, OpeningValues):
    # InputSchema first: its strict reading applies to the shared fields too.
    client: int
    requirements: list[dict] = []


class OpeningPatch(InputSchema):
    title: str | None = None
    description: str | None = None
    task_type: str | None = None
    domain: str | None = None
    workplace: str | None = None
    location: str | None = None
    contract_type: str | None = None
    duration_months: int | None = None
    hours_per_week: int | None = None
    pay_cents: int | None = None
    pay_currency: str | None = None
    pay_unit: str | None = None
    positions: int | None = None
    fee_type: str | None = None
    fee_basis_points: int | None = None
    fee_flat_cents: int | None = None
    fee_currency: str | None = None
    guarantee_days: int | None = None
    requirements: list[dict] | None = Field(None, description="Replaces all requirements.")


class OpeningPage(Schema):
    openings: list[OpeningOut]
    next_after: int | None


class OpeningQuery(PageQuery):
    status: str | None = None


@router.get("/network/openings", response=OpeningPage, summary="Roles I may see")
def list_openings(request: ApiRequest, query: Query[OpeningQuery]):
    qs = access.openings_for(request.auth).prefetch_related("requirements")
    if query.status:
        qs = qs.filter(status=query.status)
    rows, cursor = page(qs, query)
    return {"openings": rows, "next_after": cursor}


@router.post("/network/openings", response={201: OpeningOut, **DENIED}, summary="Create a role")
def create_opening(request: ApiRequest, body: OpeningIn):
    data = body.dict()
    client = access.get_client_for_user(request.auth, data.pop("client"))
    requirements = data.pop("requirements")
    return Status(
        201,
        call(
            services.create_opening,
            client=client,
            values=data,
            requirements=requirements,
            by=request.auth,
        ),
    )


@router.get("/network/openings/{opening_id}", response=OpeningOut, summary="One role")
def get_opening(request: ApiRequest, opening_id: int):
    return access.get_opening_for_user(request.auth, opening_id)


@router.patch(
    "/network/openings/{opening_id}",
    response={200: OpeningOut, **DENIED},
    summary="Change a role (draft, approved or on hold)",
)
def patch_opening(request: ApiRequest, opening_id: int, body: OpeningPatch):
    opening = access.get_opening_for_user(request.auth, opening_id, manage=True)
    data = body.dict(exclude_unset=True)
    requirements = data.pop("requirements", None)
    return call(
        services.update_opening,
        opening=opening,
        values=data,
        requirements=requirements,
        by=request.auth,
    )


class TransitionIn(InputSchema):
    to: str = Field(description="approved (staff), open, on_hold, filled, closed, cancelled.")
    reason: str = ""


@router.post(
    "/network/openings/{opening_id}/transition",
    response={200: OpeningOut, **DENIED},
    summary="Move a role to another status",
)
def transition(request: ApiRequest, opening_id: int, body: TransitionIn):
    opening = access.get_opening_for_user(request.auth, opening_id, manage=True)
    return call(
        services.transition_opening,
        opening=opening,
        to=body.to,
        reason=body.reason,
        by=request.auth,
    )
