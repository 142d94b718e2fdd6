"""A member's paid money history built through the services (cross-app tests): a
membership invoice issued and paid, a placement invoiced to the client and paid, its
guarantee over, the commission paid out by a SEPA batch that the bank statement settles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

MEMBER_CENTS = 75000  # the member's half of a 1,500.00 flat fee


@dataclass
class History:
    membership_invoice: Any
    placement: Any
    placement_invoice: Any
    batch: Any
    payout: Any


def paid_history(member_user, client, staff, *, iban: str | None = None) -> History:
    from trainerdesk.billing.services import commissions
    from trainerdesk.invoicing import services as invoicing
    from trainerdesk.invoicing.tests.conftest import pending_membership
    from trainerdesk.payouts import services as payouts
    from trainerdesk.payouts.tests.conftest import MEMBER_IBAN, bank_account, make_placement
    from trainerdesk.payouts.tests.statements import statement
    from trainerdesk.placements.services.placements import sweep_placements

    today = timezone.localdate()
    member = member_user.network_member
    if not member.street:  # the customer's address on the membership invoice (Art. 226)
        member.street, member.postal_code, member.city = "Mariahilfer Straße 1/4", "1060", "Wien"
        member.save()
    membership = pending_membership(member_user)
    mb = invoicing.issue_invoice(
        invoice=invoicing.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    invoicing.record_payment(invoice=mb, amount_cents=mb.gross_cents, paid_on=today, by=staff)

    placement = make_placement(member_user, client, member_cents=MEMBER_CENTS, ended=True)
    pf = invoicing.issue_invoice(
        invoice=invoicing.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    invoicing.record_payment(invoice=pf, amount_cents=pf.gross_cents, paid_on=today, by=staff)
    # The daily jobs, in their order: the guarantee is over, then the commission payable.
    sweep_placements(today=today, by=None)
    commissions.sweep_commissions(today=today, by=None)

    bank_account(member_user, iban=iban or MEMBER_IBAN, by=staff)
    batch = payouts.submit_batch(batch=payouts.create_batch(by=staff), by=staff)
    payout = batch.payouts.get()
    data = statement(payout.idempotency_key, "UNKNOWN-KEY", "KEYC").replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">750.00</Amt>'
    )
    payouts.import_statement(file=data, by=staff)
    payout.refresh_from_db()
    assert payout.status == "paid", payout.status
    for row in (mb, pf):
        row.refresh_from_db()
    return History(mb, placement, pf, batch, payout)


def owed_refund(member_user, staff) -> str:
    """A refund billing owes the member (their membership invoice paid, then credited
    through invoicing): its refund key."""
    from trainerdesk.invoicing import services as invoicing
    from trainerdesk.invoicing.tests.conftest import pending_membership

    invoice = invoicing.issue_invoice(
        invoice=invoicing.draft_membership_invoice(
            membership=pending_membership(member_user), by=staff
        ),
        by=staff,
    )
    invoicing.record_payment(
        invoice=invoice, amount_cents=invoice.gross_cents, paid_on=timezone.localdate(), by=staff
    )
    credit = invoicing.issue_credit_note(invoice=invoice, reason="Joined by mistake", by=staff)
    return f"credit_note:{credit.pk}"
