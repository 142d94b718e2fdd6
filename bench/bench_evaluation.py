"""Evaluate stored classification predictions: metrics, 20 slices, 1,000 bootstrap
resamples of the headline numbers (issue 12).

Set-up: N items (text + a `group` data key with 18 values; with the length buckets that
is about 20 slices), one annotation on each (bulk-inserted: the final label), and one
stored prediction per item from version "bench" (right on ~80%). Timed: the worker's
`run_evaluation` from reading the stored rows to the saved run ("total"), and within it
the computation alone on the rows already read ("compute": metrics, slices, bootstrap).
Target: N = 1,000,000 in <= 5 s on SQLite.

    .venv/bin/python bench/bench_evaluation.py --n 1000000 [--data DIR] [--profile 25]

--data keeps the database in DIR and reuses it (the 1M set-up takes minutes).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

GROUPS = [f"g{i:02d}" for i in range(18)]


def write_items(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "w") as fh:
        for i in range(n):
            words = " ".join(rng.choices(c.VOCABULARY, k=rng.choice((6, 30, 60))))
            fh.write(f'{{"text": "review {i}: {words}", "group": "{GROUPS[i % 18]}"}}\n')


def seed_labels(*, project, annotator, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from trainerdesk.workbench.models import Annotation, Item, Prediction

    rng = random.Random(seed)
    now = timezone.now()
    labels = c.LABELS
    ids = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    with transaction.atomic():
        Annotation.objects.bulk_create(
            (
                Annotation(project=project, item_id=i, annotator=annotator,
                           answer={"topic": labels[i % 3]},
                           guideline_version=project.guideline_version, lead_time=3.0,
                           created_at=now, updated_at=now)
                for i in ids
            ),
            batch_size=5000,
        )  # fmt: skip
        Item.objects.filter(project=project).update(done_count=1, available=False)
        Prediction.objects.bulk_create(
            (
                Prediction(item_id=i, model_version="bench",
                           answer={"topic": labels[i % 3] if rng.random() < 0.8
                                   else labels[(i + 1) % 3]})
                for i in ids
            ),
            batch_size=5000,
        )  # fmt: skip


def _prepared(root: Path, n: int, seed: int):
    """(owner, project) of a set-up kept in `root` by an earlier --data run, else None."""
    import json

    marker = root / f"ready-{n}-{seed}.json"
    if not marker.exists():
        return None
    from django.contrib.auth import get_user_model

    from trainerdesk.workbench.models import Project

    User = get_user_model()  # noqa: N806

    ids = json.loads(marker.read_text())
    return User.objects.get(pk=ids["owner"]), Project.objects.get(pk=ids["project"])


def _set_up(root: Path, n: int, seed: int):
    import json

    source = root / "items.jsonl"
    write_items(source, n, seed)
    owner, org, project = c.create_owner_and_project()
    imported = c.import_file(project=project, path=source)
    if imported.added != n:
        raise SystemExit(f"set-up import added {imported.added} of {n} items")
    annotator, _ = c.add_annotator(org=org, project=project, owner=owner)
    seed_labels(project=project, annotator=annotator, seed=seed)
    source.unlink()
    marker = root / f"ready-{n}-{seed}.json"
    marker.write_text(json.dumps({"owner": owner.pk, "project": project.pk}))
    return owner, project


@contextmanager
def _kept(path: Path):
    """--data: a directory kept between runs, so the 1M set-up (minutes) is paid once."""
    import os

    data = path / "data"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["TRAINERDESK_DATA_DIR"] = str(data)
    os.environ["DJANGO_SETTINGS_MODULE"] = "trainerdesk.settings"
    os.environ.setdefault("TRAINERDESK_LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)
    yield path


def main() -> dict:
    p = c.parser(__doc__.splitlines()[0], default_n=1_000_000)
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="keep the set-up in this directory and reuse it on the next run",
    )
    p.add_argument(
        "--profile",
        type=int,
        default=0,
        help="print the N most expensive functions of the timed call (cProfile)",
    )
    p.add_argument("--setup-only", action="store_true")
    args = p.parse_args()  # fmt: skip
    place = _kept(args.data) if args.data else c.workspace(args, "bench-evaluation")
    with place as root:
        c.django_setup()
        t0 = time.perf_counter()
        ready = _prepared(root, args.n, args.seed) if args.data else None
        owner, project = ready or _set_up(root, args.n, args.seed)
        setup_s = time.perf_counter() - t0
        if args.setup_only:
            print(f"set up {args.n:,} items in {setup_s:.0f} s", file=sys.stderr)
            return {}

        from django.db import transaction

        from trainerdesk.evaluation import services
        from trainerdesk.evaluation.services import runs

        version = services.version_for(project=project, model_version="bench", by=owner)
        # The worker's part is timed on its own: the enqueue is left to on_commit.
        with transaction.atomic():
            run = services.start_evaluation(
                version=version, scope="all", slices=["group"], resamples=args.resamples,
                by=owner,
            )  # fmt: skip
        compute = {}
        real = runs.compute_slices

        def timed_slices(*a, **k):
            t0 = time.perf_counter()
            out = real(*a, **k)
            compute["slices_s"] = time.perf_counter() - t0
            return out

        runs.compute_slices = timed_slices
        load = os.getloadavg()[0]
        profiler = cProfile.Profile() if args.profile else None
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        run = services.run_evaluation(run_id=run.pk)
        total = time.perf_counter() - t0
        if profiler:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(
                args.profile
            )
        database = c.database_label()
    if run.status != "done":
        raise SystemExit(f"run failed: {run.message}")
    out = {
        "bench": "evaluation",
        "n": args.n,
        "slices": len(run.slices),
        "resamples": args.resamples,
        "database": database,
        "total_s": round(total, 2),
        "slices_s": round(compute["slices_s"], 2),
        "load_1min": round(load, 2),
        "accuracy": run.metrics["accuracy"],
        "items_sha256": run.items_digest,
        "machine": c.machine(),
    }
    c.report(
        out,
        f"evaluate {args.n:,} stored predictions, {len(run.slices)} slices, "
        f"{args.resamples} resamples: {total:.2f} s total ({compute['slices_s']:.2f} s slices)"
        f", load {load:.2f}",
    )
    return out


if __name__ == "__main__":
    main()
