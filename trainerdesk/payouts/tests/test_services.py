"""The payout services end to end: batches from payable commissions, the SEPA file, the
statement settling payouts (ledger posted through billing), returns, errors for
commissions that cannot be paid, retries and reconciliation."""

from __future__ import annotations

import datetime

import pytest
from lxml import etree

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.billing.models import AccountKind, Commission, LedgerTransaction
from trainerdesk.billing.services import ledger
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.payouts import sepa, services
from trainerdesk.payouts.models import (
    Payout,
    PayoutAttempt,
    PayoutBatch,
    PayoutItem,
    ReconciliationCase,
    StatementImport,
)
from trainerdesk.payouts.tests.conftest import bank_account, commission
from trainerdesk.payouts.tests.statements import statement

pytestmark = pytest.mark.django_db

NS = {"p": sepa.NAMESPACE}


def _payable_balance(member_user):
    account = ledger.account_for(
        AccountKind.MEMBER_PAYABLE, member=member_user.network_member, currency="EUR"
    )
    return ledger.balance(account)


def test_batch_groups_payable_commissions_per_member(payable, other_member, client_company, staff):
    bank_account(other_member, iban="AT551200000000654321")
    theirs = commission(other_member, client_company, cents=5)

    batch = services.create_batch(by=staff)

    payouts = {p.member.user_id: p for p in batch.payouts.all()}
    mine = payouts[payable[0].member.user_id]
    assert (mine.gross_cents, mine.amount_cents, mine.currency) == (87345, 87345, "EUR")
    assert payouts[other_member.pk].amount_cents == 5
    assert len(mine.idempotency_key) == 34 and mine.idempotency_key.startswith("TD")
    assert mine.status == "created" and mine.attempts == 0
    assert set(mine.items.values_list("commission_id", flat=True)) == {c.pk for c in payable}
    assert Commission.objects.get(pk=theirs.pk).status == "in_payout"
    assert AuditEvent.objects.filter(action="payouts.batch.create").count() == 1


def test_submit_writes_a_valid_sepa_file_and_the_statement_pays(payable, staff):
    batch = services.create_batch(by=staff)
    payout = batch.payouts.get()

    batch = services.submit_batch(batch=batch, by=staff)

    assert batch.status == "submitted" and batch.file_sha256
    root = etree.fromstring(bytes(batch.file))
    assert root.xpath("//p:EndToEndId/text()", namespaces=NS) == [payout.idempotency_key]
    assert root.xpath("//p:InstdAmt/text()", namespaces=NS) == ["873.45"]
    sepa.validate_pain001(bytes(batch.file))
    payout.refresh_from_db()
    assert payout.status == "submitted" and payout.attempts == 1
    assert _payable_balance(payable[0].member.user) == -87345  # earned, not yet paid out

    data = statement(payout.idempotency_key, "UNKNOWN-KEY", "KEYC")
    data = data.replace(b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>')
    record = services.import_statement(file=data, by=staff)

    payout.refresh_from_db()
    assert payout.status == "paid" and payout.paid_on == datetime.date(2026, 12, 7)
    assert record.counts["paid"] == 1
    reasons = [row["reason"] for row in record.unmatched]
    assert "no payout has this EndToEndId" in reasons
    assert _payable_balance(payable[0].member.user) == 0
    assert LedgerTransaction.objects.filter(kind="payout.sent").count() == 1
    assert set(Commission.objects.values_list("status", flat=True)) == {"paid"}
    assert PayoutBatch.objects.get(pk=batch.pk).status == "closed"


def test_submitting_twice_is_refused(payable, staff):
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    with pytest.raises(ConflictError, match="already submitted"):
        services.submit_batch(batch=batch, by=staff)


def test_statement_return_releases_the_commissions(payable, staff):
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    payout = batch.payouts.get()
    # Only the return (entry 2) names this payout; its amount is the payout's.
    data = statement("KEYA", payout.idempotency_key, "KEYC")
    data = data.replace(b'<Amt Ccy="EUR">0.05</Amt>', b'<Amt Ccy="EUR">873.45</Amt>')
    data = data.replace(
        b"<EndToEndId>%s</EndToEndId>" % payout.idempotency_key.encode(),
        b"<EndToEndId>X</EndToEndId>",
        1,
    )

    services.import_statement(file=data, by=staff)

    payout.refresh_from_db()
    assert (payout.status, payout.return_reason) == ("returned", "AC04")
    assert set(Commission.objects.values_list("status", flat=True)) == {"payable"}
    assert not PayoutItem.objects.filter(is_live=True).exists()
    # Payable again, the commissions go into a new payout with a new key.
    again = services.create_batch(by=staff).payouts.get()
    assert again.idempotency_key != payout.idempotency_key


def test_amount_mismatch_changes_nothing_and_opens_a_case(payable, staff):
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    payout = batch.payouts.get()

    record = services.import_statement(file=statement(payout.idempotency_key), by=staff)

    payout.refresh_from_db()
    assert payout.status == "submitted"
    case = ReconciliationCase.objects.get(payout=payout)
    assert case.kind == "mismatch" and "12345 EUR" in case.details["reason"]
    assert record.counts["cases"] == 1


def test_same_statement_twice_is_refused_and_a_bad_one_writes_nothing(payable, staff):
    services.import_statement(file=statement(), by=staff)
    with pytest.raises(ConflictError, match="imported already"):
        services.import_statement(file=statement(), by=staff)
    with pytest.raises(InvalidInput, match="Amt"):
        services.import_statement(file=statement("Z").replace(b"123.45", b"12.3.4"), by=staff)
    assert StatementImport.objects.count() == 1


def test_import_is_all_or_nothing(payable, staff, monkeypatch):
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    payout = batch.payouts.get()
    data = statement(payout.idempotency_key).replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )

    def broken(*args, **kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr("trainerdesk.payouts.commissions.flows.payout_sent", broken)
    with pytest.raises(RuntimeError):
        services.import_statement(file=data, by=staff)

    payout.refresh_from_db()
    assert payout.status == "submitted"
    assert not StatementImport.objects.exists()
    assert set(Commission.objects.values_list("status", flat=True)) == {"in_payout"}


def test_unpaid_or_unguaranteed_commission_is_a_clear_error(member, client_company, staff):
    bank_account(member)
    unpaid = commission(member, client_company, paid=False)
    running = commission(member, client_company, paid=True, ended=False)

    with pytest.raises(InvalidInput) as caught:
        services.create_batch(commission_ids=[unpaid.pk, running.pk], by=staff)

    assert caught.value.errors[0] == (
        f"commission {unpaid.pk}: not payable yet (the client has not paid)"
    )
    assert caught.value.errors[1].startswith(
        f"commission {running.pk}: not payable yet (the guarantee runs until"
    )
    assert not PayoutBatch.objects.exists()


def test_a_commission_already_in_a_payout_is_refused(payable, staff):
    services.create_batch(by=staff)
    with pytest.raises(InvalidInput, match=f"commission {payable[0].pk}: is in payout"):
        services.create_batch(commission_ids=[payable[0].pk], by=staff)
    with pytest.raises(InvalidInput, match="nothing is payable"):
        services.create_batch(by=staff)


def test_member_without_verified_account_is_skipped(payable, other_member, client_company, staff):
    bank_account(other_member, iban="AT551200000000654321", verified=False)
    theirs = commission(other_member, client_company, cents=100)

    batch = services.create_batch(by=staff)

    assert batch.skipped == [
        {"member": theirs.member_id, "currency": "EUR", "reason": "bank account not verified"}
    ]
    assert Commission.objects.get(pk=theirs.pk).status == "payable"
    with pytest.raises(InvalidInput, match="bank account not verified"):
        services.create_batch(commission_ids=[theirs.pk], by=staff)


def test_clawback_is_netted(payable, staff, client_company, member):
    from trainerdesk.billing.services import flows

    placement = payable[1].placement
    flows.clawback_opened(placement=placement, amount_cents=2345, currency="EUR", by=staff)

    payout = services.create_batch(by=staff).payouts.get()

    assert (payout.gross_cents, payout.clawback_cents, payout.amount_cents) == (87345, 2345, 85000)


def test_retry_with_a_fake_rail_pays_once(payable, staff, fake_rail):
    batch = services.create_batch(by=staff)
    payout = batch.payouts.get()

    first = services.retry_payout(payout=payout, by=staff)
    again = services.retry_payout(payout=payout, by=staff)

    assert first.status == again.status == "paid"
    assert fake_rail.sends[payout.idempotency_key] == 1
    assert LedgerTransaction.objects.filter(kind="payout.sent").count() == 1


def test_rejected_then_retried_with_the_same_key(payable, staff, fake_rail):
    payout = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "rejected"
    assert services.retry_payout(payout=payout, by=staff).status == "failed"
    fake_rail.mode = "paid"
    paid = services.retry_payout(payout=payout, by=staff)

    assert paid.status == "paid" and paid.attempts == 2
    assert paid.idempotency_key == payout.idempotency_key
    outcomes = list(PayoutAttempt.objects.filter(payout=payout).values_list("outcome", flat=True))
    assert outcomes == ["rejected", "paid"]


def test_timeout_goes_to_reconciliation_not_to_a_blind_retry(payable, staff, fake_rail):
    payout = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "timeout"

    assert services.retry_payout(payout=payout, by=staff).status == "ambiguous"
    case = ReconciliationCase.objects.get(payout=payout, status="open")
    fake_rail.mode = "paid"
    with pytest.raises(ConflictError, match=f"in reconciliation \\(case {case.pk}\\)"):
        services.retry_payout(payout=payout, by=staff)
    assert fake_rail.sends[payout.idempotency_key] == 1

    # The bank says nothing left: staff settle the case, and only then may it be retried.
    services.resolve_case(case=case, resolution="not_paid", note="bank: not executed", by=staff)
    assert services.retry_payout(payout=payout, by=staff).status == "paid"
    assert fake_rail.sends[payout.idempotency_key] == 2


def test_statement_settles_an_ambiguous_payout(payable, staff, fake_rail):
    payout = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "timeout"
    services.retry_payout(payout=payout, by=staff)
    data = statement(payout.idempotency_key).replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )

    services.import_statement(file=data, by=staff)

    payout.refresh_from_db()
    assert payout.status == "paid"
    case = ReconciliationCase.objects.get(payout=payout)
    assert (case.status, case.resolution) == ("resolved", "paid")


def test_stale_sending_attempt_becomes_ambiguous(payable, staff, fake_rail):
    from trainerdesk.payouts.services import attempts

    payout = services.create_batch(by=staff).payouts.get()
    from django.db import transaction

    with transaction.atomic():
        attempts.begin(
            Payout.objects.select_for_update().get(pk=payout.pk), rail=fake_rail(), by=staff
        )
    with pytest.raises(ConflictError, match="in flight"):
        services.retry_payout(payout=payout, by=staff)
    PayoutAttempt.objects.filter(payout=payout).update(
        started_at=payout.created_at - datetime.timedelta(hours=1)
    )
    assert services.retry_payout(payout=payout, by=staff).status == "ambiguous"
    assert fake_rail.sends[payout.idempotency_key] == 0


def test_bank_account_errors_name_the_field(member):
    with pytest.raises(InvalidInput) as caught:
        services.set_bank_account(
            member=member.network_member, holder_name="", iban="DE00123", bic="", by=member
        )
    assert [e.split(":")[0] for e in caught.value.errors] == ["holder_name", "iban"]


def test_new_bank_account_replaces_the_current_one(member, staff):
    first = bank_account(member, by=staff)
    second = bank_account(member, iban="AT551200000000654321", verified=False, by=member)
    first.refresh_from_db()
    assert not first.is_current and second.is_current and not second.verified


def test_return_after_the_debit_reverses_the_ledger_and_reopens_the_commissions(payable, staff):
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    payout = batch.payouts.get()
    member_user = payable[0].member.user
    # Entry 1 books the debit for the payout (TxDtls 2), entry 2 returns it (AC04).
    data = statement("KEYA", payout.idempotency_key).replace(
        b'<Amt Ccy="EUR">0.05</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )

    record = services.import_statement(file=data, by=staff)

    payout.refresh_from_db()
    assert (record.counts["paid"], record.counts["returned"]) == (1, 1)
    assert payout.status == "returned" and payout.paid_on is not None
    assert _payable_balance(member_user) == -87345  # the payout posting was reversed
    reversal = LedgerTransaction.objects.get(source_key=f"payout:{payout.idempotency_key}:returned")
    assert reversal.reverses.kind == "payout.sent"
    assert not PayoutItem.objects.filter(is_live=True).exists()
    # Billing moved the paid commissions back to payable: no case for staff.
    assert set(Commission.objects.values_list("status", flat=True)) == {"payable"}
    assert set(Commission.objects.values_list("paid_on", flat=True)) == {None}
    assert not ReconciliationCase.objects.filter(payout=payout).exists()
    reopened = AuditEvent.objects.filter(action="billing.commission.reopen")
    assert {int(e.object_id) for e in reopened} == {c.pk for c in payable}
    assert ledger.trial_balance().balanced

    # The next batch pays them, and its statement settles it once.
    again = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    second = again.payouts.get()
    assert second.pk != payout.pk and second.amount_cents == 87345
    assert set(second.items.values_list("commission_id", flat=True)) == {c.pk for c in payable}
    data = statement(second.idempotency_key, "UNKNOWN-KEY", "KEYC").replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )
    services.import_statement(file=data, by=staff)

    second.refresh_from_db()
    assert second.status == "paid"
    assert set(Commission.objects.values_list("status", flat=True)) == {"paid"}
    assert _payable_balance(member_user) == 0
    assert LedgerTransaction.objects.filter(kind="payout.sent").count() == 2
    trial = ledger.trial_balance()
    assert trial.balanced and trial.total == 0


def test_cancel_a_failed_payout_frees_its_commissions(payable, staff, fake_rail):
    payout = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "rejected"
    services.retry_payout(payout=payout, by=staff)

    with pytest.raises(InvalidInput, match="reason: say why"):
        services.cancel_payout(payout=payout, reason=" ", by=staff)
    services.cancel_payout(payout=payout, reason="account closed", by=staff)

    payout.refresh_from_db()
    assert payout.status == "cancelled"
    assert set(Commission.objects.values_list("status", flat=True)) == {"payable"}
    with pytest.raises(ConflictError, match="is cancelled"):
        services.retry_payout(payout=payout, by=staff)
    assert services.create_batch(by=staff).payouts.get().pk != payout.pk


def test_a_submitted_payout_cannot_be_cancelled(payable, staff):
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    with pytest.raises(ConflictError, match="only a created or failed payout"):
        services.cancel_payout(payout=batch.payouts.get(), reason="changed my mind", by=staff)


def test_a_statement_of_another_account_is_refused(payable, staff):
    data = statement().replace(
        b"<IBAN>AT592011100000123456</IBAN>", b"<IBAN>DE89370400440532013000</IBAN>"
    )
    with pytest.raises(InvalidInput, match="not the payout account AT592011100000123456"):
        services.import_statement(file=data, by=staff)
    assert not StatementImport.objects.exists()


def test_a_payout_the_clawback_takes_whole_is_settled_without_a_transfer(payable, staff):
    from trainerdesk.billing.services import flows

    flows.clawback_opened(
        placement=payable[0].placement, amount_cents=90000, currency="EUR", by=staff
    )
    payout = services.create_batch(by=staff).payouts.get()
    assert (payout.gross_cents, payout.clawback_cents, payout.amount_cents) == (87345, 87345, 0)

    batch = services.submit_batch(batch=payout.batch, by=staff)

    payout.refresh_from_db()
    assert payout.status == "paid" and not batch.file and batch.status == "closed"
    assert set(Commission.objects.values_list("status", flat=True)) == {"paid"}
    sent = LedgerTransaction.objects.get(kind="payout.sent")
    assert sorted(leg.amount for leg in sent.legs.all()) == [-87345, 87345]
