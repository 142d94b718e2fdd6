"""Drafting invoices: the amount from what is billed (a placement's fee terms, a
membership period's price), the VAT from `invoicing/vat.py`, both parties snapshot as
printed. A draft has no number; staff may change its dates and wording until it is
issued."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trainerdesk.invoicing import vat
from trainerdesk.invoicing.models import Invoice, InvoiceLine, Kind
from trainerdesk.invoicing.services.common import locked, refuse_unless_draft, require_staff
from trainerdesk.invoicing.supplier import postal_address, supplier
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.money import format_money, percent_of, validate_currency
from trainerdesk.network.models import Client, Member, Membership, VatStatus
from trainerdesk.placements.models import Placement

DRAFT_FIELDS = ("supply_date", "supply_period_end")


def placement_fee_from_terms(placement: Placement) -> int:
    """The fee the placement's stored terms give: a percent fee is recomputed from its
    basis (annualised first-year pay) and must equal the stored fee; a flat fee is the
    stored amount. A mismatch is refused rather than invoiced (placements/fees.py)."""
    if placement.fee_type == "percent":
        if placement.fee_basis_cents is None or placement.fee_basis_points is None:
            raise InvalidInput(
                [f"placement {placement.pk}: percent fee terms without their basis or rate"]
            )
        expected = percent_of(placement.fee_basis_cents, placement.fee_basis_points)
        if expected != placement.fee_cents:
            raise InvalidInput(
                [
                    f"fee_cents: placement {placement.pk} records "
                    f"{format_money(placement.fee_cents, placement.currency)} but its terms "
                    f"({placement.fee_basis_points / 100:g} % of "
                    f"{format_money(placement.fee_basis_cents, placement.currency)}) give "
                    f"{format_money(expected, placement.currency)}"
                ]
            )
        return expected
    if placement.fee_type == "flat":
        return placement.fee_cents
    raise InvalidInput([f"placement {placement.pk}: no fee terms (percent or flat)"])


def _client_party(client: Client) -> dict[str, Any]:
    decision = vat.decide(
        customer_country=client.country,
        is_business=True,
        vat_id=client.vat_id,
        field="client vat_id",
    )
    address = postal_address(client.street, client.postal_code, client.city, client.country)
    return {
        "decision": decision,
        "customer_name": client.legal_name or client.name,
        "customer_address": address,
        "customer_country": client.country,
        "customer_vat_id": decision.customer_vat_id,
    }


def _member_party(member: Member) -> dict[str, Any]:
    # A member who is VAT registered (or a small business, still a taxable person) buys as
    # a business; reverse charge then needs a VAT id that passes the check.
    decision = vat.decide(
        customer_country=member.country,
        is_business=member.vat_status != VatStatus.NOT_REGISTERED,
        vat_id=member.vat_id,
        field="member vat_id",
    )
    # The member's postal address (Art. 226 (5)); a member who applied before it was asked
    # has only the country.
    address = postal_address(member.street, member.postal_code, member.city, member.country)
    return {
        "decision": decision,
        "customer_name": member.display_name,
        "customer_address": address,
        "customer_country": member.country,
        "customer_vat_id": decision.customer_vat_id,
    }


def create_draft(
    *,
    kind: str,
    party: dict[str, Any],
    currency: str,
    lines: list[tuple[str, int, int]],
    supply_date: datetime.date,
    supply_period_end: datetime.date | None = None,
    links: dict[str, Any],
    by: Any,
    reason: str = "",
    credit_note_for: Invoice | None = None,
) -> Invoice:
    """The draft row and its lines (description, quantity, unit cents); the caller holds
    the transaction. VAT on the net total at the decided rate, half up."""
    currency = validate_currency(currency)
    decision: vat.VatDecision = party["decision"]
    net = sum(quantity * unit for _, quantity, unit in lines)
    vat_cents = decision.vat_cents(net)
    me = supplier()
    invoice = Invoice(
        kind=kind,
        supply_date=supply_date,
        supply_period_end=supply_period_end,
        supplier_name=me.name,
        supplier_address=me.address,
        supplier_country=me.country,
        supplier_vat_id=me.vat_id,
        customer_name=party["customer_name"],
        customer_address=party["customer_address"],
        customer_country=party["customer_country"],
        customer_vat_id=party["customer_vat_id"],
        currency=currency,
        net_cents=net,
        vat_rate_basis_points=decision.rate_basis_points,
        vat_cents=vat_cents,
        gross_cents=net + vat_cents,
        vat_treatment=decision.treatment.value,
        vat_mention=decision.mention,
        vies_checked=decision.vies_checked,
        credit_note_for=credit_note_for,
        reason=reason,
        created_by=by,
        **links,
    )
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal is a message
            invoice.save()
    except IntegrityError:
        what = "placement" if "placement" in links else "membership period"
        raise ConflictError(
            f"this {what} already has an invoice that is not credited; credit it first"
        ) from None
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=i,
            description=description,
            quantity=quantity,
            unit_cents=unit,
            net_cents=quantity * unit,
        )
        for i, (description, quantity, unit) in enumerate(lines, start=1)
    )
    return invoice


def _audit_draft(invoice: Invoice, by: Any, **facts: Any) -> None:
    audit.record(
        action="invoicing.invoice.draft",
        obj=invoice,
        by=by,
        changes={
            "kind": invoice.kind,
            "currency": invoice.currency,
            "net_cents": invoice.net_cents,
            "vat_rate_basis_points": invoice.vat_rate_basis_points,
            "vat_cents": invoice.vat_cents,
            "gross_cents": invoice.gross_cents,
            "vat_treatment": invoice.vat_treatment,
            "vies_checked": invoice.vies_checked,
            **facts,
        },
    )


def draft_placement_invoice(
    *, placement: Placement, net_cents: int | None = None, by: Any
) -> Invoice:
    """The fee invoice of a placement, to its client. `net_cents`, when given (a figure
    typed by staff), must equal what the placement's fee terms give."""
    require_staff(by)
    with transaction.atomic():
        placement = (
            Placement.objects.select_for_update()
            .select_related("client", "submission__opening", "submission__candidate")
            .get(pk=placement.pk)
        )
        if placement.status == Placement.Status.FELL_OFF:
            raise ConflictError(f"placement {placement.pk}: fell off; nothing to invoice")
        fee = placement_fee_from_terms(placement)
        if net_cents is not None and net_cents != fee:
            raise InvalidInput(
                [
                    f"net_cents: {format_money(net_cents, placement.currency)} does not match "
                    f"the placement's fee terms, which give "
                    f"{format_money(fee, placement.currency)}"
                ]
            )
        opening = placement.submission.opening
        terms = (
            f"{(placement.fee_basis_points or 0) / 100:g} % of first-year pay "
            f"{format_money(placement.fee_basis_cents or 0, placement.currency)}"
            if placement.fee_type == "percent"
            else "flat fee"
        )
        description = (
            f"Placement fee: {opening.title}, candidate started {placement.start_date:%Y-%m-%d} "
            f"({terms}; guarantee until {placement.guarantee_ends_on:%Y-%m-%d})"
        )
        invoice = create_draft(
            kind=Kind.PLACEMENT_FEE,
            party=_client_party(placement.client),
            currency=placement.currency,
            lines=[(description[:500], 1, fee)],
            supply_date=placement.started_on or placement.start_date,
            links={"placement": placement, "client": placement.client},
            by=by,
        )
        _audit_draft(invoice, by, placement=placement.pk, client=placement.client_id)
    return invoice


def draft_membership_invoice(*, membership: Membership, by: Any) -> Invoice:
    """The invoice of a membership period waiting for payment, to its member. The plan's
    price is the net amount; VAT is added where it is charged."""
    require_staff(by)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("member", "plan")
            .get(pk=membership.pk)
        )
        if membership.status != Membership.Status.PENDING:
            raise ConflictError(
                f"membership period {membership.pk} is {membership.get_status_display()}; "
                "only a period waiting for payment is invoiced"
            )
        invoice = _membership_draft(membership, by=by)
    return invoice


def _membership_draft(membership: Membership, *, by: Any) -> Invoice:
    start = membership.period_start or timezone.localdate()
    plan = membership.plan
    description = f"Network membership, {plan.name}, {plan.period_months} months"
    invoice = create_draft(
        kind=Kind.MEMBERSHIP,
        party=_member_party(membership.member),
        currency=membership.currency,
        lines=[(description, 1, membership.price_cents)],
        supply_date=start,
        links={"membership": membership, "member": membership.member},
        by=by,
    )
    _audit_draft(invoice, by, membership=membership.pk, member=membership.member_id)
    return invoice


def update_draft(
    *,
    invoice: Invoice,
    supply_date: datetime.date | None = None,
    supply_period_end: datetime.date | None = None,
    by: Any,
) -> Invoice:
    """Change a draft's dates. An issued invoice is refused: it is immutable."""
    require_staff(by)
    with transaction.atomic():
        invoice = locked(invoice)
        refuse_unless_draft(invoice)
        before = audit.snapshot(invoice, DRAFT_FIELDS)
        if supply_date is not None:
            invoice.supply_date = supply_date
        if supply_period_end is not None:
            invoice.supply_period_end = supply_period_end
        if invoice.supply_period_end and invoice.supply_period_end < invoice.supply_date:
            raise InvalidInput(["supply_period_end: before the date of supply"])
        invoice.save(update_fields=list(DRAFT_FIELDS))
        audit.record(
            action="invoicing.invoice.update",
            obj=invoice,
            by=by,
            changes=audit.changed_fields(before, invoice, DRAFT_FIELDS),
        )
    return invoice
