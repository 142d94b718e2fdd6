"""Evaluate stored classification predictions: metrics, 20 slices, 1,000 bootstrap
resamples of the headline numbers (issue 12).

Set-up: N items (text + a `group` data key with 18 values; with the length buckets that
is about 20 slices), one annotation on each (bulk-inserted: the final label), and one
stored prediction per item from version "bench" (right on ~80%). Timed: the worker's
`run_evaluation` from reading the stored rows to the saved run ("total"), and within it
the computation alone on the rows already read ("compute": metrics, slices, bootstrap).
Target: N = 1,000,000 in <= 5 s on SQLite.

    .venv/bin/python bench/bench_evaluation.py --n 1000000
"""

from __future__ import annotations

import random
import sys
import time
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


def main() -> dict:
    p = c.parser(__doc__.splitlines()[0], default_n=1_000_000)
    p.add_argument("--resamples", type=int, default=1000)
    args = p.parse_args()
    with c.workspace(args, "bench-evaluation") as root:
        source = root / "items.jsonl"
        write_items(source, args.n, args.seed)
        c.django_setup()
        owner, org, project = c.create_owner_and_project()
        imported = c.import_file(project=project, path=source)
        if imported.added != args.n:
            raise SystemExit(f"set-up import added {imported.added} of {args.n} items")
        annotator, _ = c.add_annotator(org=org, project=project, owner=owner)
        seed_labels(project=project, annotator=annotator, seed=args.seed)

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
        t0 = time.perf_counter()
        run = services.run_evaluation(run_id=run.pk)
        total = time.perf_counter() - t0
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
        "accuracy": run.metrics["accuracy"],
        "machine": c.machine(),
    }
    c.report(
        out,
        f"evaluate {args.n:,} stored predictions, {len(run.slices)} slices, "
        f"{args.resamples} resamples: {total:.2f} s total ({compute['slices_s']:.2f} s slices)",
    )
    return out


if __name__ == "__main__":
    main()
