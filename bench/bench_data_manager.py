"""Time the data manager's table pages (the whole GET /projects/<id>/items/ view, in
process through Django's test client: filters, keyset page, the page's annotations, the
template) at any depth.

Set-up: N items, one annotation on every other item (bulk-inserted, see bench_export.py).
Scenarios, each requested --repeat times after one warm-up call:
first page; a deep page (the cursor 90% into the project: page 9,000 of 500,000 at 50 a
page is the same cost as page 5,000 of 1,000,000); the deep page filtered by status=done;
the deep page filtered by label; the deep page sorted by -priority; done_count sort.
Then (1M items, page 5,000 = the cursor 250,000 items in): full-text search for a rare
word, a common word (in ~14% of the items), a prefix and a phrase, first and deep pages;
the assignee filter (10% of the items assigned to one annotator); chosen columns; and the
progress page over the annotations. The time to build the SQLite search index after the
import (the worker's job) is reported too.
Target (issue 3): p95 <= 50 ms for a filtered page at 1M items on SQLite.

    .venv/bin/python bench/bench_data_manager.py --n 100000
    .venv/bin/python bench/bench_data_manager.py --n 1000000 --repeat 40
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

        from trainerdesk.workbench import services

        t0 = time.perf_counter()
        indexed = services.index_pending_items()
        index_s = time.perf_counter() - t0
        first_ids = list(project.items.order_by("id").values_list("id", flat=True)[: args.n // 10])
        t0 = time.perf_counter()
        for start in range(0, len(first_ids), 1000):
            services.assign_items(
                project=project,
                item_ids=first_ids[start : start + 1000],
                assignee=annotator,
                by=owner,
            )
        assign_s = time.perf_counter() - t0

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
        page5000 = ids[min(250_000, args.n // 4)]
        label = c.LABELS[0]
        rare = f"{args.n // 2}"  # "review <n>:" is in exactly one item
        scenarios = {
            "first page": "",
            "deep page": f"after={deep}",
            "deep page, status=done": f"status=done&after={deep}",
            "deep page, label": f"label={label}&after={deep}",
            "deep page, sort=-priority": f"sort=-priority&after={deep}",
            "deep page, sort=done_count": f"sort=done_count&after={deep}",
            "page 5,000": f"after={page5000}",
            "page 5,000, status=done": f"status=done&after={page5000}",
            "page 5,000, status=new": f"status=new&after={page5000}",
            "page 5,000, label": f"label={label}&after={page5000}",
            "sort=priority": "sort=priority",
            "page 5,000, sort=priority": f"sort=priority&after={page5000}",
            "search common word": "q=great",
            "page 5,000, search common word": f"q=great&after={page5000}",
            "search prefix": "q=gre*",
            "search phrase": 'q="great+plot"',
            "search two words, status=done": "q=great+plot&status=done",
            "assignee filter": f"assignee={annotator.username}",
            "page 5,000, unassigned": f"assignee=-&after={page5000}",
            "all columns": "col="
            + "&col=".join(
                [
                    "external_id",
                    "text",
                    "status",
                    "answers",
                    "skips",
                    "final",
                    "priority",
                    "assignee",
                    "annotators",
                    "created",
                ]
            ),
        }
        single = {"search rare word": f"q={rare}"}
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
        for name, query in single.items():
            response = client.get(f"{url}?{query}")
            if response.status_code != 200 or response.content.count(b'name="item"') != 1:
                raise SystemExit(f"{name}: HTTP {response.status_code}, not one row")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(f"{url}?{query}")
                times.append(time.perf_counter() - t0)
            results[name] = c.latency_summary(times)
        progress_url = reverse("workbench:progress", args=[project.pk])
        if client.get(progress_url).status_code != 200:
            raise SystemExit("progress page failed")
        times = []
        for _ in range(max(3, args.repeat // 10)):
            t0 = time.perf_counter()
            client.get(progress_url)
            times.append(time.perf_counter() - t0)
        results["progress page (all annotations)"] = c.latency_summary(times)

    out = {
        "bench": "data_manager",
        "n": args.n,
        "annotations": annotations,
        "database": database,
        "search_index_build_s": round(index_s, 2),
        "search_index_items": indexed,
        "assign_10_percent_s": round(assign_s, 2),
        "scenarios": results,
        "machine": c.machine(),
    }
    lines = [
        f"search index build after import: {index_s:.2f} s for {indexed:,} items; "
        f"assigning {args.n // 10:,} items: {assign_s:.2f} s"
    ] + [
        f"data manager, {args.n:,} items, {name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms"
        for name, r in results.items()
    ]
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
