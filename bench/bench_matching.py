"""Time ranking an opening over a generated pool of CLEARLY SYNTHETIC candidates.

Set-up (bench only, never product or demo data): N candidates named "Synthetic candidate
000001"..., each with a login user (unusable password), seeded random hours per week,
work authorisations, English/German levels, and evidence rows (accuracy with a Wilson-like
interval, agreement, lead time) on the opening's skill — some with an older second
result, some expired — plus rows on another skill; all bulk-inserted. The opening asks
for English C1, authorisation for DE, 15 h/week, accuracy lower bound >= 0.80 (weight 3),
agreement >= 0.60 (weight 1) and lead time <= 30 s (weight 1).

Timed, --repeat times each: `rank_opening` for staff (the whole network: both reads, the
rule, the digest, storing the Ranking with the top 200 explained and its audit event),
`compute_ranking` (the same without the write), and the pure core alone (`matching.rank`
on arrays already read). Target (issue 10): <= 200 ms p95 at 100,000 candidates.

    .venv/bin/python bench/bench_matching.py --n 100000 --repeat 60
    .venv/bin/python bench/bench_matching.py --database-url postgres://postgres@127.0.0.1:5432/td_matching
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

LEVELS = ["A2", "B1", "B2", "C1", "C2", "native"]
AUTHORISATIONS = [["EU"], ["DE"], ["US"], ["EU", "CH"], [], ["GB"], ["AT"]]
HOURS = [None, 5, 10, 15, 20, 25, 30, 40]


def build_pool(n: int, seed: int) -> None:
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from trainerdesk.network.models import Candidate, CandidateLanguage
    from trainerdesk.vetting.models import Evidence

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        User.objects.bulk_create(
            (User(username=f"synthetic-{k:06d}", password="!") for k in range(n)),
            batch_size=5000,
        )
        users = list(
            User.objects.filter(username__startswith="synthetic-")
            .order_by("id")
            .values_list("id", flat=True)
        )
        Candidate.objects.bulk_create(
            (
                Candidate(
                    user_id=user_id,
                    full_name=f"Synthetic candidate {k:06d}",
                    work_authorisation=rng.choice(AUTHORISATIONS),
                    hours_per_week=rng.choice(HOURS),
                )
                for k, user_id in enumerate(users)
            ),
            batch_size=5000,
        )
        people = list(Candidate.objects.order_by("id").values_list("id", "user_id"))
        languages, evidence = [], []
        for candidate_id, user_id in people:
            if rng.random() < 0.9:
                languages.append(
                    CandidateLanguage(
                        candidate_id=candidate_id, code="en", level=rng.choice(LEVELS)
                    )
                )
            if rng.random() < 0.4:
                languages.append(
                    CandidateLanguage(
                        candidate_id=candidate_id, code="de", level=rng.choice(LEVELS)
                    )
                )
            rows = 0 if rng.random() < 0.3 else (2 if rng.random() < 0.2 else 1)
            for r in range(rows):
                items = rng.choice([20, 40, 100])
                accuracy = rng.uniform(0.55, 0.99)
                half = 1.96 * (accuracy * (1 - accuracy) / items) ** 0.5
                stale = rng.random() < 0.1
                evidence.append(
                    Evidence(
                        user_id=user_id,
                        task_type="text_classification",
                        domain="news",
                        source="assessment",
                        n=items,
                        accuracy=accuracy,
                        low=max(0.0, accuracy - half),
                        high=min(1.0, accuracy + half),
                        agreement=rng.uniform(0.3, 0.95) if rng.random() < 0.7 else None,
                        lead_time_seconds=rng.uniform(5, 90),
                        measured_at=now - timedelta(days=30 * (r + 1)),
                        valid_until=now + timedelta(days=-5 if stale else 300),
                        inputs_digest="0" * 64,
                    )  # fmt: skip
                )
            if rng.random() < 0.3:
                evidence.append(
                    Evidence(
                        user_id=user_id,
                        task_type="sentiment",
                        domain="reviews",
                        source="assessment",
                        n=20,
                        accuracy=0.8,
                        low=0.6,
                        high=0.93,
                        lead_time_seconds=12.0,
                        measured_at=now - timedelta(days=3),
                        valid_until=now + timedelta(days=300),
                        inputs_digest="0" * 64,
                    )  # fmt: skip
                )
        CandidateLanguage.objects.bulk_create(languages, batch_size=5000)
        Evidence.objects.bulk_create(evidence, batch_size=5000)


def make_opening():
    from django.utils import timezone

    from trainerdesk.network.models import Client, Opening, Requirement

    client = Client.objects.create(name="Synthetic bench client", country="DE", status="approved")
    opening = Opening.objects.create(
        client=client, title="Synthetic bench opening", task_type="text_classification",
        domain="news", contract_type="freelance", hours_per_week=15, pay_cents=3000,
        status="open", approved_at=timezone.now(),
    )  # fmt: skip
    for kwargs in (
        {"kind": "language", "language": "en", "level": "C1"},
        {"kind": "work_authorisation", "region": "DE"},
        {"kind": "availability", "hours": 15},
        {"kind": "accuracy", "threshold": 0.8, "weight": 3},
        {"kind": "agreement", "threshold": 0.6, "weight": 1},
        {"kind": "lead_time", "threshold": 30, "weight": 1},
    ):
        Requirement.objects.create(opening=opening, **kwargs)
    return opening


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark matching (rank_opening) over synthetic candidates.", default_n=100_000)
    p.add_argument("--repeat", type=int, default=60, help="timed calls per scenario")
    p.add_argument("--no-analyze", action="store_true", help="SQLite: skip ANALYZE")
    args = p.parse_args(argv)

    with c.workspace(args, "bench-matching"):
        c.django_setup()
        t0 = time.perf_counter()
        build_pool(args.n, args.seed)
        setup_s = time.perf_counter() - t0

        from django.contrib.auth.models import User
        from django.db import connection
        from django.utils import timezone

        from trainerdesk.network import matching as core
        from trainerdesk.network.services import matching

        # Planner statistics, as autovacuum keeps them on PostgreSQL. SQLite gathers none
        # by itself: without them it walks the merged_into index of every row instead of
        # scanning (3x slower at 20,000 candidates); --no-analyze measures that case.
        if connection.vendor == "postgresql" or not args.no_analyze:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        staff = User.objects.create(username="bench-staff", password="!", is_staff=True)
        opening = make_opening()
        spec = matching.opening_spec(opening)
        at = timezone.now()
        inputs = matching.read_inputs(spec, member=None, at=at, scope="network")
        # Warm-up (first-query caches, imports) outside the timings.
        ranking = matching.rank_opening(opening=opening, by=staff)

        results = {
            "rank_opening (reads, rule, digest, store, audit)": timed(
                lambda: matching.rank_opening(opening=opening, by=staff), args.repeat
            ),
            "compute_ranking (reads, rule, digest)": timed(
                lambda: matching.compute_ranking(opening=opening, member=None, at=at),
                args.repeat,
            ),
            "read_inputs (the four queries, digest)": timed(
                lambda: matching.read_inputs(spec, member=None, at=at, scope="network"),
                args.repeat,
            ),
            "pure core (matching.rank)": timed(
                lambda: core.rank(inputs.pool, spec.hard, spec.measured, inputs.evidence),
                args.repeat,
            ),
        }
        summary = {name: c.latency_summary(times) for name, times in results.items()}
        database = c.database_label()
        evidence_rows = len(inputs.evidence.owner)

    out = {
        "bench": "matching",
        "n": args.n,
        "database": database,
        "setup_s": round(setup_s, 1),
        "analyzed": connection.vendor == "postgresql" or not args.no_analyze,
        "considered": ranking.considered,
        "passed_hard": ranking.passed_hard,
        "evidence_rows_read": evidence_rows,
        "load_average": os.getloadavg(),
        "scenarios": summary,
        "machine": c.machine(),
    }
    lines = [
        f"matching, {args.n:,} candidates ({database}), {name}: p50 {r['p50_ms']} ms, "
        f"p95 {r['p95_ms']} ms"
        for name, r in summary.items()
    ]
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
