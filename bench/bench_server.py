"""Server footprint: (a) idle memory of `trainerdesk serve`, (b) fresh start to first page.

(a) Starts `python -m trainerdesk serve` as a user would (gunicorn master, web workers and
    the background task worker), signs in through the login form, opens the login page,
    the home page and a project page a few times, waits --idle-wait seconds, then reads
    the memory of every process in the tree. RSS counts pages shared between forked
    processes once per process, so PSS (shared pages split between sharers) is reported
    too. Target: <= 150 MB (Label Studio 1.23: 325 MB).
(b) With an empty data directory (no database yet), times from spawning
    `python -m trainerdesk serve` until GET /accounts/login/ returns 200, polling every
    50 ms; this includes creating and migrating a new SQLite database. --runs times.
    Target: <= 5 s (Label Studio 1.23: 20-39 s).

    .venv/bin/python bench/bench_server.py --runs 3
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

PASSWORD = "bench-password-not-secret-1"


def sign_in_and_browse(*, port: int, username: str, project_id: int, rounds: int) -> int:
    """Sign in through the form and open a few pages; return how many pages were served."""
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise SystemExit("login page has no csrfmiddlewaretoken field")
    form = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request, timeout=30) as response:
        response.read()
        if "/accounts/login/" in response.geturl():
            raise SystemExit("sign-in failed: still on the login page")
    served = 0
    for _ in range(rounds):
        for path in ("/accounts/login/", "/", f"/projects/{project_id}/"):
            with opener.open(f"{base}{path}", timeout=30) as response:
                response.read()
                if response.status != 200:
                    raise SystemExit(f"GET {path}: HTTP {response.status}")
                served += 1
    return served


def role(pid: int, serve_pid: int, parent: dict[int, int]) -> str:
    cmd = c.cmdline(pid)
    if pid == serve_pid:
        return "serve (supervisor)"
    if "gunicorn" in cmd and parent.get(pid) == serve_pid:
        return "gunicorn master"
    if c.comm(pid) == "td-worker":  # forked from the master (trainerdesk/gunicorn_app.py)
        return "task worker"
    if parent.get(pid) in parent and "gunicorn" in c.cmdline(parent[pid]):
        return "web worker"
    if "worker" in cmd:
        return "task worker"
    return cmd[:60]


def idle_memory(args) -> dict:
    with c.workspace(args, "bench-server") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        from trainerdesk.accounts import services as accounts
        from trainerdesk.workbench import services

        owner = accounts.create_user(
            username=c.unique("owner"), password=PASSWORD, check_password=False
        )
        org = accounts.create_organization(name=c.unique("Bench org"), owner=owner)
        project = services.create_project(
            organization=org, created_by=owner, name="Bench reviews", label_schema=c.SCHEMA
        )
        c.import_file(project=project, path=source)
        username = owner.get_username()
        c.close_db()

        server = c.Server(
            mode="serve",
            workers=args.workers,
            threads=args.threads,
            background_worker=True,
            log_path=root / "server.log",
        )
        try:
            server.start()
            server.wait_ready()
            served = sign_in_and_browse(
                port=server.port, username=username, project_id=project.pk, rounds=args.rounds
            )
            time.sleep(args.idle_wait)
            pids = server.tree()
            parent = {pid: ppid for ppid, kids in c._children_map().items() for pid in kids}
            processes = []
            for pid in pids:
                memory = c.memory_kb(pid)
                processes.append(
                    {
                        "pid": pid,
                        "role": role(pid, server.proc.pid, parent),
                        "rss_mb": c.mb(memory.get("VmRSS", 0)),
                        "pss_mb": c.mb(memory.get("Pss", 0)),
                    }
                )
        finally:
            server.stop()
    return {
        "pages_served": served,
        "idle_wait_s": args.idle_wait,
        "total_rss_mb": round(sum(p["rss_mb"] for p in processes), 1),
        "total_pss_mb": round(sum(p["pss_mb"] for p in processes), 1),
        "processes": processes,
    }


def first_page(*, data_dir: Path, log_path: Path, timeout: float) -> dict:
    """Spawn serve on an empty data dir; seconds until the port accepts and until a 200."""
    os.environ["TRAINERDESK_DATA_DIR"] = str(data_dir)
    server = c.Server(mode="serve", background_worker=True, log_path=log_path)
    port = server.port
    connected = None
    try:
        t0 = time.perf_counter()
        server.start()
        deadline = t0 + timeout
        while True:
            now = time.perf_counter()
            if now > deadline:
                raise SystemExit(
                    f"no 200 from /accounts/login/ after {timeout} s:\n{server.log_tail()}"
                )
            if server.proc.poll() is not None:
                raise SystemExit(
                    f"serve exited with {server.proc.returncode}:\n{server.log_tail()}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.connect()
                connected = connected or time.perf_counter() - t0
                conn.request("GET", "/accounts/login/")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    served = time.perf_counter() - t0
                    break
            except OSError:
                pass
            time.sleep(0.05)
    finally:
        server.stop()
    return {"first_page_s": round(served, 2), "port_open_s": round(connected or served, 2)}


def fresh_starts(args) -> list[dict]:
    runs = []
    for i in range(args.runs):
        with c.workspace(args, f"bench-fresh{i}") as root:
            data_dir = root / "data"
            if any(data_dir.iterdir()):
                raise SystemExit(f"{data_dir} is not empty")
            runs.append(
                first_page(data_dir=data_dir, log_path=root / "serve.log", timeout=args.timeout)
            )
    return runs


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Benchmark idle memory and fresh start of `trainerdesk serve`.", default_n=1000)
    p.set_defaults()
    p.add_argument("--runs", type=int, default=3, help="fresh starts to time (default 3)")
    p.add_argument("--idle-wait", type=float, default=5.0, help="seconds idle before measuring")
    p.add_argument("--rounds", type=int, default=3, help="times each page is opened")
    p.add_argument("--timeout", type=float, default=120, help="seconds a start may take")
    p.add_argument("--workers", type=int, default=2, help="web processes (default %(default)s)")
    p.add_argument("--threads", type=int, default=4, help="threads each (default %(default)s)")
    p.add_argument("--skip-idle", action="store_true", help="only time fresh starts")
    p.add_argument("--skip-fresh", action="store_true", help="only measure idle memory")
    args = p.parse_args(argv)
    if args.database_url and not args.skip_fresh:
        print(
            "note: with --database-url the 'fresh' starts migrate that database, which is only "
            "fresh the first time if it starts empty",
            file=sys.stderr,
        )
    # Fresh starts first: the idle run sets Django up in this process, and the spawned
    # servers must not share its data directory.
    fresh = [] if args.skip_fresh else fresh_starts(args)
    idle = None if args.skip_idle else idle_memory(args)
    out = {
        "bench": "server",
        "machine": c.machine(),
        "idle": idle,
        "fresh_start": fresh,
    }
    lines = []
    if idle:
        per = ", ".join(f"{p['role']} {p['rss_mb']}" for p in idle["processes"])
        lines.append(
            f"idle after {idle['pages_served']} pages: RSS {idle['total_rss_mb']} MB total "
            f"(PSS {idle['total_pss_mb']} MB) - {per}"
        )
    if fresh:
        times = ", ".join(f"{r['first_page_s']} s" for r in fresh)
        lines.append(f"fresh start to first page ({len(fresh)} runs): {times}")
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
