"""Time the progress page (GET /projects/<id>/progress/, in process through Django's test
client: the counters, the per-annotator medians, item counts, the template) and its API
(GET /api/v1/projects/<id>/progress) over N annotations.

Set-up: N items, one annotation each, by --annotators annotators in turn, created over the
last 40 days (seeded; 10 % skips, lead times 1-60 s), bulk-inserted, then the progress
counters rebuilt by `services.recount_progress` (timed: what `trainerdesk
recount_progress` costs). Run from a checkout without the counters (e.g. main before
them, `--tree`), the same script times the old aggregate queries on the same data.
Target (issue 9): the page <= 200 ms at 500,000 annotations.

    .venv/bin/python bench/bench_progress.py --n 500000 --repeat 20
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


def annotate_all(*, project, annotators, seed: int) -> int:
    from django.db import transaction
    from django.utils import timezone

    from trainerdesk.workbench.models import Annotation, Item

    rng = random.Random(seed)
    now = timezone.now()
    ids = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    with transaction.atomic():
        Annotation.objects.bulk_create(
            (
                Annotation(
                    project=project,
                    item_id=item_id,
                    annotator=annotators[n % len(annotators)],
                    answer={"topic": c.LABELS[item_id % len(c.LABELS)]},
                    skipped=rng.random() < 0.1,
                    guideline_version=project.guideline_version,
                    lead_time=round(rng.uniform(1, 60), 2),
                    created_at=(at := now - timedelta(seconds=rng.uniform(0, 40 * 86400))),
                    updated_at=at,
                )
                for n, item_id in enumerate(ids)
            ),
            batch_size=5000,
        )
        Item.objects.filter(project=project).update(done_count=1, available=False)
    return len(ids)


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark the progress page.", default_n=500_000)
    p.add_argument("--annotators", type=int, default=4)
    p.add_argument("--repeat", type=int, default=20, help="requests per view")
    args = p.parse_args(argv)

    with c.workspace(args, "bench-progress") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        owner, org, project = c.create_owner_and_project()
        imported = c.import_file(project=project, path=source)
        if imported.added != args.n:
            raise SystemExit(f"set-up import added {imported.added} of {args.n} items")
        source.unlink()
        annotators = [
            c.add_annotator(org=org, project=project, owner=owner)[0]
            for _ in range(args.annotators)
        ]
        annotations = annotate_all(project=project, annotators=annotators, seed=args.seed)

        from django.conf import settings
        from django.test import Client
        from django.urls import reverse

        from trainerdesk.workbench import services

        recount_s = None
        if hasattr(services, "recount_progress"):
            t0 = time.perf_counter()
            services.recount_progress(project=project)
            recount_s = time.perf_counter() - t0

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(owner)
        views = {
            "progress page": reverse("workbench:progress", args=[project.pk]),
            "progress API": f"/api/v1/projects/{project.pk}/progress",
        }
        results = {}
        for name, url in views.items():
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - t0)
            results[name] = c.latency_summary(times)
        body = client.get(views["progress API"]).json()
        database = c.database_label()

    out = {
        "bench": "progress",
        "n": args.n,
        "annotations": annotations,
        "annotators": args.annotators,
        "database": database,
        "counters": recount_s is not None,
        "recount_s": None if recount_s is None else round(recount_s, 2),
        "load_average": os.getloadavg(),
        "scenarios": results,
        "check": {"done": sum(a["done"] for a in body["annotators"]), "total": body["total"]},
        "machine": c.machine(),
    }
    lines = [
        f"progress, {annotations:,} annotations, {name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms"
        for name, r in results.items()
    ]
    if recount_s is not None:
        lines.append(f"recount_progress: {recount_s:.2f} s")
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
