"""Active-learning re-order of the annotation queue through the worker job (issue 12),
and the next-item latency after it.

Set-up: N unlabelled items, a model version with a probability vector on each (seeded
Dirichlet draws, stored as PredictedProbabilities), the project's setting least
confidence with a 10% random share. Timed: `run_reorder` from reading the stored vectors
to the ranks written and the run saved ("total"); then 200 next-item calls of an
annotator who answers each (p50/p95 of next_item alone). Targets: N = 100,000 re-ordered
in <= 5 s; next-item p95 <= 10 ms.

    .venv/bin/python bench/bench_reorder.py --n 100000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


def seed_vectors(*, project, owner, seed: int):
    import numpy as np
    from django.db import transaction

    from trainerdesk.evaluation import services
    from trainerdesk.evaluation.models import PredictedProbabilities
    from trainerdesk.workbench.models import Item

    version = services.create_model_version(
        project=project, model_name="bench", name="bench-1", notes="", by=owner
    )
    ids = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    rng = np.random.default_rng(seed)
    vectors = rng.dirichlet(np.ones(len(c.LABELS)), size=len(ids))
    field = project.schema.fields[0].name
    with transaction.atomic():
        PredictedProbabilities.objects.bulk_create(
            (
                PredictedProbabilities(
                    version=version,
                    item_id=pk,
                    field_name=field,
                    probabilities=[float(x) for x in row],
                )
                for pk, row in zip(ids, vectors, strict=True)
            ),
            batch_size=5000,
        )
    return version


def main() -> dict:
    p = c.parser(__doc__.splitlines()[0], default_n=100_000)
    p.add_argument("--calls", type=int, default=200)
    args = p.parse_args()
    with c.workspace(args, "bench-reorder") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        owner, org, project = c.create_owner_and_project()
        imported = c.import_file(project=project, path=source)
        if imported.added != args.n:
            raise SystemExit(f"set-up import added {imported.added} of {args.n} items")
        annotator, _ = c.add_annotator(org=org, project=project, owner=owner)
        version = seed_vectors(project=project, owner=owner, seed=args.seed)

        from django.db import transaction

        from trainerdesk.evaluation.services import active_queue
        from trainerdesk.workbench import services as workbench

        active_queue.update_settings(
            project=project,
            strategy="least_confidence",
            random_share=0.1,
            version=version,
            seed=1,
            by=owner,
        )
        # The worker's part is timed on its own: the enqueue is left to on_commit.
        with transaction.atomic():
            run = active_queue.start_reorder(project=project, by=owner)
        t0 = time.perf_counter()
        run = active_queue.run_reorder(run_id=run.pk)
        total = time.perf_counter() - t0
        if run.status != "done":
            raise SystemExit(f"re-order failed: {run.message}")
        result, _kept = active_queue.compute_order(run)
        times, served = [], []
        label = c.LABELS[0]
        field = project.schema.fields[0].name
        for _ in range(args.calls):
            t1 = time.perf_counter()
            item = workbench.next_item(project=project, user=annotator)
            times.append(time.perf_counter() - t1)
            served.append(item.pk)
            workbench.submit_annotation(
                project=project, item=item, user=annotator, answer={field: label}
            )
        database = c.database_label()
    if served != result.item_ids[: args.calls]:
        raise SystemExit("the queue did not serve the re-ordered items in order")
    latency = c.latency_summary(times)
    out = {
        "bench": "reorder",
        "n": args.n,
        "items_ordered": run.items_ordered,
        "random_items": run.random_items,
        "database": database,
        "total_s": round(total, 2),
        "next_item": latency,
        "machine": c.machine(),
    }
    c.report(
        out,
        f"re-order {run.items_ordered:,} items (least confidence, 10% random): {total:.2f} s; "
        f"next item after it: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms "
        f"({args.calls} calls, served in the new order)",
    )
    return out


if __name__ == "__main__":
    main()
