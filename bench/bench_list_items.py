"""Time listing 100 items through the API, TrainerDesk against Label Studio, interleaved.

Both get the same N items (bench's short review texts): TrainerDesk imports them with
`services.import_stream` and serves them with `trainerdesk serve --no-worker`; Label
Studio (its own virtualenv, `--label-studio`, default /work/lsvenv/bin/label-studio)
starts on a fresh data directory and imports them as tasks through its API. Then, over
one kept-alive connection to each, rounds of: TrainerDesk page 1
(`GET /api/v1/projects/<id>/items?limit=100`), Label Studio page 1
(`GET /api/tasks/?project=<id>&page=1&page_size=100`), TrainerDesk's deep keyset page
(`after=` the id 100 before the last item), Label Studio's last page. Warm-up calls are
not counted. Without Label Studio (`--no-label-studio`) only TrainerDesk is timed.
Target (issue 9): >= 10x faster than Label Studio on both pages.

    .venv/bin/python bench/bench_list_items.py --n 100000 --rounds 200
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

LS_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="topic" toName="text">
    <Choice value="positive"/><Choice value="negative"/>
  </Choices>
</View>"""


class Http:
    """One kept-alive connection; get() returns (seconds, status, body)."""

    def __init__(self, port: int, auth: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.headers = {"Authorization": auth}

    def get(self, path: str):
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server dropped the idle keep-alive connection (gunicorn's keep-alive
            # window is seconds; a Label Studio call in between can take longer).
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.conn.host, self.conn.port, timeout=300)
            self.conn.connect()
            return self._get(path)

    def _get(self, path: str):
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return time.perf_counter() - t0, response.status, body

    def post_json(self, path: str, body) -> dict:
        self.conn.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={**self.headers, "Content-Type": "application/json"},
        )
        response = self.conn.getresponse()
        content = response.read()
        if response.status >= 300:
            raise RuntimeError(f"POST {path}: HTTP {response.status}: {content[:500]!r}")
        return json.loads(content)


def start_label_studio(binary: str, root: Path, port: int, token: str):
    log = open(root / "labelstudio.log", "ab")  # noqa: SIM115 - closed by the caller
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.pop("PYTHONPATH", None)
    env["LABEL_STUDIO_BASE_DATA_DIR"] = str(root / "lsdata")
    proc = subprocess.Popen(
        [
            binary,
            "start",
            "--internal-host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
            "--data-dir",
            str(root / "lsdata"),
            "--username",
            "admin@example.com",
            "--password",
            "adminpass123",
            "--user-token",
            token,
            "--enable-legacy-api-token",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Label Studio exited: see {root / 'labelstudio.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, log
        except OSError:
            pass
        time.sleep(0.5)
    stop(proc)
    raise RuntimeError("Label Studio did not answer /health within 900 s")


def stop(proc) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Time listing 100 items, TrainerDesk vs Label Studio.", default_n=100_000)
    p.add_argument("--rounds", type=int, default=200, help="timed rounds (default %(default)s)")
    p.add_argument("--label-studio", default="/work/lsvenv/bin/label-studio")
    p.add_argument("--no-label-studio", action="store_true")
    p.add_argument(
        "--label-studio-port",
        type=int,
        help="use a Label Studio already running on this port (with --label-studio-token)",
    )
    p.add_argument("--label-studio-token", default="")
    p.add_argument(
        "--label-studio-project", type=int, help="an existing Label Studio project of N tasks"
    )
    c.server_parser_options(p)
    args = p.parse_args(argv)
    use_ls = not args.no_label_studio
    if use_ls and not args.label_studio_port and not Path(args.label_studio).exists():
        p.error(f"{args.label_studio} not found (or pass --no-label-studio)")

    with c.workspace(args, "bench-list") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        owner, _, project = c.create_owner_and_project()
        imported = c.import_file(project=project, path=source)
        if imported.added != args.n:
            raise SystemExit(f"set-up import added {imported.added} of {args.n} items")
        token = c.token_for(owner)
        ids = list(project.items.order_by("id").values_list("id", flat=True))
        deep_after = ids[-101]
        database = c.database_label()
        c.close_db()

        pages = {
            "page 1": (f"/api/v1/projects/{project.pk}/items?limit=100", None),
            "deep page": (
                f"/api/v1/projects/{project.pk}/items?limit=100&after={deep_after}",
                None,
            ),
        }
        ls_proc = ls_log = None
        try:
            if use_ls:
                t0 = time.perf_counter()
                if args.label_studio_port:
                    ls_port, ls_token = args.label_studio_port, args.label_studio_token
                else:
                    ls_port, ls_token = c.free_port(), secrets.token_hex(20)
                    ls_proc, ls_log = start_label_studio(args.label_studio, root, ls_port, ls_token)
                ls_start_s = time.perf_counter() - t0
                ls = Http(ls_port, f"Token {ls_token}")
                ls_import_s = None
                ls_project = args.label_studio_project
                if not ls_project:
                    ls_project = ls.post_json(
                        "/api/projects/", {"title": "bench list", "label_config": LS_CONFIG}
                    )["id"]
                    tasks = [json.loads(line) for line in source.read_text().splitlines()]
                    t0 = time.perf_counter()
                    for start in range(0, len(tasks), 10_000):
                        ls.post_json(
                            f"/api/projects/{ls_project}/import", tasks[start : start + 10_000]
                        )
                    ls_import_s = round(time.perf_counter() - t0, 1)
                last = (args.n + 99) // 100
                base = f"/api/tasks/?project={ls_project}&page_size=100"
                pages["page 1"] = (pages["page 1"][0], f"{base}&page=1")
                pages["deep page"] = (pages["deep page"][0], f"{base}&page={last}")
            server = c.Server(
                mode=args.server,
                workers=args.workers,
                threads=args.threads,
                log_path=root / "server.log",
            )
            with server:
                server.wait_ready()
                td = Http(server.port, f"Bearer {token}")
                times: dict[str, dict[str, list[float]]] = {
                    name: {"trainerdesk": [], "labelstudio": []} for name in pages
                }
                for round_ in range(args.rounds + 10):
                    for name, (td_path, ls_path) in pages.items():
                        took, status, body = td.get(td_path)
                        if status != 200 or len(json.loads(body)["items"]) != 100:
                            raise SystemExit(f"TrainerDesk {name}: HTTP {status}")
                        if round_ >= 10:
                            times[name]["trainerdesk"].append(took)
                        if ls_path:
                            took, status, body = ls.get(ls_path)
                            got = json.loads(body)
                            got = got["tasks"] if isinstance(got, dict) else got
                            if status != 200 or len(got) != 100:
                                raise SystemExit(f"Label Studio {name}: HTTP {status}")
                            if round_ >= 10:
                                times[name]["labelstudio"].append(took)
        finally:
            if ls_proc is not None:
                stop(ls_proc)
                ls_log.close()

    results = {
        name: {who: c.latency_summary(ts) for who, ts in by.items() if ts}
        for name, by in times.items()
    }
    for r in results.values():
        if "labelstudio" in r:
            r["ratio_p50"] = round(r["labelstudio"]["p50_ms"] / r["trainerdesk"]["p50_ms"], 1)
    out = {
        "bench": "list_items",
        "n": args.n,
        "rounds": args.rounds,
        "database": database,
        "load_average": os.getloadavg(),
        "results": results,
        "machine": c.machine(),
    }
    if use_ls:
        out |= {
            "labelstudio_start_s": round(ls_start_s, 1),
            "labelstudio_import_s": ls_import_s,
        }
    lines = []
    for name, r in results.items():
        td_ms = r["trainerdesk"]["p50_ms"]
        line = f"list 100 items, {name}, {args.n:,} items: TrainerDesk p50 {td_ms} ms"
        if "labelstudio" in r:
            line += f", Label Studio p50 {r['labelstudio']['p50_ms']} ms ({r['ratio_p50']}x)"
        lines.append(line)
    c.report(out, "\n".join(lines))
    return out


if __name__ == "__main__":
    main()
