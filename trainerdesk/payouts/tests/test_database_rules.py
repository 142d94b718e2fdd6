"""Rules the database itself keeps, whatever a service does: one commission in at most
one live payout (a raw INSERT past the ORM fails), amounts that add up, one key per
payout. And 20 parallel retries of one payout on PostgreSQL pay it once."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from trainerdesk.lib.errors import ConflictError
from trainerdesk.payouts import services
from trainerdesk.payouts.models import Payout, PayoutAttempt, PayoutItem


def _raw_item(payout_id, commission_id, live):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_payoutitem (payout_id, commission_id, amount_cents, currency,"
            " is_live) VALUES (%s, %s, %s, %s, %s)",
            [payout_id, commission_id, 100, "EUR", live],
        )


@pytest.mark.django_db
def test_a_second_live_payout_for_a_commission_fails_in_the_database(payable, staff):
    payout = services.create_batch(by=staff).payouts.get()
    commission_id = payable[0].pk

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_item(payout.pk, commission_id, True)
    # A dead (returned) item beside the live one is allowed: that is the history.
    with transaction.atomic():
        _raw_item(payout.pk, commission_id, False)
    assert PayoutItem.objects.filter(commission_id=commission_id).count() == 2


@pytest.mark.django_db
def test_payout_amounts_must_add_up_in_the_database(payable, staff):
    payout = services.create_batch(by=staff).payouts.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.filter(pk=payout.pk).update(amount_cents=payout.amount_cents + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.filter(pk=payout.pk).update(
            amount_cents=-1, clawback_cents=payout.gross_cents + 1
        )


@pytest.mark.django_db
def test_idempotency_key_is_unique(payable, other_member, client_company, staff):
    from trainerdesk.payouts.tests.conftest import bank_account, commission

    bank_account(other_member, iban="AT551200000000654321")
    commission(other_member, client_company, cents=500)
    first, second = services.create_batch(by=staff).payouts.all()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.filter(pk=second.pk).update(idempotency_key=first.idempotency_key)


PARALLEL = 20


@pytest.mark.django_db(transaction=True)
def test_parallel_retries_pay_once_on_postgresql(payable, staff, fake_rail):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: run with DATABASE_URL=postgres://...")
    from trainerdesk.billing.models import LedgerTransaction

    payout = services.create_batch(by=staff).payouts.get()
    barrier = threading.Barrier(PARALLEL)
    results: list[str] = []
    errors: list[str] = []
    guard = threading.Lock()

    def retry():
        try:
            barrier.wait()
            outcome = services.retry_payout(payout=payout, by=staff).status
            with guard:
                results.append(outcome)
        except ConflictError as exc:
            with guard:
                results.append("conflict")
                errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any other error fails the test below
            with guard:
                results.append(f"error: {exc!r}")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == PARALLEL
    assert not [r for r in results if r.startswith("error")], results
    assert set(results) <= {"paid", "conflict"}, results
    assert all("in flight" in e for e in errors), errors
    assert fake_rail.sends[payout.idempotency_key] == 1
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.attempts == 1
    assert PayoutAttempt.objects.filter(payout=payout).count() == 1
    sent = LedgerTransaction.objects.filter(source_key=f"payout:{payout.idempotency_key}:sent")
    assert sent.count() == 1
