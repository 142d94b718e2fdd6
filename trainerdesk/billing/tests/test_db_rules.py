"""The ledger's database rules (billing/ledger_sql.py) hold against raw SQL, whatever the
client: run on SQLite and on PostgreSQL (DATABASE_URL). Each rule has a statement that
breaks it and must fail with an IntegrityError, and the legal path next to it."""

import pytest
from django.db import IntegrityError, connection, transaction

from trainerdesk.billing import services

pytestmark = pytest.mark.django_db

TXN, LEG = "billing_ledgertransaction", "billing_leg"


@pytest.fixture
def acc(client_company):
    return {
        "cash": services.account_for("cash", currency="EUR"),
        "rev": services.account_for("platform_revenue", currency="EUR"),
        "cash_usd": services.account_for("cash", currency="USD"),
    }


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def new_txn(key, status="open"):
    return sql(
        f"INSERT INTO {TXN} (kind, memo, status, source_key, created_at) "
        "VALUES ('raw', '', %s, %s, CURRENT_TIMESTAMP) RETURNING id",
        [status, key],
    )[0][0]


def add_leg(txn_id, account, amount, currency=None):
    sql(
        f"INSERT INTO {LEG} (transaction_id, account_id, amount, currency) VALUES (%s, %s, %s, %s)",
        [txn_id, account.pk, amount, currency or account.currency],
    )


def post(txn_id):
    sql(
        f"UPDATE {TXN} SET status = 'posted', posted_at = CURRENT_TIMESTAMP WHERE id = %s", [txn_id]
    )


def refused(statement, *args):
    with pytest.raises(IntegrityError, match="ledger"), transaction.atomic():
        statement(*args)


def posted_txn(acc, key="ok"):
    txn = new_txn(key)
    add_leg(txn, acc["cash"], 100)
    add_leg(txn, acc["rev"], -100)
    post(txn)
    return txn


def test_balanced_raw_posting_is_accepted(acc):
    txn = posted_txn(acc)
    assert sql(f"SELECT status FROM {TXN} WHERE id = %s", [txn]) == [("posted",)]
    assert services.balance(acc["cash"]) == 100


def test_unbalanced_posting_is_refused(acc):
    txn = new_txn("a")
    add_leg(txn, acc["cash"], 100)
    add_leg(txn, acc["rev"], -99)
    refused(post, txn)


def test_single_leg_posting_is_refused(acc):
    txn = new_txn("a")
    add_leg(txn, acc["cash"], 100)
    refused(post, txn)


def test_empty_posting_is_refused(acc):
    refused(post, new_txn("a"))


def test_posting_balanced_across_currencies_only_in_total_is_refused(acc):
    txn = new_txn("a")
    add_leg(txn, acc["cash"], 100)
    add_leg(txn, acc["cash_usd"], -100)
    refused(post, txn)


def test_inserting_a_posted_transaction_is_refused(acc):
    refused(new_txn, "a", "posted")


def test_leg_into_a_posted_transaction_is_refused(acc):
    txn = posted_txn(acc)
    refused(add_leg, txn, acc["cash"], 5)


def test_leg_in_another_currency_than_its_account_is_refused(acc):
    txn = new_txn("a")
    refused(add_leg, txn, acc["cash"], 5, "USD")


def test_updating_a_leg_is_refused(acc):
    txn = posted_txn(acc)
    refused(sql, f"UPDATE {LEG} SET amount = amount + 1 WHERE transaction_id = %s", [txn])


def test_updating_a_leg_of_an_open_transaction_is_refused(acc):
    txn = new_txn("a")
    add_leg(txn, acc["cash"], 5)
    refused(sql, f"UPDATE {LEG} SET amount = 6 WHERE transaction_id = %s", [txn])


def test_deleting_a_leg_is_refused(acc):
    txn = posted_txn(acc)
    refused(sql, f"DELETE FROM {LEG} WHERE transaction_id = %s", [txn])


def test_updating_a_posted_transaction_is_refused(acc):
    txn = posted_txn(acc)
    refused(sql, f"UPDATE {TXN} SET memo = 'changed' WHERE id = %s", [txn])
    refused(sql, f"UPDATE {TXN} SET status = 'open' WHERE id = %s", [txn])


def test_deleting_a_posted_transaction_is_refused(acc):
    txn = posted_txn(acc)
    refused(sql, f"DELETE FROM {TXN} WHERE id = %s", [txn])


def test_a_transaction_is_reversed_at_most_once(acc):
    txn = posted_txn(acc)
    first, second = new_txn("r1"), new_txn("r2")
    sql(f"UPDATE {TXN} SET reverses_id = %s WHERE id = %s", [txn, first])
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(f"UPDATE {TXN} SET reverses_id = %s WHERE id = %s", [txn, second])


def test_zero_leg_is_refused(acc):
    txn = new_txn("a")
    with pytest.raises(IntegrityError), transaction.atomic():
        add_leg(txn, acc["cash"], 0)


def test_source_key_is_unique(acc):
    posted_txn(acc, key="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        new_txn("same")


def test_the_orm_is_refused_too(acc):
    from trainerdesk.billing.models import LedgerTransaction, Leg

    posted_txn(acc)
    with pytest.raises(IntegrityError, match="ledger"), transaction.atomic():
        Leg.objects.all().update(amount=1)
    with pytest.raises(IntegrityError, match="ledger"), transaction.atomic():
        LedgerTransaction.objects.all().update(memo="edited")
