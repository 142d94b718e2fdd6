"""The invoicing JSON API under /api/v1/invoicing/: the pages' actions with the same
rules (access.py: an invoice not yours is a 404; writes are staff's) and the services'
refusals as 400/409 with their message. Lists page by keyset (`after` an id)."""

from __future__ import annotations

import datetime
from typing import Annotated

from django.http import Http404
from ninja import Field, Path, Query, Router, Schema, Status

from trainerdesk.invoicing import access, services
from trainerdesk.invoicing.models import Invoice
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network.models import Membership
from trainerdesk.placements.models import Placement

router = Router(tags=["invoicing"])

MAX_ID = 2**63 - 1
MAX_PAGE = 500
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows with an id above this.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
REFUSED = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class LineOut(Schema):
    position: int
    description: str
    quantity: int
    unit_cents: int
    net_cents: int


class InvoiceOut(Schema):
    id: int
    kind: str
    status: str
    number: str
    issue_date: datetime.date | None
    supply_date: datetime.date
    supplier_name: str
    supplier_vat_id: str
    customer_name: str
    customer_country: str
    customer_vat_id: str
    currency: str
    net_cents: int
    vat_rate_basis_points: int
    vat_cents: int
    gross_cents: int
    vat_treatment: str
    vat_mention: str
    vies_checked: bool
    credit_note_for: int | None = Field(None, alias="credit_note_for_id")
    placement: int | None = Field(None, alias="placement_id")
    membership: int | None = Field(None, alias="membership_id")
    client: int | None = Field(None, alias="client_id")
    member: int | None = Field(None, alias="member_id")
    pdf_sha256: str
    lines: list[LineOut]


class InvoicePage(Schema):
    invoices: list[InvoiceOut]
    next_after: int | None


class PlacementInvoiceIn(InputSchema):
    net_cents: int | None = Field(
        None, description="Optional check: must equal what the fee terms give."
    )


class PaymentIn(InputSchema):
    amount_cents: int
    paid_on: datetime.date = Field(strict=False)
    currency: str | None = None


class PaymentOut(Schema):
    id: int
    invoice: int = Field(alias="invoice_id")
    amount_cents: int
    currency: str
    paid_on: datetime.date


class CreditNoteIn(InputSchema):
    reason: str = Field(max_length=2000)


class ViesIn(InputSchema):
    valid: bool
    reference: str = Field("", max_length=100)
    checked_on: datetime.date | None = Field(None, strict=False)


class ViesOut(Schema):
    id: int
    vat_id: str
    valid: bool
    reference: str
    checked_on: datetime.date


class RemindersOut(Schema):
    sent: int
    invoices: list[int]


def _out(invoice: Invoice) -> dict:
    data = InvoiceOut.from_orm(invoice).dict()
    data["lines"] = [LineOut.from_orm(line).dict() for line in invoice.lines.all()]
    return data


def _staff_invoice(request: ApiRequest, invoice_id: int) -> Invoice:
    access.require_staff(request.auth)
    return access.get_invoice_for_user(request.auth, invoice_id)


@router.get("/invoicing/invoices", response=InvoicePage)
def list_invoices(request: ApiRequest, after: After = 0, limit: Limit = 100):
    """Staff: every invoice and draft; a client's contact: their client's issued ones; a
    member: their own membership invoices. Oldest first."""
    rows = list(
        access.invoices_for(request.auth)
        .prefetch_related("lines")
        .filter(pk__gt=after)
        .order_by("pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {"invoices": [_out(r) for r in rows], "next_after": rows[-1].pk if more else None}


@router.get("/invoicing/invoices/{invoice_id}", response={200: InvoiceOut, 404: ErrorOut})
def get_invoice(request: ApiRequest, invoice_id: Id):
    return _out(access.get_invoice_for_user(request.auth, invoice_id))


@router.post("/invoicing/placements/{placement_id}/invoice", response={201: InvoiceOut, **REFUSED})
def draft_placement_invoice(request: ApiRequest, placement_id: Id, body: PlacementInvoiceIn):
    access.require_staff(request.auth)
    placement = Placement.objects.filter(pk=placement_id).first()
    if placement is None:
        raise Http404("Not found")
    invoice = services.draft_placement_invoice(
        placement=placement, net_cents=body.net_cents, by=request.auth
    )
    return Status(201, _out(invoice))


@router.post(
    "/invoicing/memberships/{membership_id}/invoice", response={201: InvoiceOut, **REFUSED}
)
def draft_membership_invoice(request: ApiRequest, membership_id: Id):
    access.require_staff(request.auth)
    membership = Membership.objects.filter(pk=membership_id).first()
    if membership is None:
        raise Http404("Not found")
    invoice = services.draft_membership_invoice(membership=membership, by=request.auth)
    return Status(201, _out(invoice))


@router.post("/invoicing/invoices/{invoice_id}/issue", response={200: InvoiceOut, **REFUSED})
def issue_invoice(request: ApiRequest, invoice_id: Id):
    """Number, date and render the draft (PDF stored with its sha256); then immutable."""
    invoice = services.issue_invoice(invoice=_staff_invoice(request, invoice_id), by=request.auth)
    return _out(invoice)


@router.post("/invoicing/invoices/{invoice_id}/payments", response={201: PaymentOut, **REFUSED})
def record_payment(request: ApiRequest, invoice_id: Id, body: PaymentIn):
    payment = services.record_payment(
        invoice=_staff_invoice(request, invoice_id),
        amount_cents=body.amount_cents,
        paid_on=body.paid_on,
        currency=body.currency,
        by=request.auth,
    )
    return Status(201, payment)


@router.post("/invoicing/invoices/{invoice_id}/credit-note", response={201: InvoiceOut, **REFUSED})
def issue_credit_note(request: ApiRequest, invoice_id: Id, body: CreditNoteIn):
    credit = services.issue_credit_note(
        invoice=_staff_invoice(request, invoice_id), reason=body.reason, by=request.auth
    )
    return Status(201, _out(credit))


@router.post("/invoicing/invoices/{invoice_id}/vies", response={201: ViesOut, **REFUSED})
def confirm_vat_id(request: ApiRequest, invoice_id: Id, body: ViesIn):
    check = services.confirm_vat_id(
        invoice=_staff_invoice(request, invoice_id),
        valid=body.valid,
        reference=body.reference,
        checked_on=body.checked_on,
        by=request.auth,
    )
    return Status(201, check)


@router.post("/invoicing/reminders", response={200: RemindersOut, 404: ErrorOut})
def send_reminders(request: ApiRequest):
    """Staff: remind members whose period ends within 30 days (renewal invoiced as a
    draft). The daily job runs the same sweep."""
    access.require_staff(request.auth)
    sent = services.send_renewal_reminders(by=request.auth)
    return {"sent": len(sent), "invoices": [r.invoice_id for r in sent]}
