"""Dataset versions (issue 13): building a version of N labelled items in the worker
(trainerdesk.governance.services.build_version: read items, annotations and reviews by
keyset pages, final answers, record hashes, manifest rows, version id) and diffing two
versions of N items (services.diff_versions: merge-join of the two manifests read by
pages, transitions, κ and α).

Data: bench_agreement_service's populate (single-choice, 5 labels, R imported
annotations per item, seeded; not timed). Between the two versions 5 % of the items get a
new answer (one UPDATE, not timed). Targets: a version of 1,000,000 items <= 20 s with
memory bounded; a diff of two 1M versions <= 10 s. Peak RSS is reported as measured
(ru_maxrss of the process, which also holds Django and the populate step).

    .venv/bin/python bench/bench_dataset_versions.py --n 1000000 --raters 1
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from bench_agreement_service import LABELS, populate  # noqa: E402


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    p = c.parser(__doc__.split("\n\n")[0], default_n=1_000_000)
    p.add_argument("--raters", type=int, default=1)
    args = p.parse_args()
    with c.workspace(args, "dataset-versions"):
        c.django_setup()
        from django.db import connection

        from trainerdesk.governance import services
        from trainerdesk.governance.models import DatasetVersion
        from trainerdesk.workbench.models import Annotation

        owner, _org, project = c.create_owner_and_project(name="Bench versions")
        project.label_schema = {
            "fields": [{"name": "topic", "type": "choice", "source": "text",
                        "labels": [{"value": v} for v in LABELS]}]
        }  # fmt: skip
        project.save(update_fields=["label_schema"])
        t0 = time.perf_counter()
        annotations = populate(project, args.n, args.raters, args.seed)
        populate_s = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        rss_before = rss_mb()

        def build(name: str) -> tuple[DatasetVersion, float, tuple]:
            v = DatasetVersion.objects.create(project=project, name=name, created_by=owner)
            load = os.getloadavg()
            started = time.perf_counter()
            v = services.build_version(version_id=v.pk)
            seconds = time.perf_counter() - started
            assert v.status == "done", v.message
            return v, seconds, load

        v1, build1_s, load1 = build("v1")
        rss_after_build = rss_mb()
        answer = Annotation._meta.get_field("answer").get_db_prep_value({"topic": "a"}, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Annotation._meta.db_table} SET answer = %s WHERE project_id = %s "
                "AND item_id % 20 = 0",
                [answer, project.pk],
            )
        v2, build2_s, _ = build("v2")
        load = os.getloadavg()
        started = time.perf_counter()
        diff = services.diff_versions(old=v1, new=v2)
        diff_s = time.perf_counter() - started
        rss_after_diff = rss_mb()
        result = {
            "bench": "dataset_versions",
            "database": c.database_label(),
            "items": v1.record_count,
            "annotations": annotations,
            "populate_s": round(populate_s, 1),
            "build_s": round(build1_s, 2),
            "build2_s": round(build2_s, 2),
            "diff_s": round(diff_s, 2),
            "relabelled": len(diff.relabelled),
            "changed_otherwise": len(diff.changed),
            "unchanged": diff.unchanged,
            "kappa": diff.fields[0].kappa.value if diff.fields else None,
            "rss_mb_before_build": rss_before,
            "rss_mb_after_build": rss_after_build,
            "rss_mb_after_diff": rss_after_diff,
            "load_at_build": [round(x, 2) for x in load1],
            "load_at_diff": [round(x, 2) for x in load],
            "machine": c.machine(),
        }
        c.report(
            result,
            f"{v1.record_count:,} items: build {build1_s:.1f} s (then {build2_s:.1f} s), "
            f"diff {diff_s:.1f} s ({len(diff.relabelled):,} relabelled), peak RSS "
            f"{rss_after_diff} MB (before build {rss_before} MB)",
        )


if __name__ == "__main__":
    main()
