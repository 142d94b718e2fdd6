"""A statement is applied in batches of lines, each its own transaction: a crash midway
keeps what was applied, and importing the same file again applies the rest, never an
entry twice."""

from __future__ import annotations

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.billing.models import LedgerTransaction
from trainerdesk.lib.errors import ConflictError
from trainerdesk.payouts import services
from trainerdesk.payouts.models import Payout, StatementImport, StatementLine
from trainerdesk.payouts.services import attempts, statements
from trainerdesk.payouts.tests.camt_builder import camt
from trainerdesk.payouts.tests.conftest import OTHER_IBAN, bank_account, commission

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_payouts(payable, other_member, client_company, staff):
    bank_account(other_member, iban=OTHER_IBAN)
    commission(other_member, client_company, cents=5000)
    batch = services.submit_batch(batch=services.create_batch(by=staff), by=staff)
    return list(batch.payouts.order_by("pk"))


def test_a_crash_midway_resumes_without_applying_an_entry_twice(two_payouts, staff, monkeypatch):
    first, second = two_payouts
    data = camt([(p.idempotency_key, p.amount_cents, "debit") for p in two_payouts])
    monkeypatch.setattr(statements, "BATCH_SIZE", 1)
    monkeypatch.setattr(statements, "SQLITE_BATCH_SIZE", 1)
    real = attempts.settle_paid

    def crash_on_second(payout, **kwargs):
        if payout.pk == second.pk:
            raise RuntimeError("worker killed")
        return real(payout, **kwargs)

    monkeypatch.setattr(attempts, "settle_paid", crash_on_second)
    with pytest.raises(RuntimeError):
        services.import_statement(file=data, by=staff)

    # The first batch committed (its own transaction), the second rolled back whole.
    record = StatementImport.objects.get()
    assert record.status == "importing"
    assert list(record.lines.values_list("outcome", flat=True)) == ["paid", "pending"]
    assert Payout.objects.get(pk=first.pk).status == "paid"
    assert Payout.objects.get(pk=second.pk).status == "submitted"

    monkeypatch.setattr(attempts, "settle_paid", real)
    resumed = services.import_statement(file=data, by=staff)

    assert resumed.pk == record.pk and resumed.status == "done"
    assert resumed.counts == {"paid": 2, "returned": 0, "already": 0, "unmatched": 0, "cases": 0}
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}
    # Each payout posted once, the import's own event once.
    assert LedgerTransaction.objects.filter(kind="payout.sent").count() == 2
    assert AuditEvent.objects.filter(action="payouts.statement.import").count() == 1
    assert AuditEvent.objects.filter(action="payouts.payout.paid").count() == 2
    with pytest.raises(ConflictError, match="imported already"):
        services.import_statement(file=data, by=staff)


def test_lines_are_applied_batch_by_batch(two_payouts, staff, monkeypatch):
    """With batches of one line a two-entry statement is applied in two batches (each its
    own transaction: the crash test above shows the first one stays committed), and the
    last batch finishes the import in its own transaction."""
    data = camt([(p.idempotency_key, p.amount_cents, "debit") for p in two_payouts])
    monkeypatch.setattr(statements, "BATCH_SIZE", 1)
    monkeypatch.setattr(statements, "SQLITE_BATCH_SIZE", 1)
    seen = []
    real_apply = statements._apply

    def spy(record, lines, *, by):
        seen.append(len(lines))
        return real_apply(record, lines, by=by)

    monkeypatch.setattr(statements, "_apply", spy)
    record = services.import_statement(file=data, by=staff)
    assert record.counts["paid"] == 2
    assert seen == [1, 1]
    assert StatementLine.objects.filter(statement=record, payout__isnull=False).count() == 2
