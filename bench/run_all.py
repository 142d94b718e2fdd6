"""Run every benchmark at the sizes the targets name and print the markdown table rows.

    .venv/bin/python bench/run_all.py            # full sizes: 100k and 1M items (slow)
    .venv/bin/python bench/run_all.py --quick    # small sizes, to check the scripts work

Each script runs in its own process, one after another (never two at once: they would
measure each other). Raw JSON results go to bench/out/results-<timestamp>.json; the rows
on stdout paste into docs/benchmarks.md. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as c  # noqa: E402

FULL = {
    "import": [100_000, 1_000_000],
    "queue": [100_000, 1_000_000],
    "queue_calls": 2000,
    "export": 100_000,
    "server_runs": 3,
}
QUICK = {
    "import": [10_000, 50_000],
    "queue": [5_000, 20_000],
    "queue_calls": 200,
    "export": 5_000,
    "server_runs": 2,
}


def run(script: str, *args: str, timeout: float) -> dict:
    cmd = [sys.executable, str(HERE / script), *args]
    print(f"$ {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(done.stdout)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{script} failed with exit code {done.returncode}")
    print(f"  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"{script} printed no JSON result")


def verdict(value: float, target: float, unit: str) -> str:
    """'met' or 'missed', with the margin in the unit and as a factor of the target."""
    if value <= target:
        factor = target / value if value else float("inf")
        return f"met ({target - value:.3g} {unit} under; {factor:.1f}x headroom)"
    return f"**missed** by {value - target:.3g} {unit} ({value / target:.1f}x the target)"


def row(what: str, ls: str, target: str, measured: str, met: str, limit: str = "") -> str:
    return f"| {what} | {ls} | {target} | {measured} | {met} | {limit} |"


HEADER = [
    "| what | Label Studio 1.23 | target | measured | met? | what limits it |",
    "|---|---|---|---|---|---|",
]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (minutes, not an hour)")
    p.add_argument(
        "--only",
        default="import,queue,export,server",
        help="comma-separated subset of import,queue,export,server",
    )
    p.add_argument("--database-url", default=None, help="passed on to every script")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per script run")
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    tag = " (quick run)" if args.quick else ""
    only = {part.strip() for part in args.only.split(",")}
    extra = ["--database-url", args.database_url] if args.database_url else []
    results: dict[str, list[dict]] = {"import": [], "queue": [], "export": [], "server": []}
    rows: list[str] = []

    if "import" in only:
        for n in sizes["import"]:
            r = run("bench_import.py", f"--n={n}", *extra, timeout=args.timeout)
            results["import"].append(r)
            if n == 1_000_000:
                target, note = 20.0, ""
            elif n == 100_000:
                target, note = 1.5, ""
            else:  # quick sizes: the 100k rate, scaled to n
                target, note = round(1.5 * n / 100_000, 3), " (1.5 s per 100k, scaled)"
            rows.append(
                row(
                    f"import {n:,} short text items{tag}",
                    "11.5–13.2 s for 100k (≈8k items/s)",
                    f"≤ {target:g} s{note}",
                    f"{r['import_s']:.2f} s ({r['items_per_s']:,} items/s); "
                    f"re-import (all duplicates) {r['reimport_s']:.2f} s",
                    verdict(r["import_s"], target, "s"),
                    "per-row parse/validate/hash in Python; "
                    "SQLite insert into the table and 3 indexes",
                )
            )
    if "queue" in only:
        for n in sizes["queue"]:
            r = run(
                "bench_queue.py",
                f"--n={n}",
                f"--calls={sizes['queue_calls']}",
                "--clients=1,4",
                *extra,
                timeout=args.timeout,
            )
            results["queue"].append(r)
            floor = r.get("floor_get_schema")
            if floor:
                rows.append(
                    row(
                        f"floor: GET schema at {n:,} items, 1 client{tag}",
                        "—",
                        "— (reported)",
                        f"p50 {floor['p50_ms']} ms, p95 {floor['p95_ms']} ms "
                        f"({floor['calls']:,} calls)",
                        "—",
                        "what every API call pays: HTTP, token lookup, access check (2 queries)",
                    )
                )
            for phase in r["phases"]:
                nx, sb = phase["next"], phase["submit"]
                who = f"{phase['clients']} client" + ("s" if phase["clients"] > 1 else "")
                rows.append(
                    row(
                        f"next item p95 at {n:,} items, {who}{tag}",
                        "132–168 ms",
                        "≤ 10 ms",
                        f"p95 {nx['p95_ms']} ms (p50 {nx['p50_ms']}, p99 {nx['p99_ms']}, "
                        f"max {nx['max_ms']}; {nx['calls']:,} calls)",
                        verdict(nx["p95_ms"], 10.0, "ms"),
                        "token, access check, lease read, open-item lookup, "
                        "lease insert, counter update"
                        + ("; one SQLite writer at a time" if phase["clients"] > 1 else ""),
                    )
                )
                rows.append(
                    row(
                        f"submit median at {n:,} items, {who}{tag}",
                        "72–80 ms",
                        "≤ 10 ms",
                        f"p50 {sb['p50_ms']} ms (p95 {sb['p95_ms']}, p99 {sb['p99_ms']}, "
                        f"max {sb['max_ms']}; {sb['calls']:,} calls)",
                        verdict(sb["p50_ms"], 10.0, "ms"),
                        "access checks + answer validation + one write transaction"
                        + ("; one SQLite writer at a time" if phase["clients"] > 1 else ""),
                    )
                )
    if "export" in only:
        n = sizes["export"]
        r = run(
            "bench_export.py",
            f"--n={n}",
            "--formats=jsonl,labelstudio",
            *extra,
            timeout=args.timeout,
        )
        results["export"].append(r)
        for e in r["exports"]:
            rows.append(
                row(
                    f"export {n:,} items ({r['annotations']:,} annotated) as {e['format']}{tag}",
                    "83 s, ~700 MB peak RSS",
                    "≤ 3 s, peak RSS ≤ 200 MB",
                    f"{e['seconds']:.2f} s, {e['mb']} MB; worker peak RSS "
                    f"{e['worker_peak_rss_mb']} MB",
                    f"time {verdict(e['seconds'], 3.0, 's')}; "
                    f"RSS {verdict(e['worker_peak_rss_mb'], 200.0, 'MB')}",
                    "one thread: keyset pages of 2,000, majority vote, orjson",
                )
            )
    if "server" in only:
        r = run("bench_server.py", f"--runs={sizes['server_runs']}", *extra, timeout=args.timeout)
        results["server"].append(r)
        idle = r["idle"]
        per = ", ".join(f"{p['role']} {p['rss_mb']}" for p in idle["processes"])
        rows.append(
            row(
                f"server idle RSS (whole process tree){tag}",
                "325 MB",
                "≤ 150 MB",
                f"{idle['total_rss_mb']} MB RSS ({idle['total_pss_mb']} MB PSS): {per}",
                verdict(idle["total_rss_mb"], 150.0, "MB"),
                "5 Python processes, each with Django + ninja + pydantic loaded",
            )
        )
        fresh = r["fresh_start"]
        worst = max(f["first_page_s"] for f in fresh)
        rows.append(
            row(
                f"fresh start to first page{tag}",
                "20–39 s",
                "≤ 5 s",
                ", ".join(f"{f['first_page_s']} s" for f in fresh)
                + f" ({len(fresh)} runs; port open at "
                + ", ".join(f"{f['port_open_s']} s" for f in fresh)
                + ")",
                verdict(worst, 5.0, "s") + " (worst run)",
                "Django import + migrate, then gunicorn workers import the app",
            )
        )

    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    raw = out_dir / f"results-{stamp}.json"
    raw.write_text(
        json.dumps({"machine": c.machine(), "quick": args.quick, "results": results}, indent=2)
    )
    print(f"raw results: {raw}", file=sys.stderr)
    print("\n".join(HEADER + rows))


if __name__ == "__main__":
    main()
