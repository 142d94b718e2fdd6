"""Every ledger posting invoicing makes goes through this module (billing's flows,
`trainerdesk/billing/services/flows.py`, and its commissions), so the wiring is one place.
Each function runs inside the calling service's transaction, after the invoice's own
change: a posting that fails rolls the invoice change back with it, and billing's source
keys make a repeated call post once.

    invoice issued        placement fee: flows.placement_invoice_issued (Dr client
                          receivable / Cr deferred fee + VAT payable) and the placement's
                          commission opened (billing.open_commission);
                          membership: flows.membership_invoice_issued
    payment received      placement fee: flows.client_paid (Dr cash / Cr receivable) and,
                          once paid in full, billing.record_client_paid (one of the two
                          conditions for the member's commission: the other is the
                          guarantee, billing's sweep_commissions);
                          membership: flows.membership_paid
    credit note issued    flows.credit_note_issued (the issuing entry in reverse); for a
                          placement that fell off, billing.record_commission_fall_off
                          first (reverses an earned fee, opens a clawback if it was paid
                          out); a credited invoice the client had paid: flows.refund_due;
                          a credited membership invoice the member had paid:
                          flows.member_refund_due

Amounts passed to billing are positive (a credit note's are stored negative here).
"""

from __future__ import annotations

from typing import Any

from trainerdesk.billing.models import Commission
from trainerdesk.billing.services import commissions, flows
from trainerdesk.lib.errors import ConflictError


def invoice_issued(*, invoice: Any, by: Any) -> None:
    if invoice.kind == "placement_fee":
        flows.placement_invoice_issued(
            invoice_id=invoice.pk,
            client=invoice.client,
            net_cents=invoice.net_cents,
            vat_cents=invoice.vat_cents,
            currency=invoice.currency,
            placement_id=invoice.placement_id,
            by=by,
        )
        commissions.open_commission(placement=invoice.placement, by=by)
    elif invoice.kind == "membership":
        flows.membership_invoice_issued(
            invoice_id=invoice.pk,
            member=invoice.member,
            net_cents=invoice.net_cents,
            vat_cents=invoice.vat_cents,
            currency=invoice.currency,
            by=by,
        )


def payment_received(*, invoice: Any, payment: Any, fully_paid: bool, by: Any) -> None:
    if invoice.kind == "placement_fee":
        flows.client_paid(
            payment_key=f"invoicing:{payment.pk}",
            client=invoice.client,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            by=by,
        )
        if fully_paid:
            commissions.record_client_paid(placement=invoice.placement, on=payment.paid_on, by=by)
    elif invoice.kind == "membership":
        flows.membership_paid(
            payment_key=f"invoicing:{payment.pk}",
            member=invoice.member,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            by=by,
        )


def credit_note_issued(*, credit_note: Any, original: Any, by: Any) -> None:
    placement = original.placement if original.kind == "placement_fee" else None
    if placement is not None:
        commission = Commission.objects.filter(placement=placement).first()
        status = commission.status if commission is not None else "none"
        if placement.status == "fell_off":
            commissions.record_commission_fall_off(placement=placement, by=by)
        elif status not in ("none", "pending", "cancelled"):
            raise ConflictError(
                f"placement {placement.pk}: its fee is already earned (commission "
                f"{status}); record the fall-off before crediting the invoice"
            )
    flows.credit_note_issued(
        credit_note_id=credit_note.pk,
        net_cents=-credit_note.net_cents,
        vat_cents=-credit_note.vat_cents,
        currency=credit_note.currency,
        client=original.client if original.kind == "placement_fee" else None,
        member=original.member if original.kind == "membership" else None,
        by=by,
    )
    paid = sum(original.payments.values_list("amount_cents", flat=True))
    if paid and original.kind == "placement_fee":
        flows.refund_due(
            refund_key=f"credit_note:{credit_note.pk}",
            client=original.client,
            amount_cents=paid,
            currency=original.currency,
            by=by,
        )
    elif paid and original.kind == "membership":
        # The member paid, the invoice is credited: what they paid is owed back to them,
        # not left as a credit balance on their receivable.
        flows.member_refund_due(
            refund_key=f"credit_note:{credit_note.pk}",
            member=original.member,
            amount_cents=paid,
            currency=original.currency,
            by=by,
        )
