"""Member refunds paid out: a paid membership invoice credited through invoicing owes the
member a refund (billing's member_refund.due); staff pay it through the rail (a
one-transfer pain.001 the bank statement settles) or record a bank transfer they made.
Ledger postings, audit events, the staff page and its access."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.billing.models import AccountKind as K
from trainerdesk.billing.services import ledger
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.payouts import sepa, services
from trainerdesk.payouts.models import RefundTransfer
from trainerdesk.payouts.services import refunds
from trainerdesk.payouts.tests.camt_builder import camt
from trainerdesk.payouts.tests.conftest import bank_account
from trainerdesk.tests.money import owed_refund

pytestmark = pytest.mark.django_db
MEMBERSHIP_GROSS = 21240  # €177 + 20 % VAT, the standard plan


@pytest.fixture
def owed(member, staff):
    return owed_refund(member, staff)


def bal(kind, **party):
    return ledger.balance(ledger.account_for(kind, currency="EUR", **party))


def test_a_refund_sent_by_bank_file_is_settled_by_the_statement(member, owed, staff):
    bank_account(member)
    [row] = refunds.refund_rows()
    assert (row.state, row.due.amount_cents, row.member.user_id) == (
        "owed",
        MEMBERSHIP_GROSS,
        member.pk,
    )

    transfer = refunds.send_refund(refund_key=owed, by=staff)

    assert transfer.status == "submitted" and transfer.is_live
    sepa.validate_pain001(bytes(transfer.file))  # the bank's schema (lxml)
    assert transfer.idempotency_key.encode() in bytes(transfer.file)
    with pytest.raises(ConflictError, match="already being paid"):
        refunds.send_refund(refund_key=owed, by=staff)
    with pytest.raises(ConflictError, match="already being paid"):
        refunds.record_manual_refund(
            refund_key=owed, paid_on=timezone.localdate(), bank_reference="X", by=staff
        )
    assert bal(K.REFUNDS) == -MEMBERSHIP_GROSS  # still owed until the bank books it

    record = services.import_statement(
        file=camt([(transfer.idempotency_key, MEMBERSHIP_GROSS, "debit")]), by=staff
    )

    transfer.refresh_from_db()
    assert transfer.status == "paid" and transfer.paid_on == datetime.date(2026, 12, 7)
    assert record.counts["refunds_paid"] == 1 and record.counts["unmatched"] == 0
    assert bal(K.REFUNDS) == 0 and bal(K.CASH) == 0  # in: the payment, out: the refund
    assert ledger.trial_balance().balanced
    assert [r.state for r in refunds.refund_rows()] == ["paid"]
    actions = set(
        AuditEvent.objects.filter(object_type="payouts.refundtransfer").values_list(
            "action", flat=True
        )
    )
    assert actions == {"payouts.refund.send", "payouts.refund.outcome", "payouts.refund.paid"}


def test_a_returned_refund_is_owed_again_and_paid_by_a_recorded_transfer(member, owed, staff):
    bank_account(member)
    transfer = refunds.send_refund(refund_key=owed, by=staff)
    services.import_statement(
        file=camt([(transfer.idempotency_key, MEMBERSHIP_GROSS, "debit")], statement_id="A"),
        by=staff,
    )
    services.import_statement(
        file=camt([(transfer.idempotency_key, MEMBERSHIP_GROSS, "return")], statement_id="B"),
        by=staff,
    )

    transfer.refresh_from_db()
    assert (transfer.status, transfer.is_live) == ("returned", False)
    assert bal(K.REFUNDS) == -MEMBERSHIP_GROSS  # owed again: the paid posting reversed
    assert [r.state for r in refunds.refund_rows()] == ["owed"]

    with pytest.raises(InvalidInput, match="future"):
        refunds.record_manual_refund(
            refund_key=owed, paid_on=timezone.localdate() + datetime.timedelta(days=1),
            bank_reference="X", by=staff,
        )  # fmt: skip
    manual = refunds.record_manual_refund(
        refund_key=owed, paid_on=timezone.localdate(), bank_reference="EB-2026-0042", by=staff
    )
    assert (manual.method, manual.status, manual.bank_reference) == (
        "manual",
        "paid",
        "EB-2026-0042",
    )
    assert bal(K.REFUNDS) == 0 and ledger.trial_balance().balanced
    assert RefundTransfer.objects.filter(refund_key=owed, is_live=True).count() == 1


def test_a_refund_needs_a_verified_account_and_an_owed_refund(member, owed, staff):
    with pytest.raises(InvalidInput, match="no verified bank account"):
        refunds.send_refund(refund_key=owed, by=staff)
    with pytest.raises(InvalidInput, match="owes no such member refund"):
        refunds.record_manual_refund(
            refund_key="credit_note:999", paid_on=timezone.localdate(), bank_reference="X",
            by=staff,
        )  # fmt: skip
    assert not RefundTransfer.objects.exists()


def test_staff_page_lists_owed_and_paid_refunds_and_records_a_transfer(
    client, member, other_member, owed, staff
):
    url = reverse("payouts:refunds")
    for outsider in (member, other_member):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(reverse("payouts:send_refund"), {"refund_key": owed}).status_code == 404
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert owed in page and "Record bank transfer" in page

    response = client.post(
        reverse("payouts:record_refund"),
        {"refund_key": owed, "paid_on": timezone.localdate().isoformat(), "bank_reference": "EB-7"},
        follow=True,
    )
    assert "recorded as paid" in response.content.decode()
    paid = response.content.decode().split('id="refunds-paid"')[1]
    assert owed in paid and "EB-7" in paid
    assert bal(K.REFUNDS) == 0
    event = AuditEvent.objects.get(action="payouts.refund.paid")
    assert event.actor_id == staff.pk and event.changes["method"] == "manual"


def test_an_ambiguous_refund_is_never_resent_blindly(member, owed, staff, settings):
    from trainerdesk.payouts.tests.conftest import FakeRail

    settings.PAYOUT_RAIL = "trainerdesk.payouts.tests.conftest.FakeRail"
    FakeRail.mode = "timeout"
    bank_account(member)
    lost = refunds.send_refund(refund_key=owed, by=staff)
    assert lost.status == "ambiguous" and lost.is_live
    with pytest.raises(ConflictError, match="already being paid"):
        refunds.send_refund(refund_key=owed, by=staff)
    with pytest.raises(InvalidInput, match="note: say why"):
        refunds.mark_refund_not_sent(transfer=lost, note=" ", by=staff)

    refunds.mark_refund_not_sent(transfer=lost, note="bank: nothing left", by=staff)
    FakeRail.mode = "paid"
    again = refunds.send_refund(refund_key=owed, by=staff)

    assert again.status == "paid" and again.idempotency_key != lost.idempotency_key
    assert bal(K.REFUNDS) == 0 and ledger.trial_balance().balanced
    with pytest.raises(ConflictError, match="not ambiguous"):
        refunds.mark_refund_not_sent(transfer=again, note="x", by=staff)


def test_the_refund_bank_file_is_for_staff_only(client, member, owed, staff):
    bank_account(member)
    transfer = refunds.send_refund(refund_key=owed, by=staff)
    url = reverse("payouts:refund_file", args=[transfer.pk])
    client.force_login(member)
    assert client.get(url).status_code == 404
    assert client.post(reverse("payouts:refund_not_sent", args=[transfer.pk])).status_code == 404
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert transfer.idempotency_key.encode() in response.content
    assert client.get(reverse("payouts:refund_file", args=[transfer.pk + 99])).status_code == 404


def test_the_member_sees_their_own_refund_on_the_earnings_page(
    client, member, other_member, owed, staff
):
    refunds.record_manual_refund(
        refund_key=owed, paid_on=timezone.localdate(), bank_reference="EB-9", by=staff
    )
    client.force_login(member)
    page = client.get(reverse("payouts:earnings")).content.decode()
    mine = page.split('id="refunds"')[1]
    assert owed in mine and "212,40" in mine and "Paid" in mine
    client.force_login(other_member)
    assert 'id="refunds"' not in client.get(reverse("payouts:earnings")).content.decode()
