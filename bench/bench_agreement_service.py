"""The agreement report's worker run over a project of N items x R annotators
(trainerdesk.quality.services.compute_agreement_report): reading the non-skipped
annotations by pages, coding them, computing every figure, and writing the report and
its per-item scores.

Data: a single-choice project (5 labels); each item gets R imported annotations, ~5 %
left out at random, answers drawn around a per-item "true" label (70 % agree), seeded.
Rows are bulk-inserted first (not timed; annotations as plain rows). Target (issue 4):
250,000 items x 4 annotators.

    .venv/bin/python bench/bench_agreement_service.py --n 250000
    .venv/bin/python bench/bench_agreement_service.py --n 250000 --database-url postgres://...
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

LABELS = ["a", "b", "c", "d", "e"]


def populate(project, n: int, raters: int, seed: int) -> int:
    """Items by bulk_create, annotations by one executemany per batch of plain rows:
    building and saving ~950,000 Annotation instances through bulk_create took 27-32
    minutes on a loaded machine (docs/benchmarks.md); only the report is measured."""
    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from trainerdesk.workbench.models import Annotation, Item

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(LABELS), size=n)
    field = Annotation._meta.get_field
    now = field("created_at").get_db_prep_value(timezone.now(), connection)
    answers = [field("answer").get_db_prep_value({"topic": v}, connection) for v in LABELS]
    columns = (
        "project_id, item_id, imported_annotator, answer, skipped, skip_reason, "
        "guideline_version, origin, created_at, updated_at"
    )
    sql = f"INSERT INTO {Annotation._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * 10)})"
    total = 0
    batch = 5000
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        with transaction.atomic():
            items = Item.objects.bulk_create(
                [
                    Item(
                        project=project,
                        data={"text": f"item {i}"},
                        content_hash=f"{i:032x}",
                        done_count=raters,
                    )  # fmt: skip
                    for i in range(start, stop)
                ]
            )
            rows = []
            for item, t in zip(items, truth[start:stop], strict=True):
                for r in range(raters):
                    if rng.random() < 0.05:
                        continue
                    label = t if rng.random() < 0.7 else rng.integers(0, len(LABELS))
                    rows.append(
                        (project.pk, item.pk, f"r{r}", answers[label], False, "", 1,
                         "import", now, now)
                    )  # fmt: skip
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
            total += len(rows)
    return total


def setup_project(args):
    """The populated project: made and filled now, or found in --data-dir from an earlier
    run (populating a million rows takes minutes; the report is what is measured)."""
    from django.db import connection

    from trainerdesk.workbench.models import Annotation, Project

    project = Project.objects.filter(name="Bench agreement").order_by("-id").first()
    if project is not None and args.data_dir:
        owner = project.created_by
        return owner, project, Annotation.objects.filter(project=project).count(), None
    owner, _org, project = c.create_owner_and_project(name="Bench agreement")
    project.label_schema = {
        "fields": [
            {
                "name": "topic",
                "type": "choice",
                "source": "text",
                "labels": [{"value": v} for v in LABELS],
            }
        ]  # fmt: skip
    }
    project.save(update_fields=["label_schema"])
    started = time.perf_counter()
    annotations = populate(project, args.n, args.raters, args.seed)
    populate_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # Fresh bulk inserts have no planner statistics until autovacuum's ANALYZE;
        # without them PostgreSQL may sort the whole table for every keyset page.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return owner, project, annotations, populate_s


def main() -> None:
    p = c.parser(__doc__.split("\n\n")[0], default_n=250_000)
    p.add_argument("--raters", type=int, default=4)
    p.add_argument("--runs", type=int, default=1, help="report runs on the same data")
    p.add_argument(
        "--data-dir",
        default=None,
        help="keep the data here and reuse a project an earlier run populated (with "
        "--database-url the rows stay in that database)",
    )
    args = p.parse_args()
    with c.workspace(args, "agreement-service"):
        if args.data_dir:
            os.environ["TRAINERDESK_DATA_DIR"] = args.data_dir
        c.django_setup()
        from trainerdesk.quality import report as quality_report
        from trainerdesk.quality import services as quality
        from trainerdesk.quality.models import AgreementReport

        owner, project, annotations, populate_s = setup_project(args)
        # The pure computation on the same data, timed inside the same run: the builder's
        # finish() (every figure from the coded arrays, no database).
        pure: list[float] = []
        finish = quality_report.ReportBuilder.finish

        def timed_finish(self):
            t0 = time.perf_counter()
            out = finish(self)
            pure.append(time.perf_counter() - t0)
            return out

        quality_report.ReportBuilder.finish = timed_finish
        runs = []
        for _ in range(args.runs):
            rep = AgreementReport.objects.create(project=project, created_by=owner)
            load = os.getloadavg()
            started = time.perf_counter()
            rep = quality.compute_agreement_report(report_id=rep.pk)
            seconds = time.perf_counter() - started
            assert rep.status == "done", rep.message
            runs.append(
                {
                    "report_s": round(seconds, 2),
                    "pure_finish_s": round(pure[-1], 3),
                    "ratio": round(seconds / pure[-1], 1),
                    "load_avg_1m": load[0],
                }
            )
        topic = rep.results["fields"]["topic"]
        best = min(runs, key=lambda r: r["ratio"])
        result = {
            "bench": "agreement_service",
            "n": args.n,
            "raters": args.raters,
            "annotations": annotations,
            "database": c.database_label(),
            "populate_s": round(populate_s, 2) if populate_s is not None else None,
            "runs": runs,
            "digest": rep.digest,
            "alpha": topic["alpha"]["value"],
            "items_scored": rep.items.count(),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "machine": c.machine(),
        }
        c.report(
            result,
            f"agreement report over {annotations:,} annotations on {result['database']}: "
            + "; ".join(
                f"{r['report_s']:.2f} s vs pure figures {r['pure_finish_s']:.2f} s = "
                f"{r['ratio']:.1f}x (load {r['load_avg_1m']:.2f})"
                for r in runs
            )
            + f"; best {best['ratio']:.1f}x; alpha {topic['alpha']['value']:.4f}",
        )


if __name__ == "__main__":
    main()
