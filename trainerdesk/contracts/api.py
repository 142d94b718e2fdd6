"""The contracts JSON API under /api/v1/contracts/: the pages' actions with the same rules
(access.py: a contract not yours, or a draft, is a 404; templates, drafting and the staff
moves are staff's, a 404 for anyone else) and the services' refusals as 400/403/409 with
their message. Lists page by keyset (`after` an id).

Accepting sends the sha256 of the PDF the party was shown (GET .../pdf, or the `pdf_sha256`
of GET .../{id}): the service writes nothing unless it is the stored document's."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from django.http import HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from trainerdesk.contracts import access, services
from trainerdesk.contracts.models import Contract, ContractTemplate, Kind
from trainerdesk.contracts.values import NAMES_BY_KIND
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network.models import Client, Member, Opening

router = Router(tags=["contracts"])

MAX_ID = 2**63 - 1
MAX_PAGE = 500
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows with an id above this.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
REFUSED = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PartyId = Annotated[int, Field(ge=1, le=MAX_ID)]

T = TypeVar("T")


def _call(fn: Callable[..., T], **kwargs: Any) -> T:
    """services.NotAllowed (a ConflictError) is a 403 here: the caller may see the contract
    but not do this to it (staff accepting for a party)."""
    try:
        return fn(**kwargs)
    except services.NotAllowed as exc:
        raise HttpError(403, str(exc)) from None


class VersionOut(Schema):
    id: int
    number: int
    placeholders: list[str]
    created_at: datetime.datetime
    body: str


class TemplateOut(Schema):
    id: int
    kind: str
    title: str
    known_placeholders: list[str]
    versions: list[VersionOut]


class TemplatesOut(Schema):
    templates: list[TemplateOut]


class PublishIn(InputSchema):
    body: str = Field(max_length=services.MAX_BODY, description="Markdown with {{ name }}s.")


class ContractOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    version: int = Field(alias="version_id")
    version_number: int = Field(alias="version.number")
    member: int | None = Field(None, alias="member_id")
    client: int | None = Field(None, alias="client_id")
    opening: int | None = Field(None, alias="opening_id")
    values: dict[str, str]
    html: str
    pdf_sha256: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    signed_at: datetime.datetime | None
    activated_at: datetime.datetime | None
    ended_at: datetime.datetime | None


class ContractPage(Schema):
    contracts: list[ContractOut]
    next_after: int | None


class DraftIn(InputSchema):
    kind: Literal["member_agreement", "client_framework", "role_terms"]
    member: PartyId | None = None
    client: PartyId | None = None
    opening: PartyId | None = None
    starts_on: datetime.date | None = Field(None, strict=False)
    ends_on: datetime.date | None = Field(None, strict=False)


class TerminateIn(InputSchema):
    reason: str = Field(max_length=1000)


class AcceptIn(InputSchema):
    sha256: str = Field(
        min_length=64, max_length=64, description="The sha256 of the PDF you were shown."
    )


class AcceptanceOut(Schema):
    id: int
    contract: int = Field(alias="contract_id")
    user: int = Field(alias="user_id")
    accepted_at: datetime.datetime
    document_sha256: str


def _party(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise InvalidInput([f"{field}: no such {field}"])
    return row


def _staff_contract(request: ApiRequest, contract_id: int) -> Contract:
    access.require_staff(request.auth)
    return access.get_contract_for_user(request.auth, contract_id)


# -- templates (staff) ------------------------------------------------------------------


@router.get("/contracts/templates", response={200: TemplatesOut, 404: ErrorOut})
def list_templates(request: ApiRequest):
    """Staff: every template with its versions, newest first, and the placeholder names
    its kind can fill. Anyone else: 404."""
    access.require_staff(request.auth)
    rows = []
    for template in ContractTemplate.objects.prefetch_related("versions"):
        versions = sorted(template.versions.all(), key=lambda v: -v.number)
        rows.append(
            {
                "id": template.pk,
                "kind": template.kind,
                "title": template.title,
                "known_placeholders": sorted(NAMES_BY_KIND[template.kind]),
                "versions": [VersionOut.from_orm(v).dict() for v in versions],
            }
        )
    return {"templates": rows}


@router.post("/contracts/templates/{template_id}/versions", response={201: VersionOut, **REFUSED})
def publish_version(request: ApiRequest, template_id: Id, body: PublishIn):
    """Staff: publish a new version (numbered after the last; old ones are never edited).
    An unknown placeholder is a 400 naming it."""
    template = access.get_template_for_staff(request.auth, template_id)
    version = _call(
        services.publish_template_version, template=template, body=body.body, by=request.auth
    )
    return Status(201, version)


# -- contracts --------------------------------------------------------------------------


@router.get("/contracts/contracts", response=ContractPage)
def list_contracts(
    request: ApiRequest,
    after: After = 0,
    limit: Limit = 100,
    status: Annotated[Contract.Status | None, Query(description="Only this status.")] = None,
):
    """Staff: every contract; a member: their member agreements once sent; a client's
    contact: the client's contracts once sent. Oldest first."""
    qs = access.visible_contracts(request.auth)
    if status is not None:
        qs = qs.filter(status=status)
    rows = list(qs.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"contracts": rows, "next_after": rows[-1].pk if more else None}


@router.get("/contracts/contracts/{contract_id}", response={200: ContractOut, 404: ErrorOut})
def get_contract(request: ApiRequest, contract_id: Id):
    return access.get_contract_for_user(request.auth, contract_id)


@router.get(
    "/contracts/contracts/{contract_id}/pdf",
    response={200: None, 404: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "The stored PDF; `X-Content-SHA256` is what accepting sends.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def contract_pdf(request: ApiRequest, contract_id: Id):
    contract = access.get_contract_for_user(request.auth, contract_id)
    response = HttpResponse(bytes(contract.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contract-{contract.pk}.pdf"'
    response["X-Content-SHA256"] = contract.pdf_sha256
    return response


@router.post("/contracts/contracts", response={201: ContractOut, **REFUSED})
def draft_contract(request: ApiRequest, body: DraftIn):
    """Staff: fill the latest version of the kind's template for its parties (a member
    agreement names `member`, a framework agreement `client`, role terms `opening`)."""
    access.require_staff(request.auth)
    contract = _call(
        services.draft_contract,
        kind=Kind(body.kind),
        member=_party(Member, body.member, "member"),
        client=_party(Client, body.client, "client"),
        opening=_party(Opening, body.opening, "opening"),
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        by=request.auth,
    )
    return Status(201, contract)


@router.post("/contracts/contracts/{contract_id}/send", response={200: ContractOut, **REFUSED})
def send_contract(request: ApiRequest, contract_id: Id):
    contract = _staff_contract(request, contract_id)
    return _call(services.send_contract, contract=contract, by=request.auth)


@router.post("/contracts/contracts/{contract_id}/activate", response={200: ContractOut, **REFUSED})
def activate_contract(request: ApiRequest, contract_id: Id):
    contract = _staff_contract(request, contract_id)
    return _call(services.activate_contract, contract=contract, by=request.auth)


@router.post("/contracts/contracts/{contract_id}/terminate", response={200: ContractOut, **REFUSED})
def terminate_contract(request: ApiRequest, contract_id: Id, body: TerminateIn):
    contract = _staff_contract(request, contract_id)
    contract = _call(
        services.terminate_contract, contract=contract, reason=body.reason, by=request.auth
    )
    return contract


@router.post("/contracts/contracts/{contract_id}/accept", response={201: AcceptanceOut, **REFUSED})
def accept_contract(request: ApiRequest, contract_id: Id, body: AcceptIn):
    """The party accepts, for themselves, the document whose sha256 they send: a stale
    or wrong one is a 409 and writes nothing. Staff see the contract but get a 403."""
    contract = access.get_contract_for_user(request.auth, contract_id)
    acceptance = _call(
        services.accept_contract,
        contract=contract,
        user=request.auth,
        # REMOTE_ADDR only, as the page and sign-ins do (X-Forwarded-For is the client's).
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        seen_sha256=body.sha256,
        by=request.auth,
    )
    return Status(201, acceptance)
