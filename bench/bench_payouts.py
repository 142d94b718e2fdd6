"""A month's payout run: N members with one payable commission each and a verified bank
account; `create_batch` (N payouts, keys, commission moves through billing), `submit_batch`
(one pain.001 file of N transfers, built by sepaxml and XSD-validated), then
`import_statement` of a camt.053 whose one batch-booked debit carries the N transactions
(each payout paid: ledger posting and commission paid through billing). No speed target
in issue 11; this records what a run of a given size costs.

`--probe`: while the statement is imported, another thread (its own connection) writes a
sign-in event to the global audit chain every 50 ms, as a sign-in would, and reports how
long each waited: the import holds the chain head (and SQLite's write lock) for as long
as one of its transactions runs.

Set-up rows (placements, commissions, the members' payable ledger accounts, bank
accounts) are bulk-created with the ORM: the point is the payout services, not the
pipeline's.

    .venv/bin/python bench/bench_payouts.py --n 1000
    .venv/bin/python bench/bench_payouts.py --n 1000 --database-url postgres://postgres@127.0.0.1/td_bench_payouts
"""

from __future__ import annotations

import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


def make_payable(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from trainerdesk.billing.models import Commission
    from trainerdesk.network.models import Candidate, Client, Member, Opening
    from trainerdesk.payouts.models import BankAccount
    from trainerdesk.placements.models import FairPlayPolicy, Offer, Placement, Submission

    tag = c.unique("bench")
    now = timezone.now()
    today = timezone.localdate()
    start = today - datetime.timedelta(days=120)
    client = Client.objects.create(name=f"Synthetic client {tag}", country="AT")
    opening = Opening.objects.create(
        client=client, title="Rater", task_type="sentiment", domain="reviews",
        contract_type="freelance", hours_per_week=10, pay_cents=2500, pay_currency="EUR",
        pay_unit="hour", fee_type="flat", fee_flat_cents=150000, fee_currency="EUR",
        status="open",
    )  # fmt: skip
    policy = FairPlayPolicy.objects.order_by("-version").first()
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"{tag}-m{i}", password="!") for i in range(n)])
    members = Member.objects.bulk_create(
        [
            Member(
                user=u,
                display_name=f"Synthetic member {i}",
                country="AT",
                vat_status="not_registered",
                status="approved",
                decided_at=now,
            )  # fmt: skip
            for i, u in enumerate(users)
        ]
    )
    candidates = Candidate.objects.bulk_create(
        [Candidate(full_name=f"Synthetic candidate {i}") for i in range(n)]
    )
    subs = Submission.objects.bulk_create(
        [
            Submission(candidate=cand, opening=opening, member=m, policy=policy, stage="placed")
            for cand, m in zip(candidates, members, strict=True)
        ]
    )
    offers = Offer.objects.bulk_create(
        [
            Offer(
                submission=s,
                pay_cents=2500,
                currency="EUR",
                unit="hour",
                hours_per_week=10,
                start_date=start,
                status="accepted",
            )  # fmt: skip
            for s in subs
        ]
    )
    placements = Placement.objects.bulk_create(
        [
            Placement(
                submission=s,
                offer=o,
                client=client,
                member=m,
                fee_type="flat",
                fee_cents=150000 + 2 * i,
                currency="EUR",
                commission_basis_points=5000,
                member_commission_cents=75000 + i,
                platform_cents=75000 + i,
                start_date=start,
                started_on=start,
                guarantee_days=90,
                guarantee_ends_on=start + datetime.timedelta(days=90),
                status="earned",
            )  # fmt: skip
            for i, (s, o, m) in enumerate(zip(subs, offers, members, strict=True))
        ]
    )
    Commission.objects.bulk_create(
        [
            Commission(
                placement=p,
                member=p.member,
                amount_cents=p.member_commission_cents,
                currency="EUR",
                status="payable",
                client_paid_on=today,
                payable_on=today,
            )  # fmt: skip
            for p in placements
        ]
    )
    # The members' payable accounts exist in real life (the "fee earned" posting opened
    # them); the bulk-made commissions skipped that posting, so open them here.
    from trainerdesk.billing.models import Account

    Account.objects.bulk_create(
        [Account(kind="member_payable", member=m, currency="EUR") for m in members]
    )
    BankAccount.objects.bulk_create(
        [
            BankAccount(
                member=m,
                holder_name=m.display_name,
                iban="DE89370400440532013000",
                bic="COBADEFFXXX",
                verified=True,
                verified_at=now,
            )  # fmt: skip
            for m in members
        ]
    )


def camt_for(payouts) -> bytes:
    total = sum(p.amount_cents for p in payouts)
    txs = "".join(
        f"<TxDtls><Refs><EndToEndId>{p.idempotency_key}</EndToEndId></Refs>"
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{p.amount_cents // 100}.{p.amount_cents % 100:02d}'
        "</Amt></TxAmt></AmtDtls></TxDtls>"
        for p in payouts
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-12-09T06:00:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>AT592011100000123456</IBAN></Id></Acct>"
        f'<Ntry><Amt Ccy="EUR">{total // 100}.{total % 100:02d}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<Sts>BOOK</Sts><BookgDt><Dt>2026-12-07</Dt></BookgDt>"
        f"<NtryDtls><Btch><NbOfTxs>{len(payouts)}</NbOfTxs></Btch>{txs}</NtryDtls></Ntry>"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


class Probe:
    """Global-chain writes from another thread while the import runs: their latencies."""

    def __init__(self) -> None:
        import threading

        self.stop = threading.Event()
        self.waits: list[float] = []
        self.errors = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        from django.db import connection, transaction

        from trainerdesk.lib import audit

        try:
            while not self.stop.is_set():
                start = time.perf_counter()
                try:
                    with transaction.atomic():
                        audit.record(action="accounts.user.login", system="bench-probe")
                except Exception:  # noqa: BLE001 - a timed-out write is what is counted
                    self.errors += 1
                self.waits.append(time.perf_counter() - start)
                self.stop.wait(0.05)
        finally:
            connection.close()

    def summary(self) -> dict:
        waits = sorted(self.waits)
        return {
            "probe_writes": len(waits),
            "probe_errors": self.errors,
            "probe_p50_ms": round(c.percentile(waits, 50) * 1000, 1) if waits else None,
            "probe_max_ms": round(waits[-1] * 1000, 1) if waits else None,
        }


def main() -> None:
    p = c.parser(__doc__, default_n=1_000)
    p.add_argument("--probe", action="store_true", help="time sign-ins during the import")
    args = p.parse_args()
    with c.workspace(args, "payouts"):
        c.django_setup()
        from trainerdesk.lib import audit
        from trainerdesk.payouts import services
        from trainerdesk.payouts.models import Payout

        with audit.acting_as("bench"):
            start = time.perf_counter()
            make_payable(args.n)
            setup_s = time.perf_counter() - start

            start = time.perf_counter()
            batch = services.create_batch(by=None)
            create_s = time.perf_counter() - start

            start = time.perf_counter()
            batch = services.submit_batch(batch=batch, by=None)
            submit_s = time.perf_counter() - start

            payouts = list(Payout.objects.filter(batch=batch).order_by("pk"))
            assert len(payouts) == args.n and {p.status for p in payouts} == {"submitted"}
            data = camt_for(payouts)
            probe = Probe() if args.probe else None
            if probe is not None:
                probe.thread.start()
            start = time.perf_counter()
            record = services.import_statement(file=data, by=None)
            import_s = time.perf_counter() - start
            if probe is not None:
                probe.stop.set()
                probe.thread.join()
            assert record.counts["paid"] == args.n, record.counts

        result = {
            "bench": "payouts",
            "database": c.database_label(),
            "machine": c.machine(),
            "n": args.n,
            "setup_s": round(setup_s, 2),
            "create_batch_s": round(create_s, 2),
            "submit_batch_s": round(submit_s, 2),
            "file_kib": len(bytes(batch.file)) // 1024,
            "import_statement_s": round(import_s, 2),
            "statement_kib": len(data) // 1024,
            **(probe.summary() if probe is not None else {}),
        }
        c.report(
            result,
            f"{result['database']}: {args.n:,} payouts: create_batch {result['create_batch_s']} s, "
            f"submit_batch {result['submit_batch_s']} s ({result['file_kib']} KiB pain.001), "
            f"import_statement {result['import_statement_s']} s"
            + (
                f"; sign-ins during it: {result['probe_writes']}, p50 {result['probe_p50_ms']} ms,"
                f" max {result['probe_max_ms']} ms, {result['probe_errors']} failed"
                if probe is not None
                else ""
            ),
        )


if __name__ == "__main__":
    main()
