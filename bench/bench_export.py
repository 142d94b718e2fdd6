"""Download a whole project's export through the real HTTP server and watch its memory.

Set-up: N items, one annotation on every other item (bulk-inserted, which is fine for a
fixture). Then, for each format in --formats, a fresh server is started (so one
download's peak memory cannot hide another's) and
GET /api/v1/projects/<id>/export?format=<fmt>&include_annotations=true is read to the end
in 64 KiB chunks and thrown away. A sampler polls the web worker processes every 20 ms;
VmHWM, the kernel's own peak-RSS mark per process, is read at the end.
Target: all 100k items in <= 3 s with the serving process's peak RSS <= 200 MB
(Label Studio 1.23: 83 s, ~700 MB peak RSS).

    .venv/bin/python bench/bench_export.py --n 100000 --formats jsonl,labelstudio
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

CHUNK = 64 * 1024


def annotate_half(*, project, annotator) -> int:
    """One annotation on every other item, with the queue counters to match."""
    from django.db import transaction
    from django.utils import timezone

    from trainerdesk.workbench.models import Annotation, Item

    now = timezone.now()
    ids = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    chosen = ids[::2]
    labels = c.LABELS
    with transaction.atomic():
        Annotation.objects.bulk_create(
            (
                Annotation(
                    project=project,
                    item_id=item_id,
                    annotator=annotator,
                    answer={"topic": labels[item_id % len(labels)]},
                    guideline_version=project.guideline_version,
                    lead_time=3.5,
                    created_at=now,
                    updated_at=now,
                )
                for item_id in chosen
            ),
            batch_size=2000,
        )
        Item.objects.filter(project=project, annotations__isnull=False).update(
            done_count=1, available=False
        )
    return len(chosen)


class Sampler(threading.Thread):
    """Polls VmRSS of the web workers (and the whole server tree) until stopped."""

    def __init__(self, server, interval: float = 0.02):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_worker_kb = 0
        self.peak_tree_kb = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                workers = self.server.web_workers()
                tree = self.server.tree()
            except (RuntimeError, AssertionError):
                return
            worker_rss = [c.memory_kb(pid).get("VmRSS", 0) for pid in workers]
            if worker_rss:
                self.peak_worker_kb = max(self.peak_worker_kb, max(worker_rss))
            self.peak_tree_kb = max(
                self.peak_tree_kb, sum(c.memory_kb(pid).get("VmRSS", 0) for pid in tree)
            )
            self.stop_event.wait(self.interval)


def download(*, port: int, path: str, token: str, timeout: float) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status}: {response.read(500)!r}")
        first = None
        size = newlines = 0
        head = tail = b""
        while chunk := response.read(CHUNK):
            if first is None:
                first = time.perf_counter() - t0
                head = chunk[:1]
            size += len(chunk)
            newlines += chunk.count(b"\n")
            tail = chunk[-2:]
        total = time.perf_counter() - t0
    finally:
        conn.close()
    return {
        "seconds": total,
        "first_byte_s": first,
        "bytes": size,
        "newlines": newlines,
        "head": head,
        "tail": tail,
    }


def export_once(*, fmt: str, project_id: int, token: str, n: int, args, root: Path) -> dict:
    server = c.Server(
        mode=args.server,
        workers=args.workers,
        threads=args.threads,
        log_path=root / f"server-{fmt}.log",
    )
    try:
        server.start()
        server.wait_ready()
        # A few small API calls first, so the download is not charged with a cold
        # worker's first-request imports.
        for _ in range(4):
            warm = download(
                port=server.port, path=f"/api/v1/projects/{project_id}", token=token, timeout=30
            )
            del warm
        workers = server.web_workers()
        before = {pid: c.memory_kb(pid) for pid in workers}
        sampler = Sampler(server)
        sampler.start()
        path = f"/api/v1/projects/{project_id}/export?format={fmt}&include_annotations=true"
        got = download(port=server.port, path=path, token=token, timeout=args.timeout)
        sampler.stop_event.set()
        sampler.join(timeout=5)
        after = {pid: c.memory_kb(pid) for pid in server.web_workers()}
    finally:
        server.stop()

    # One item per line: JSONL "...\n", the Label Studio array "},\n", CSV after a header
    # (the generated texts hold no newlines).
    if got["newlines"] != n + (fmt == "csv"):
        raise SystemExit(f"{fmt} export has {got['newlines']} lines for {n} items")
    if fmt == "labelstudio" and (got["head"] != b"[" or got["tail"] != b"]\n"):
        raise SystemExit(
            f"labelstudio export is not a JSON array: {got['head']!r}...{got['tail']!r}"
        )
    peak_hwm = max((m.get("VmHWM", 0) for m in after.values()), default=0)
    baseline = max((m.get("VmRSS", 0) for m in before.values()), default=0)
    return {
        "format": fmt,
        "seconds": round(got["seconds"], 3),
        "first_byte_ms": round((got["first_byte_s"] or 0) * 1000, 1),
        "items_per_s": round(n / got["seconds"]),
        "mb": round(got["bytes"] / 1048576, 1),
        "mb_per_s": round(got["bytes"] / 1048576 / got["seconds"], 1),
        # The serving worker's peak: the kernel's VmHWM, and our 20 ms samples as a check.
        "worker_peak_rss_mb": c.mb(max(peak_hwm, sampler.peak_worker_kb)),
        "worker_rss_before_mb": c.mb(baseline),
        "server_tree_peak_rss_mb": c.mb(sampler.peak_tree_kb),
    }


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark exporting a whole project over HTTP.", default_n=100_000)
    p.add_argument(
        "--formats",
        default="jsonl,labelstudio",
        help="comma-separated export formats, one fresh server each (default %(default)s)",
    )
    p.add_argument("--timeout", type=float, default=900, help="seconds a download may take")
    c.server_parser_options(p)
    args = p.parse_args(argv)
    fmts = [f.strip() for f in args.formats.split(",") if f.strip()]
    from trainerdesk.workbench.formats import EXPORT_FORMATS

    bad = [f for f in fmts if f not in EXPORT_FORMATS or f == "conll"]
    if bad or not fmts:
        p.error(f"--formats {args.formats!r}: choose from jsonl, csv, labelstudio")

    with c.workspace(args, "bench-export") as root:
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
        token = c.token_for(owner)
        database = c.database_label()
        c.close_db()
        results = [
            export_once(fmt=f, project_id=project.pk, token=token, n=args.n, args=args, root=root)
            for f in fmts
        ]

    out = {
        "bench": "export",
        "n": args.n,
        "annotations": annotations,
        "database": database,
        "server": f"{args.server} workers={args.workers} threads={args.threads}",
        "exports": results,
    }
    lines = [
        f"export {args.n:,} items ({annotations:,} annotated) as {r['format']}: "
        f"{r['seconds']:.2f} s, {r['mb']} MB ({r['mb_per_s']} MB/s, first byte "
        f"{r['first_byte_ms']} ms); worker peak RSS {r['worker_peak_rss_mb']} MB "
        f"(idle {r['worker_rss_before_mb']} MB), server tree peak {r['server_tree_peak_rss_mb']} MB"
        for r in results
    ]
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
