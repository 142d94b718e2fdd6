"""The network's JSON API: members, memberships, onboarding and clients. Candidates and
openings are in api_candidates / api_openings. Reads go through network/access.py
(404 for anything not yours); writes through network.services (which audit)."""

from __future__ import annotations

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network import access, services
from trainerdesk.network.api_common import PageQuery, call, page
from trainerdesk.network.models import Client, Member, Membership

router = Router(tags=["network"])
DENIED = {403: ErrorOut, 409: ErrorOut}


class MembershipOut(Schema):
    id: int
    status: str
    plan: str = Field(alias="plan.code")
    price_cents: int
    currency: str
    period_start: datetime.date | None
    period_end: datetime.date | None = Field(description="Also the renewal date.")


class MemberOut(Schema):
    id: int
    username: str = Field(alias="user.username")
    display_name: str
    country: str
    vat_status: str
    vat_id: str
    street: str = Field(description="Postal address (invoices print it); may be blank.")
    postal_code: str
    city: str
    status: str
    applied_at: datetime.datetime


class MeOut(Schema):
    personas: list[str]
    member: MemberOut | None
    membership: MembershipOut | None
    can_submit: bool
    can_submit_reason: str
    candidate_id: int | None
    client_ids: list[int]


@router.get("/network/me", response=MeOut, summary="Who I am in the network")
def me(request: ApiRequest):
    member = access.member_of(request.auth)
    check = services.member_can_submit(member) if member else services.SubmitCheck(False, "")
    own = access.candidate_of(request.auth)
    return {
        "personas": sorted(access.personas(request.auth)),
        "member": member,
        "membership": services.current_membership(member) if member else None,
        "can_submit": check.allowed,
        "can_submit_reason": check.reason,
        "candidate_id": own.pk if own else None,
        "client_ids": access.client_ids_of(request.auth),
    }


class ApplyIn(InputSchema):
    display_name: str
    country: str = Field(description="ISO 3166-1 alpha-2.")
    vat_status: str = Field(description="registered, small_business or not_registered.")
    vat_id: str = ""
    street: str = Field("", description="Postal address, optional (membership invoices print it).")
    postal_code: str = ""
    city: str = ""
    bio: str = ""
    application: dict | None = Field(None, description="Career-assessment answers carried over.")


@router.post("/network/members", response={201: MemberOut, **DENIED}, summary="Apply to join")
def apply(request: ApiRequest, body: ApplyIn):
    member = call(services.apply_for_membership, user=request.auth, **body.dict(), by=request.auth)
    return Status(201, member)


class MemberPage(Schema):
    members: list[MemberOut]
    next_after: int | None


class MemberQuery(PageQuery):
    status: str | None = None


@router.get("/network/members", response=MemberPage, summary="Members (staff)")
def list_members(request: ApiRequest, query: Query[MemberQuery]):
    access.require_staff(request.auth)
    qs = Member.objects.select_related("user")
    if query.status:
        qs = qs.filter(status=query.status)
    rows, cursor = page(qs, query)
    return {"members": rows, "next_after": cursor}


class DecisionIn(InputSchema):
    approve: bool
    reason: str = ""


@router.post(
    "/network/members/{member_id}/decision",
    response={200: MemberOut, **DENIED},
    summary="Approve or reject an application (staff)",
)
def decide_member(request: ApiRequest, member_id: int, body: DecisionIn):
    member = access.get_member_for_staff(request.auth, member_id)
    return call(
        services.decide_member,
        member=member,
        approve=body.approve,
        reason=body.reason,
        by=request.auth,
    )


@router.post(
    "/network/members/{member_id}/renewal",
    response={201: MembershipOut, **DENIED},
    summary="Start a renewal (a period waiting for payment)",
)
def renew(request: ApiRequest, member_id: int):
    own = access.member_of(request.auth)
    if own is not None and own.pk == member_id:
        member = own
    else:
        member = access.get_member_for_staff(request.auth, member_id)
    return Status(201, call(services.renew_membership, member=member, by=request.auth))


def _membership(request: ApiRequest, membership_id: int) -> Membership:
    found = get_object_or_404(Membership.objects.select_related("member", "plan"), pk=membership_id)
    if not (request.auth.is_staff or found.member.user_id == request.auth.pk):
        access.require_staff(request.auth)
    return found


@router.post(
    "/network/memberships/{membership_id}/activate",
    response={200: MembershipOut, **DENIED},
    summary="Mark the period's payment received (staff)",
)
def activate(request: ApiRequest, membership_id: int):
    access.require_staff(request.auth)
    membership = _membership(request, membership_id)
    return call(services.activate_membership, membership=membership, by=request.auth)


class ReasonIn(InputSchema):
    reason: str = ""


@router.post(
    "/network/memberships/{membership_id}/cancel",
    response={200: MembershipOut, **DENIED},
    summary="Cancel a period",
)
def cancel(request: ApiRequest, membership_id: int, body: ReasonIn):
    membership = _membership(request, membership_id)
    return call(
        services.cancel_membership, membership=membership, reason=body.reason, by=request.auth
    )


class GuideOut(Schema):
    slug: str
    title: str
    version: int
    minutes: int
    done: bool


@router.get("/network/guides", response=list[GuideOut], summary="My onboarding checklist")
def list_guides(request: ApiRequest):
    member = access.approved_member_of(request.auth)
    return [
        {
            **{k: getattr(row.guide, k) for k in ("slug", "title", "version", "minutes")},
            "done": row.done,
        }
        for row in services.onboarding_checklist(member)
    ]


@router.post(
    "/network/guides/{slug}/complete",
    response={200: GuideOut, **DENIED},
    summary="Mark a guide as read",
)
def complete_guide(request: ApiRequest, slug: str):
    member = access.approved_member_of(request.auth)
    found = services.guide(slug)
    if found is None:
        raise Http404("Not found")
    call(services.complete_guide, member=member, slug=slug, by=request.auth)
    return {
        "slug": found.slug,
        "title": found.title,
        "version": found.version,
        "minutes": found.minutes,
        "done": True,
    }


class ClientOut(Schema):
    id: int
    name: str
    legal_name: str
    country: str
    vat_id: str
    street: str
    postal_code: str
    city: str
    billing_email: str
    status: str


class ClientIn(InputSchema):
    name: str
    legal_name: str = ""
    country: str
    vat_id: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    billing_email: str = ""


class ClientPatch(InputSchema):
    name: str | None = None
    legal_name: str | None = None
    country: str | None = None
    vat_id: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    billing_email: str | None = None


class ClientPage(Schema):
    clients: list[ClientOut]
    next_after: int | None


@router.get(
    "/network/clients", response=ClientPage, summary="Clients (staff: all; a contact: theirs)"
)
def list_clients(request: ApiRequest, query: Query[PageQuery]):
    rows, cursor = page(access.clients_for(request.auth), query)
    return {"clients": rows, "next_after": cursor}


@router.post(
    "/network/clients", response={201: ClientOut, **DENIED}, summary="Create a client (staff)"
)
def create_client(request: ApiRequest, body: ClientIn):
    access.require_staff(request.auth)
    return Status(201, call(services.create_client, **body.dict(), by=request.auth))


@router.get("/network/clients/{client_id}", response=ClientOut, summary="One client")
def get_client(request: ApiRequest, client_id: int):
    return access.get_client_for_user(request.auth, client_id)


@router.patch(
    "/network/clients/{client_id}",
    response={200: ClientOut, **DENIED},
    summary="Change a client (staff)",
)
def patch_client(request: ApiRequest, client_id: int, body: ClientPatch):
    access.require_staff(request.auth)
    client = access.get_client_for_user(request.auth, client_id)
    return call(
        services.update_client, client=client, by=request.auth, **body.dict(exclude_unset=True)
    )


@router.post(
    "/network/clients/{client_id}/decision",
    response={200: ClientOut, **DENIED},
    summary="Approve or reject a client (staff)",
)
def decide_client(request: ApiRequest, client_id: int, body: DecisionIn):
    access.require_staff(request.auth)
    client = access.get_client_for_user(request.auth, client_id)
    return call(
        services.decide_client,
        client=client,
        approve=body.approve,
        reason=body.reason,
        by=request.auth,
    )


class ContactIn(InputSchema):
    username: str
    email: str = ""
    password: str = Field("", description="Creates the account when the username is new.")
    job_title: str = ""
    is_primary: bool = False


class ContactOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    username: str = Field(alias="user.username")
    job_title: str
    is_primary: bool


@router.post(
    "/network/clients/{client_id}/contacts",
    response={201: ContactOut, **DENIED},
    summary="Add a contact who logs in to the client portal (staff)",
)
def add_contact(request: ApiRequest, client_id: int, body: ContactIn):
    access.require_staff(request.auth)
    client: Client = access.get_client_for_user(request.auth, client_id)
    return Status(
        201, call(services.add_client_contact, client=client, **body.dict(), by=request.auth)
    )
