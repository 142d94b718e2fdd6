"""Daily chain heads (governance/services/heads.py): how long recording and checking take
for a chain of V events (default 100,000) spread over D past days (default 30).

The chain is written in bulk with record()'s own hashing (bench_audit.py's), each
event stamped on one of the D days; then: `record_chain_heads()` the first time (it
recomputes the whole chain), again (nothing new: it continues from the last stored head),
and `check_heads()` of the stored heads (the whole chain again, what `audit verify` adds).

    .venv/bin/python bench/bench_audit_heads.py [--n 100000] [--days 30]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


def build_chain(organization_id: int, v: int, days: int) -> float:
    """bench_audit's chain, its events spread evenly over the `days` before today."""
    from bench_audit import build_chain as build

    first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first -= timedelta(days=days)
    step = timedelta(days=days) / v
    return build(organization_id, v, stamp=lambda i: first + step * i)


def main() -> None:
    p = c.parser(__doc__, default_n=100_000)
    p.add_argument("--days", type=int, default=30)
    args = p.parse_args()
    with c.workspace(args, "audit_heads"):
        c.django_setup()
        from trainerdesk.governance.services import heads
        from trainerdesk.lib import audit

        org_id = 10**9 + 1
        build_s = build_chain(org_id, args.n, args.days)
        start = time.perf_counter()
        first = heads.record_chain_heads(system="bench")
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = heads.record_chain_heads(system="bench")
        again_s = time.perf_counter() - start
        start = time.perf_counter()
        mismatches = heads.check_heads(heads.stored_heads([audit.chain_key(org_id)]))
        check_s = time.perf_counter() - start
        assert first.added >= args.days and again.added == 0 and not mismatches
        result = {
            "bench": "audit_heads",
            "database": c.database_label(),
            "machine": c.machine(),
            "n": args.n,
            "days": args.days,
            "heads": first.added,
            "build_chain_s": round(build_s, 2),
            "record_first_s": round(first_s, 2),
            "record_again_s": round(again_s, 3),
            "check_s": round(check_s, 2),
        }
        c.report(
            result,
            f"{result['database']}: {args.n:,} events over {args.days} days: heads recorded "
            f"in {first_s:.2f} s, re-run {again_s:.3f} s, checked in {check_s:.2f} s",
        )


if __name__ == "__main__":
    main()
