"""Invoicing posts through billing's ledger flows (services/postings.py): issuing,
payments and credit notes leave balanced transactions and the balances the money flow
expects; paying a placement invoice tells billing the client paid."""

import pytest
from django.utils import timezone

from trainerdesk.billing.models import AccountKind as K
from trainerdesk.billing.models import Commission
from trainerdesk.billing.services import ledger
from trainerdesk.invoicing import services
from trainerdesk.lib.errors import ConflictError

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def bal(kind, **party):
    return ledger.balance(ledger.account_for(kind, currency="EUR", **party))


def test_placement_invoice_flow(placement, client_company, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    assert bal(K.CLIENT_RECEIVABLE, client=client_company) == 624000
    assert bal(K.DEFERRED_FEE) == -624000
    commission = Commission.objects.get(placement=placement)
    assert commission.status == "pending" and commission.client_paid_on is None

    services.record_payment(invoice=invoice, amount_cents=124000, paid_on=TODAY(), by=staff)
    assert Commission.objects.get(pk=commission.pk).client_paid_on is None  # not in full yet
    services.record_payment(invoice=invoice, amount_cents=500000, paid_on=TODAY(), by=staff)
    assert bal(K.CLIENT_RECEIVABLE, client=client_company) == 0
    assert bal(K.CASH) == 624000
    assert Commission.objects.get(pk=commission.pk).client_paid_on == TODAY()
    assert ledger.trial_balance().balanced


def test_austrian_vat_goes_to_vat_payable(placement, client_company, staff):
    client_company.country, client_company.vat_id = "AT", "ATU12345675"
    client_company.save()
    services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    assert bal(K.CLIENT_RECEIVABLE, client=client_company) == 748800
    assert bal(K.VAT_PAYABLE) == -124800 and bal(K.DEFERRED_FEE) == -624000


def test_credit_note_of_a_fallen_off_paid_placement(placement, client_company, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    services.record_payment(invoice=invoice, amount_cents=624000, paid_on=TODAY(), by=staff)
    placement.status, placement.fell_off_on = "fell_off", TODAY()
    placement.save()
    services.issue_credit_note(invoice=invoice, reason="Fell off in the guarantee", by=staff)
    assert bal(K.DEFERRED_FEE) == 0
    assert bal(K.CLIENT_RECEIVABLE, client=client_company) == 0
    assert bal(K.REFUNDS) == -624000  # owed back to the client
    assert Commission.objects.get(placement=placement).status == "cancelled"
    assert ledger.trial_balance().balanced


def test_crediting_an_earned_fee_is_refused_until_the_fall_off(placement, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    Commission.objects.filter(placement=placement).update(status="payable")
    with pytest.raises(ConflictError, match="already earned"):
        services.issue_credit_note(invoice=invoice, reason="typo", by=staff)
    invoice.refresh_from_db()
    assert invoice.status == "issued"  # nothing half-written


def test_membership_flow(member, membership, staff):
    profile = member.network_member
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    assert bal(K.MEMBER_RECEIVABLE, member=profile) == 21240
    assert bal(K.MEMBERSHIP_REVENUE) == -17700 and bal(K.VAT_PAYABLE) == -3540
    services.record_payment(invoice=invoice, amount_cents=21240, paid_on=TODAY(), by=staff)
    assert bal(K.MEMBER_RECEIVABLE, member=profile) == 0 and bal(K.CASH) == 21240


def test_membership_credit_note_reverses_the_revenue(member, membership, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    services.issue_credit_note(invoice=invoice, reason="Billed in error", by=staff)
    assert bal(K.MEMBER_RECEIVABLE, member=member.network_member) == 0
    assert bal(K.MEMBERSHIP_REVENUE) == 0 and bal(K.VAT_PAYABLE) == 0


def test_crediting_a_paid_membership_invoice_owes_the_member_a_refund(member, membership, staff):
    from trainerdesk.billing.models import LedgerTransaction
    from trainerdesk.billing.services import flows

    profile = member.network_member
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    services.record_payment(invoice=invoice, amount_cents=21240, paid_on=TODAY(), by=staff)

    credit = services.issue_credit_note(invoice=invoice, reason="Joined by mistake", by=staff)

    # Not left as a credit balance on the member's receivable: a refund is owed.
    assert bal(K.MEMBER_RECEIVABLE, member=profile) == 0
    assert bal(K.REFUNDS) == -21240
    assert bal(K.MEMBERSHIP_REVENUE) == 0 and bal(K.VAT_PAYABLE) == 0
    due = LedgerTransaction.objects.get(kind="member_refund.due")
    assert due.source_key == f"member_refund:credit_note:{credit.pk}:due"
    assert ledger.trial_balance().balanced

    flows.member_refund_paid(
        refund_key=f"credit_note:{credit.pk}", amount_cents=21240, currency="EUR", by=staff
    )
    assert bal(K.REFUNDS) == 0 and bal(K.CASH) == 0
    trial = ledger.trial_balance()
    assert trial.balanced and trial.total == 0


def test_crediting_an_unpaid_membership_invoice_owes_no_refund(member, membership, staff):
    from trainerdesk.billing.models import LedgerTransaction

    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    services.issue_credit_note(invoice=invoice, reason="Billed in error", by=staff)
    assert not LedgerTransaction.objects.filter(kind="member_refund.due").exists()
    assert bal(K.REFUNDS) == 0
