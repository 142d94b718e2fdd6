"""Credit notes: the one way to correct or cancel an issued invoice. A credit note is a
document of its own (numbered in the credit-note series, issued at once) that names the
invoice it credits and negates its lines, so its net, VAT and gross are exactly the
negated amounts of the original (`percent_of` rounds half away from zero, symmetric).
The original becomes `credited`; it is never edited. One credit note per invoice: it
credits the whole invoice; a corrected invoice is drafted anew."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trainerdesk.invoicing import vat
from trainerdesk.invoicing.models import Invoice, Kind, Status
from trainerdesk.invoicing.services import postings
from trainerdesk.invoicing.services.common import locked, require_staff
from trainerdesk.invoicing.services.drafts import create_draft
from trainerdesk.invoicing.services.issuing import issue_locked
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput

MAX_REASON = 2000


def issue_credit_note(*, invoice: Invoice, reason: str, by: Any) -> Invoice:
    require_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(["reason: say why the invoice is credited (it is printed)"])
    if len(reason) > MAX_REASON:
        raise InvalidInput([f"reason: at most {MAX_REASON} characters"])
    with transaction.atomic():
        original = locked(invoice)
        if original.kind == Kind.CREDIT_NOTE:
            raise ConflictError(f"{original.number}: a credit note is not credited again")
        if original.status == Status.DRAFT:
            raise ConflictError(
                f"draft {original.pk}: not issued, so there is nothing to credit; change it"
            )
        if original.status == Status.CREDITED:
            raise ConflictError(f"invoice {original.number}: already credited")
        decision = vat.VatDecision(
            treatment=vat.Treatment(original.vat_treatment),
            rate_basis_points=original.vat_rate_basis_points,
            mention=original.vat_mention,
            customer_vat_id=original.customer_vat_id,
            vies_checked=original.vies_checked,
        )
        party = {
            "decision": decision,
            "customer_name": original.customer_name,
            "customer_address": original.customer_address,
            "customer_country": original.customer_country,
            "customer_vat_id": original.customer_vat_id,
        }
        lines = [
            (f"Credit for {original.number}, line {line.position}: {line.description}"[:500],
             line.quantity, -line.unit_cents)
            for line in original.lines.order_by("position")
        ]  # fmt: skip
        credit = create_draft(
            kind=Kind.CREDIT_NOTE,
            party=party,
            currency=original.currency,
            lines=lines,
            supply_date=original.supply_date,
            supply_period_end=original.supply_period_end,
            links={
                "placement": original.placement,
                "membership": original.membership,
                "client": original.client,
                "member": original.member,
            },
            reason=reason,
            credit_note_for=original,
            by=by,
        )
        if credit.gross_cents != -original.gross_cents:  # pragma: no cover - symmetric rounding
            raise ConflictError("credit note: amounts do not mirror the invoice")
        status_before = original.status
        original.status = Status.CREDITED
        original.save(update_fields=["status"])
        issue_locked(credit, by=by)
        audit.record(
            action="invoicing.credit_note.issue",
            obj=original,
            by=by,
            reason=reason,
            changes={
                "credit_note": credit.pk,
                "number": credit.number,
                "gross_cents": credit.gross_cents,
                "status": {"before": status_before, "after": Status.CREDITED},
            },
        )
        postings.credit_note_issued(credit_note=credit, original=original, by=by)
    return credit
