"""Governance documents (issue 13): generating the datasheet of a dataset version of N
labelled items (trainerdesk.governance.services.generate_document: the facts read from
the database — the manifest's finals, annotation, guideline and review counts over the
version's items —, the pure builder, the content hash and the WeasyPrint PDF), and the
same call again (unchanged: facts and hash only, nothing stored).

Data: bench_agreement_service's populate (single-choice, 5 labels, R imported annotations
per item, seeded) and one version built (neither timed).

    .venv/bin/python bench/bench_documents.py --n 50000
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
from bench_agreement_service import LABELS, populate  # noqa: E402


def main() -> None:
    p = c.parser(__doc__.split("\n\n")[0], default_n=50_000)
    p.add_argument("--raters", type=int, default=1)
    args = p.parse_args()
    with c.workspace(args, "documents"):
        c.django_setup()
        from trainerdesk.governance import services
        from trainerdesk.governance.models import DatasetVersion

        owner, _org, project = c.create_owner_and_project(name="Bench documents")
        project.label_schema = {
            "fields": [{"name": "topic", "type": "choice", "source": "text",
                        "labels": [{"value": v} for v in LABELS]}]
        }  # fmt: skip
        project.save(update_fields=["label_schema"])
        populate(project, args.n, args.raters, args.seed)
        v = DatasetVersion.objects.create(project=project, name="v1", created_by=owner)
        v = services.build_version(version_id=v.pk)
        assert v.status == "done", v.message

        def generate():
            load = os.getloadavg()
            started = time.perf_counter()
            out = services.generate_document(
                project=project, kind="datasheet", subject_ids=[v.pk], by=owner
            )
            return out, time.perf_counter() - started, load

        first, first_s, load = generate()
        again, again_s, _ = generate()
        assert first.created and not again.created
        result = {
            "bench": "documents",
            "database": c.database_label(),
            "items": v.record_count,
            "datasheet_s": round(first_s, 2),
            "unchanged_s": round(again_s, 2),
            "pdf_bytes": len(first.document.pdf),
            "load_at_start": [round(x, 2) for x in load],
            "machine": c.machine(),
        }
        c.report(
            result,
            f"{v.record_count:,} items: datasheet {first_s:.1f} s (with PDF), "
            f"unchanged regeneration {again_s:.1f} s",
        )


if __name__ == "__main__":
    main()
