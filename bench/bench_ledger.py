"""The ledger's trial balance over 1,000,000 legs (issue 11: ≤ 1 s on SQLite and
PostgreSQL), measured through `billing.services.trial_balance()`.

Set-up: C clients and M members (bench-only rows), then placements' money flows as
transactions of 2-3 legs each, 10 legs per placement (invoice issued: receivable / deferred
fee / VAT; client paid: cash / receivable; fee earned: deferred fee / platform revenue /
member payable; payout: member payable / cash), round-robin over the clients and members,
until N legs. Bulk-loaded with executemany through the ledger's own rules: transactions
inserted open, legs inserted (the leg trigger checks each one), then one UPDATE posts
them all (the balance trigger checks every transaction). Then the trial balance is timed
R times, before and after ANALYZE.

    .venv/bin/python bench/bench_ledger.py                    # SQLite, 1,000,000 legs
    .venv/bin/python bench/bench_ledger.py --database-url postgres://postgres@127.0.0.1/td_bench_ledger
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

BATCH = 20_000


def make_parties(n_clients: int, n_members: int) -> tuple[list[int], list[int]]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from trainerdesk.network.models import Client, Member

    tag = c.unique("bench")
    clients = Client.objects.bulk_create(
        [Client(name=f"Synthetic client {tag} {i}", country="AT") for i in range(n_clients)]
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{tag}-m{i}", password="!") for i in range(n_members)]
    )
    members = Member.objects.bulk_create(
        [
            Member(
                user=u,
                display_name=f"Synthetic member {i}",
                country="AT",
                vat_status="not_registered",
                status="approved",
                decided_at=timezone.now(),
            )  # fmt: skip
            for i, u in enumerate(users)
        ]
    )
    return [x.pk for x in clients], [x.pk for x in members]


def load(n_legs: int, clients: list[int], members: list[int]) -> dict:
    from django.db import connection, transaction

    from trainerdesk.billing.services import ledger

    def acct(kind, **party):
        return ledger.account_for(kind, currency="EUR", **party).pk

    from trainerdesk.billing.models import Account

    start = time.perf_counter()
    with transaction.atomic():
        cash, deferred, vat, revenue = (
            acct(k) for k in ("cash", "deferred_fee", "vat_payable", "platform_revenue")
        )
        # Per-party accounts in bulk (set-up only; account_for audits each one it opens).
        recv = [
            a.pk
            for a in Account.objects.bulk_create(
                [Account(kind="client_receivable", client_id=x, currency="EUR") for x in clients]
            )
        ]
        pay = [
            a.pk
            for a in Account.objects.bulk_create(
                [Account(kind="member_payable", member_id=x, currency="EUR") for x in members]
            )
        ]
    accounts_s = time.perf_counter() - start

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM billing_ledgertransaction")
        next_txn = cursor.fetchone()[0] + 1
    txns, legs = [], []
    placement = 0
    total_legs = 0
    load_start = time.perf_counter()

    def flush():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO billing_ledgertransaction (id, kind, memo, status, source_key, "
                "created_at) VALUES (%s, %s, '', 'open', %s, CURRENT_TIMESTAMP)",
                txns,
            )
            cursor.executemany(
                "INSERT INTO billing_leg (transaction_id, account_id, amount, currency) "
                "VALUES (%s, %s, %s, 'EUR')",
                legs,
            )
            cursor.execute(
                "UPDATE billing_ledgertransaction SET status = 'posted', "
                "posted_at = CURRENT_TIMESTAMP WHERE status = 'open' AND id >= %s",
                [txns[0][0]],
            )
        txns.clear()
        legs.clear()

    while total_legs < n_legs:
        r, m = recv[placement % len(recv)], pay[placement % len(pay)]
        fee = 100_000 + (placement * 7919) % 900_000
        member_part = (fee + 1) // 2
        v = fee // 5
        flows = [
            ("placement_invoice.issued", [(r, fee + v), (deferred, -fee), (vat, -v)]),
            ("client.paid", [(cash, fee + v), (r, -(fee + v))]),
            (
                "placement.fee_earned",
                [(deferred, fee), (revenue, -(fee - member_part)), (m, -member_part)],
            ),
            ("payout.sent", [(m, member_part), (cash, -member_part)]),
        ]
        for kind, pairs in flows:
            tid = next_txn
            next_txn += 1
            txns.append((tid, kind, f"bench:{tid}"))
            legs.extend((tid, account, amount) for account, amount in pairs)
            total_legs += len(pairs)
        placement += 1
        if len(legs) >= BATCH:
            flush()
    if txns:
        flush()
    load_s = time.perf_counter() - load_start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('billing_ledgertransaction', 'id'), %s)",
                [next_txn],
            )
    return {
        "legs": total_legs,
        "transactions": next_txn - 1,
        "placements": placement,
        "accounts": 4 + len(recv) + len(pay),
        "accounts_s": round(accounts_s, 2),
        "load_s": round(load_s, 1),
    }


def time_trial_balance(repeat: int) -> tuple[dict, object]:
    from trainerdesk.billing.services import ledger

    seconds, tb = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        tb = ledger.trial_balance()
        seconds.append(time.perf_counter() - start)
    return c.latency_summary(seconds) | {"max_ms": round(max(seconds) * 1000, 1)}, tb


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    p = c.parser(__doc__, default_n=1_000_000)
    p.add_argument("--clients", type=int, default=2_000)
    p.add_argument("--members", type=int, default=3_000)
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    with c.workspace(args, "ledger"):
        c.django_setup()
        from django.db import connection

        from trainerdesk.lib import audit

        with audit.acting_as("bench"):
            clients, members = make_parties(args.clients, args.members)
            loaded = load(args.n, clients, members)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM billing_leg l JOIN billing_ledgertransaction t "
                "ON t.id = l.transaction_id WHERE t.status = 'posted'"
            )
            posted_legs = cursor.fetchone()[0]
        assert posted_legs >= args.n, posted_legs
        time_trial_balance(1)  # warm the caches once
        cold, tb = time_trial_balance(args.repeat)
        assert tb.balanced and len(tb.rows) == loaded["accounts"], (tb.totals, len(tb.rows))
        analyze()
        warm, tb = time_trial_balance(args.repeat)
        assert tb.balanced
        result = {
            "bench": "ledger",
            "database": c.database_label(),
            "machine": c.machine(),
            "n": args.n,
            **loaded,
            "posted_legs": posted_legs,
            "trial_balance": cold,
            "trial_balance_after_analyze": warm,
        }
        c.report(
            result,
            f"{result['database']}: trial balance of {loaded['accounts']:,} accounts over "
            f"{posted_legs:,} legs: p50 {cold['p50_ms']} ms, max {cold['max_ms']} ms "
            f"(after ANALYZE p50 {warm['p50_ms']} ms, max {warm['max_ms']} ms); "
            f"load {loaded['load_s']} s",
        )


if __name__ == "__main__":
    main()
