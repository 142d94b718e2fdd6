"""Time the data manager's table pages (the whole GET /projects/<id>/items/ view, in
process through Django's test client: filters, keyset page, the page's annotations, the
template) at any depth.

Set-up: N items, one annotation on every other item (bulk-inserted, see bench_export.py).
Scenarios, each requested --repeat times after one warm-up call:
first page; a deep page (the cursor 90% into the project: page 9,000 of 500,000 at 50 a
page is the same cost as page 5,000 of 1,000,000); the deep page filtered by status=done;
the deep page filtered by label; the deep page sorted by -priority; done_count sort.
Target (issue 3): p95 <= 50 ms for a filtered page at 1M items on SQLite.

    .venv/bin/python bench/bench_data_manager.py --n 100000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from bench_export import annotate_half  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark the data manager's table pages.", default_n=100_000)
    p.add_argument("--repeat", type=int, default=50, help="requests per scenario")
    args = p.parse_args(argv)

    with c.workspace(args, "bench-dm") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        owner, org, project = c.create_owner_and_project()
        imported = c.import_file(project=project, path=source)
        if imported.added != args.n:
            raise SystemExit(f"set-up import added {imported.added} of {args.n} items")
        source.unlink()
        annotator, _ = c.add_annotator(org=org, project=project, owner=owner)
        annotations = annotate_half(project=project, annotator=annotator)
        database = c.database_label()

        from django.conf import settings
        from django.test import Client
        from django.urls import reverse

        from trainerdesk.workbench.models import Item

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(owner)
        url = reverse("workbench:data_manager", args=[project.pk])
        ids = Item.objects.filter(project=project).order_by("id").values_list("id", flat=True)
        deep = ids[int(args.n * 0.9)]
        label = c.LABELS[0]
        scenarios = {
            "first page": "",
            "deep page": f"after={deep}",
            "deep page, status=done": f"status=done&after={deep}",
            "deep page, label": f"label={label}&after={deep}",
            "deep page, sort=-priority": f"sort=-priority&after={deep}",
            "deep page, sort=done_count": f"sort=done_count&after={deep}",
        }
        results = {}
        for name, query in scenarios.items():
            response = client.get(f"{url}?{query}")
            if response.status_code != 200 or response.content.count(b'name="item"') != 50:
                raise SystemExit(f"{name}: HTTP {response.status_code}, not a full page")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(f"{url}?{query}")
                times.append(time.perf_counter() - t0)
            results[name] = c.latency_summary(times)

    out = {
        "bench": "data_manager",
        "n": args.n,
        "annotations": annotations,
        "database": database,
        "scenarios": results,
        "machine": c.machine(),
    }
    lines = [
        f"data manager, {args.n:,} items, {name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms"
        for name, r in results.items()
    ]
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
