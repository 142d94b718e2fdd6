"""The annotation loop through the real HTTP server: next item, then submit, over keep-alive
connections with API tokens, the way an annotator's client (or a script) drives it.

For each client count in --clients (default "1,4") a fresh set of annotators runs: each one
does --warmup uncounted rounds, then --calls timed rounds of
GET /api/v1/projects/<id>/next -> POST /api/v1/projects/<id>/annotations.
Reports p50/p95/p99/max for next and submit separately, with the number of calls.
Targets: next p95 <= 10 ms at 100k and at 1M items; submit median <= 10 ms
(Label Studio 1.23: next 132-168 ms p95, submit 72-80 ms median).

    .venv/bin/python bench/bench_queue.py --n 100000 --calls 2000 --clients 1,4
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


class ClientError(RuntimeError):
    pass


def annotate(
    *, port: int, token: str, project_id: int, calls: int, warmup: int, seed: int
) -> tuple[list[float], list[float], int]:
    """One annotator's loop; returns (next seconds, submit seconds, rounds cut short)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    next_path = f"/api/v1/projects/{project_id}/next"
    submit_path = f"/api/v1/projects/{project_id}/annotations"
    labels = c.LABELS
    next_times: list[float] = []
    submit_times: list[float] = []
    perf = time.perf_counter
    try:
        for i in range(warmup + calls):
            t0 = perf()
            conn.request("GET", next_path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            t1 = perf()
            if response.status != 200:
                raise ClientError(f"GET next: HTTP {response.status}: {body[:300]!r}")
            item = orjson.loads(body)["item"]
            if item is None:
                return next_times, submit_times, warmup + calls - i
            payload = orjson.dumps(
                {
                    "item": item["id"],
                    "answer": {"topic": labels[(item["id"] + seed) % len(labels)]},
                    "client_id": str(uuid.uuid4()),
                }
            )
            t2 = perf()
            conn.request("POST", submit_path, body=payload, headers=headers)
            response = conn.getresponse()
            body = response.read()
            t3 = perf()
            if response.status != 201:
                raise ClientError(f"POST annotation: HTTP {response.status}: {body[:300]!r}")
            if i >= warmup:
                next_times.append(t1 - t0)
                submit_times.append(t3 - t2)
    finally:
        conn.close()
    return next_times, submit_times, 0


def floor_latency(*, port: int, token: str, project_id: int, calls: int) -> dict:
    """The cheapest authenticated API call (read the label schema): the framework, token and
    permission cost every queue call pays before any queue work."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/projects/{project_id}/schema"
    times = []
    try:
        for i in range(calls + 20):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise ClientError(f"GET schema: HTTP {response.status}: {body[:300]!r}")
            if i >= 20:
                times.append(time.perf_counter() - t0)
    finally:
        conn.close()
    return c.latency_summary(times)


def make_gold(*, project, owner, count: int, rate: float) -> None:
    """Turn the last `count` items into gold items with a reference, and set the rate.
    One bulk UPDATE instead of services.set_gold per item: this is set-up, not measured,
    and sets the same columns set_gold would (gold items are never `available`)."""
    from trainerdesk.workbench import services
    from trainerdesk.workbench.models import Item

    ids = list(
        Item.objects.filter(project=project).order_by("-id").values_list("id", flat=True)[:count]
    )
    Item.objects.filter(pk__in=ids).update(
        is_gold=True, available=False, reference={"topic": c.LABELS[0]}
    )
    services.update_project(project=project, by=owner, gold_rate=rate)


def run_phase(*, server, project, org, owner, clients: int, args) -> dict:
    tokens = [c.add_annotator(org=org, project=project, owner=owner)[1] for _ in range(clients)]
    c.close_db()
    results: list[tuple[list[float], list[float], int] | BaseException] = [None] * clients  # type: ignore[list-item]

    def work(index: int) -> None:
        try:
            results[index] = annotate(
                port=server.port,
                token=tokens[index],
                project_id=project.pk,
                calls=args.calls,
                warmup=args.warmup,
                seed=index,
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.timeout)
        if thread.is_alive():
            raise SystemExit(f"a client did not finish within {args.timeout} s")
    wall = time.perf_counter() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise SystemExit(f"client failed: {failures[0]}\n--- server log ---\n{server.log_tail()}")
    next_all = [t for r in results for t in r[0]]
    submit_all = [t for r in results for t in r[1]]
    short = sum(r[2] for r in results)
    return {
        "clients": clients,
        "next": c.latency_summary(next_all),
        "submit": c.latency_summary(submit_all),
        # Rounds per second including the warm-up, across all clients.
        "rounds_per_s": round(clients * (args.warmup + args.calls) / wall, 1),
        "ran_out_of_items": short,
    }


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark the next-item / submit loop over HTTP.", default_n=100_000)
    p.add_argument("--calls", type=int, default=2000, help="timed rounds per client")
    p.add_argument("--warmup", type=int, default=50, help="uncounted rounds per client first")
    p.add_argument(
        "--clients",
        default="1,4",
        help="comma-separated concurrent client counts, one phase each (default %(default)s)",
    )
    p.add_argument(
        "--floor-calls",
        type=int,
        default=200,
        help="timed GET /schema calls first, as the per-request floor (0: skip)",
    )
    p.add_argument("--timeout", type=float, default=1800, help="seconds a phase may take")
    p.add_argument(
        "--gold-rate",
        type=float,
        default=0.0,
        help="project gold rate; with > 0, --gold-items items are made gold (default 0)",
    )
    p.add_argument("--gold-items", type=int, default=2000, help="gold items when --gold-rate > 0")
    c.server_parser_options(p)
    args = p.parse_args(argv)
    try:
        phases = [int(part) for part in args.clients.split(",") if part.strip()]
    except ValueError:
        p.error(f"--clients {args.clients!r}: give whole numbers like 1,4")
    if not phases or min(phases) < 1:
        p.error("--clients: each count must be at least 1")
    needed = sum(phases) * (args.calls + args.warmup)
    if args.n < needed:
        p.error(f"--n {args.n} is too small: the phases hand out {needed} items (overlap 1)")

    with c.workspace(args, "bench-queue") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        owner, org, project = c.create_owner_and_project()
        t0 = time.perf_counter()
        imported = c.import_file(project=project, path=source)
        setup_s = time.perf_counter() - t0
        if imported.added != args.n:
            raise SystemExit(f"set-up import added {imported.added} of {args.n} items")
        source.unlink()
        if args.gold_rate > 0:
            make_gold(project=project, owner=owner, count=args.gold_items, rate=args.gold_rate)
        database = c.database_label()
        c.close_db()

        server = c.Server(
            mode=args.server,
            workers=args.workers,
            threads=args.threads,
            log_path=root / "server.log",
        )
        try:
            server.start()
            server.wait_ready()
            floor = None
            if args.floor_calls:
                floor_token = c.add_annotator(org=org, project=project, owner=owner)[1]
                c.close_db()
                floor = floor_latency(
                    port=server.port,
                    token=floor_token,
                    project_id=project.pk,
                    calls=args.floor_calls,
                )
            results = [
                run_phase(
                    server=server, project=project, org=org, owner=owner, clients=n, args=args
                )
                for n in phases
            ]
        finally:
            server.stop()

    out = {
        "bench": "queue",
        "n": args.n,
        "database": database,
        "server": f"{args.server} workers={args.workers} threads={args.threads}",
        "setup_import_s": round(setup_s, 2),
        "gold_rate": args.gold_rate,
        "floor_get_schema": floor,
        "phases": results,
    }
    lines = []
    if floor:
        lines.append(
            f"floor (GET schema, token + access check only): p50 {floor['p50_ms']} ms "
            f"p95 {floor['p95_ms']} ms ({floor['calls']} calls)"
        )
    for r in results:
        nx, sb = r["next"], r["submit"]
        lines.append(
            f"queue at {args.n:,} items, {r['clients']} client(s): next p50 {nx['p50_ms']} ms "
            f"p95 {nx['p95_ms']} ms p99 {nx['p99_ms']} ms max {nx['max_ms']} ms "
            f"({nx['calls']} calls); submit p50 {sb['p50_ms']} ms p95 {sb['p95_ms']} ms "
            f"p99 {sb['p99_ms']} ms max {sb['max_ms']} ms ({sb['calls']} calls); "
            f"{r['rounds_per_s']} rounds/s"
        )
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
