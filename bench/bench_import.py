"""Import N short text items from a JSONL file through services.import_stream.

Times the whole import as the background worker runs it (parse, validate against the
schema, hash, insert, commit per batch), then the same file again, where every row is a
duplicate. Target: 100,000 items in <= 1.5 s, 1,000,000 in <= 20 s (Label Studio 1.23:
11.5-13.2 s for 100k).

    .venv/bin/python bench/bench_import.py --n 100000
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark importing N JSONL items.", default_n=100_000)
    p.add_argument(
        "--no-reimport", action="store_true", help="skip the second (all duplicates) import"
    )
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("--n must be at least 1")
    with c.workspace(args, "bench-import") as root:
        source = root / "items.jsonl"
        t0 = time.perf_counter()
        size = c.write_items(source, args.n, seed=args.seed)
        generate_s = time.perf_counter() - t0
        c.django_setup()
        from django.conf import settings

        from trainerdesk.workbench.models import Item

        _, _, project = c.create_owner_and_project()

        # A collection mid-import would be charged to the import; take it now.
        gc.collect()
        t0 = time.perf_counter()
        first = c.import_file(project=project, path=source)
        import_s = time.perf_counter() - t0
        stored = Item.objects.filter(project=project).count()
        if first.added != args.n or stored != args.n or first.errors:
            raise SystemExit(
                f"import stored {stored} of {args.n} items (added={first.added}, "
                f"duplicates={first.duplicates}, errors={first.errors[:3]})"
            )

        reimport_s = None
        if not args.no_reimport:
            gc.collect()
            t0 = time.perf_counter()
            second = c.import_file(project=project, path=source)
            reimport_s = time.perf_counter() - t0
            if second.added or second.duplicates != args.n:
                raise SystemExit(
                    f"re-import added {second.added}, duplicates {second.duplicates} of {args.n}"
                )
        database = c.database_label()
        batch = settings.IMPORT_BATCH_SIZE
        c.close_db()

    result = {
        "bench": "import",
        "n": args.n,
        "database": database,
        "file_mb": round(size / 1048576, 1),
        "generate_s": round(generate_s, 3),
        "import_s": round(import_s, 3),
        "items_per_s": round(args.n / import_s),
        "reimport_s": None if reimport_s is None else round(reimport_s, 3),
        "reimport_rows_per_s": None if reimport_s is None else round(args.n / reimport_s),
        "batch_size": batch,
    }
    human = (
        f"import {args.n:,} items: {import_s:.2f} s ({result['items_per_s']:,} items/s)"
        + (f"; re-import (all duplicates) {reimport_s:.2f} s" if reimport_s is not None else "")
        + f" [{database}, batch {batch}]"
    )
    c.report(result, human)
    return result


if __name__ == "__main__":
    main()
