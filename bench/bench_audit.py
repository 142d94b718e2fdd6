"""The audit log: what `lib.audit.record()` adds to a write, and how fast a chain verifies.

1. record(): N events (default 10,000), each in its own transaction beside a one-row
   UPDATE (a typical audited change), against the same transaction without record().
   The difference is record()'s cost: lock the chain head, hash, insert, move the head.
2. verify(): a chain of V events (default 100,000), written with record()'s own
   functions (canonical_line/chain_hash) in bulk so the set-up takes seconds, then
   `audit.verify()` over it (what `trainerdesk audit verify` runs per chain).

    .venv/bin/python bench/bench_audit.py
    .venv/bin/python bench/bench_audit.py --database-url postgres://postgres@127.0.0.1/td_bench
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


def timed_writes(n: int, *, audited: bool, org, membership) -> list[float]:
    from django.db import transaction

    from trainerdesk.accounts.models import Membership
    from trainerdesk.lib import audit

    seconds = []
    for i in range(n):
        start = time.perf_counter()
        with transaction.atomic():
            Membership.objects.filter(pk=membership.pk).update(role="admin" if i % 2 else "member")
            if audited:
                audit.record(
                    action="accounts.membership.update",
                    obj=membership,
                    organization=org,
                    changes={"role": {"before": "member", "after": "admin"}},
                    system="bench",
                )
        seconds.append(time.perf_counter() - start)
    return seconds


def build_chain(organization_id: int, v: int, batch: int = 5000, stamp=None) -> float:
    """V events on one chain in bulk, hashed exactly as record() hashes; returns seconds.
    `stamp(i)` gives event i's time (default: now)."""
    from django.db import transaction
    from django.utils import timezone

    from trainerdesk.accounts.models import AuditChain, AuditEvent
    from trainerdesk.lib import audit

    start = time.perf_counter()
    key = audit.chain_key(organization_id)
    head = AuditChain.objects.create(key=key, organization_id=organization_id)
    prev, seq = audit.GENESIS_HASH, 0
    for lo in range(0, v, batch):
        rows = []
        for i in range(lo, min(lo + batch, v)):
            seq += 1
            e = AuditEvent(
                chain_id=head.pk,
                seq=seq,
                created_at=stamp(i) if stamp else timezone.now(),
                action="workbench.item.gold_mark",
                organization_id=organization_id,
                project_id=1,
                actor_id=1,
                actor_system="",
                object_type="workbench.item",
                object_id=str(i),
                changes=audit.clean_changes({"is_gold": {"before": False, "after": True}}),
                reason="",
                request_id="",
                ip="",
                prev_hash=prev,
            )
            e.hash = audit.chain_hash(
                prev, audit.canonical_line(audit.event_fields(key, e.__dict__))
            )
            prev = e.hash
            rows.append(e)
        with transaction.atomic():
            AuditEvent.objects.bulk_create(rows)
    AuditChain.objects.filter(pk=head.pk).update(seq=seq, head_hash=prev)
    return time.perf_counter() - start


def main() -> None:
    p = c.parser(__doc__, default_n=10_000)
    p.add_argument("--verify-n", type=int, default=100_000, help="events in the verified chain")
    args = p.parse_args()
    with c.workspace(args, "audit"):
        c.django_setup()
        from trainerdesk.accounts.models import Membership
        from trainerdesk.accounts.services import create_organization, create_user
        from trainerdesk.lib import audit

        owner = create_user(username=c.unique("owner"), password="x", check_password=False)
        org = create_organization(name=c.unique("Bench org"), owner=owner)
        membership = Membership.objects.get(organization=org, user=owner)
        timed_writes(200, audited=True, org=org, membership=membership)  # warm-up
        # Interleaved halves, so load on the machine hits both alike.
        plain, audited = [], []
        for _ in range(10):
            plain += timed_writes(args.n // 10, audited=False, org=org, membership=membership)
            audited += timed_writes(args.n // 10, audited=True, org=org, membership=membership)
        plain_s, audited_s = c.latency_summary(plain), c.latency_summary(audited)
        marginal = (sum(audited) - sum(plain)) / len(audited) * 1000

        fresh_org = 10**9 + org.pk  # its own chain, no organization row needed
        build_s = build_chain(fresh_org, args.verify_n)
        start = time.perf_counter()
        report = audit.verify(audit.chain_key(fresh_org))
        verify_s = time.perf_counter() - start
        assert report.broken is None and report.events == args.verify_n, report
        assert audit.verify(audit.chain_key(org.pk)).broken is None

        result = {
            "bench": "audit",
            "database": c.database_label(),
            "machine": c.machine(),
            "n": args.n,
            "write_without_record": plain_s,
            "write_with_record": audited_s,
            "record_ms_per_event": round(marginal, 3),
            "verify_events": args.verify_n,
            "verify_s": round(verify_s, 2),
            "verify_events_per_s": round(args.verify_n / verify_s),
            "build_chain_s": round(build_s, 2),
        }
        c.report(
            result,
            f"{result['database']}: record() adds {marginal:.3f} ms per event "
            f"(write p50 {plain_s['p50_ms']} -> {audited_s['p50_ms']} ms); verify "
            f"{args.verify_n:,} events in {verify_s:.2f} s",
        )


if __name__ == "__main__":
    main()
