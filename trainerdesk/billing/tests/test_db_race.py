"""PostgreSQL: a leg written by one session into an open transaction while another
session posts it can never end up inside a posted, unbalanced transaction. The leg
trigger locks the transaction row FOR SHARE, which the posting UPDATE waits for; the
posting's check then sees the new leg and refuses. (SQLite runs one writer at a time,
so the race cannot happen there.) Two real connections, one posting from a thread."""

import threading

import pytest
from django.db import connection

from trainerdesk.billing import services

pytestmark = pytest.mark.django_db(transaction=True)


def _connect():
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
        host=s["HOST"] or None, port=s["PORT"] or None,
    )  # fmt: skip


def test_a_leg_racing_the_posting_is_refused_or_seen():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    cash = services.account_for("cash", currency="EUR", by=None)
    rev = services.account_for("platform_revenue", currency="EUR", by=None)
    poster, intruder = _connect(), _connect()
    try:
        with poster.transaction():
            txn_id = poster.execute(
                "INSERT INTO billing_ledgertransaction (kind, memo, status, source_key, "
                "created_at) VALUES ('race', '', 'open', 'race:1', now()) RETURNING id"
            ).fetchone()[0]
            for account, amount in ((cash, 100), (rev, -100)):
                poster.execute(
                    "INSERT INTO billing_leg (transaction_id, account_id, amount, currency) "
                    "VALUES (%s, %s, %s, 'EUR')",
                    [txn_id, account.pk, amount],
                )
        # The intruder writes a third leg and holds its transaction open ...
        intruder.execute(
            "INSERT INTO billing_leg (transaction_id, account_id, amount, currency) "
            "VALUES (%s, %s, 5, 'EUR')",
            [txn_id, cash.pk],
        )
        outcome = {}

        def post():
            try:
                with poster.transaction():
                    poster.execute(
                        "UPDATE billing_ledgertransaction SET status = 'posted' WHERE id = %s",
                        [txn_id],
                    )
                outcome["posted"] = True
            except Exception as exc:  # noqa: BLE001 - the refusal is the expected outcome
                outcome["error"] = str(exc)

        thread = threading.Thread(target=post)
        thread.start()
        thread.join(timeout=1.5)
        # ... so the posting waits for it (FOR SHARE against the UPDATE's row lock).
        assert thread.is_alive(), outcome
        intruder.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert "posted" not in outcome
        assert "do not sum to zero" in outcome["error"]
    finally:
        poster.close()
        intruder.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM billing_ledgertransaction WHERE id = %s", [txn_id])
        assert cursor.fetchone() == ("open",)
