"""Shared plumbing for the benchmark scripts: a throwaway data directory, in-process Django
set-up, generated items, a real server in a child process, /proc memory readings and the
JSON-plus-one-line report every script prints.

Nothing here fetches anything from the network; the only sockets are to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PYTHON = sys.executable

# The classification schema the items are labelled with (same shape as the test project).
SCHEMA = {
    "fields": [
        {
            "name": "topic",
            "type": "choice",
            "source": "text",
            "labels": [
                {"value": "business", "hotkey": "b"},
                {"value": "sport", "hotkey": "s"},
                {"value": "tech", "hotkey": "t"},
            ],
        }
    ]
}
LABELS = [label["value"] for label in SCHEMA["fields"][0]["labels"]]

# A fixed vocabulary and seed: every run of a size generates byte-identical files.
VOCABULARY = [
    "good",
    "bad",
    "great",
    "awful",
    "plot",
    "acting",
    "music",
    "scene",
    "ending",
    "story",
    "slow",
    "fast",
    "funny",
    "dull",
    "brilliant",
    "boring",
    "cast",
    "director",
    "camera",
    "script",
    "twist",
    "sequel",
    "classic",
    "modern",
    "quiet",
    "loud",
    "dark",
    "bright",
    "long",
    "short",
    "simple",
    "clever",
    "weak",
    "strong",
    "fresh",
    "tired",
    "warm",
    "cold",
    "honest",
    "silly",
]


# --- arguments and the throwaway environment -------------------------------------------------


def parser(description: str, *, default_n: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n", type=int, default=default_n, help="items (default %(default)s)")
    p.add_argument(
        "--database-url",
        default=None,
        help="use this database instead of a new SQLite file in the temp dir; it must be an "
        "empty throwaway database (the script migrates it and leaves its rows behind)",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the temp data directory (its path is printed)"
    )
    p.add_argument("--seed", type=int, default=1, help="seed for the generated items")
    return p


@contextmanager
def workspace(args: argparse.Namespace, prefix: str):
    """A temp data directory set as TRAINERDESK_DATA_DIR for this process and its children,
    removed afterwards unless --keep."""
    root = Path(tempfile.mkdtemp(prefix=f"trainerdesk-{prefix}-"))
    data_dir = root / "data"
    data_dir.mkdir()
    os.environ["TRAINERDESK_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "trainerdesk.settings"
    os.environ.setdefault("TRAINERDESK_LOG_LEVEL", "WARNING")
    os.environ.pop("TRAINERDESK_DEBUG", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        yield root
    finally:
        if args.keep:
            print(f"kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def django_setup() -> None:
    """Configure Django in this process and create the tables (call inside workspace())."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def close_db() -> None:
    """Drop this process's connection before a server child starts writing."""
    from django.db import connections

    connections.close_all()


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"postgresql {cursor.fetchone()[0]}"


# --- data -------------------------------------------------------------------------------------


def write_items(path: Path, n: int, *, seed: int = 1) -> int:
    """Write N short review texts as JSONL; return the file size in bytes."""
    rng = random.Random(seed)
    choices, vocab = rng.choices, VOCABULARY
    with open(path, "wb") as fh:
        chunk: list[str] = []
        for i in range(n):
            words = " ".join(choices(vocab, k=6))
            # json.dumps is not needed: the vocabulary has nothing to escape.
            chunk.append(f'{{"text": "review {i}: {words}"}}\n')
            if len(chunk) == 10_000:
                fh.write("".join(chunk).encode())
                chunk.clear()
        fh.write("".join(chunk).encode())
    return path.stat().st_size


def unique(name: str) -> str:
    # Unique names let a run share a --database-url database with an earlier run.
    return f"{name}-{os.getpid()}-{random.randrange(1 << 30):x}"


def create_owner_and_project(*, name: str = "Bench reviews"):
    """An organization owner (who manages the project) and a classification project."""
    from trainerdesk.accounts import services as accounts
    from trainerdesk.workbench import services

    owner = accounts.create_user(
        username=unique("owner"), password=unique("pw"), check_password=False
    )
    org = accounts.create_organization(name=unique("Bench org"), owner=owner)
    project = services.create_project(
        organization=org, created_by=owner, name=name, label_schema=SCHEMA
    )
    return owner, org, project


def add_annotator(*, org, project, owner, password: str | None = None):
    """A new organization member with the annotator role and an API token: (user, token)."""
    from trainerdesk.accounts import services as accounts
    from trainerdesk.workbench import services

    user = accounts.create_user(
        username=unique("annotator"), password=password or unique("pw"), check_password=False
    )
    accounts.add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="annotator", by=owner)
    _, token = accounts.create_api_token(user=user, name="bench")
    return user, token


def token_for(user) -> str:
    from trainerdesk.accounts import services as accounts

    return accounts.create_api_token(user=user, name="bench")[1]


def import_file(*, project, path: Path):
    from trainerdesk.workbench import services

    with open(path, "rb") as fp:
        return services.import_stream(project=project, fp=fp, fmt="jsonl")


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ")".
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    """root and all its descendants that are still alive."""
    children = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if os.path.exists(f"/proc/{pid}"):
            out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2 :].split()[19])


def children_of(pid: int) -> list[int]:
    return sorted(_children_map().get(pid, []))


def comm(pid: int) -> str:
    """The process's name (/proc/PID/comm), which a forked child can set for itself."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) from /proc/<pid>/status, and Pss from smaps_rollup, in kB."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except OSError:
        return out
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1])
                    break
    except OSError:
        pass
    return out


def mb(kb: float) -> float:
    return round(kb / 1024, 1)


class Server:
    """`python -m trainerdesk serve` (or gunicorn alone) in a child process on a free port.

    stop() sends SIGTERM to the process it started, then SIGKILL to whatever of that
    process's tree is still alive after a grace period, so no server outlives the script.
    """

    def __init__(
        self,
        *,
        mode: str = "serve",
        workers: int = 2,
        threads: int = 4,
        background_worker: bool = False,
        log_path: Path,
    ):
        if mode not in ("serve", "gunicorn"):
            raise ValueError(f"server mode {mode!r}: use serve or gunicorn")
        self.mode = mode
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.background_worker = background_worker
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._tree: dict[int, int] = {}  # pid -> start time, of every process seen

    def command(self) -> list[str]:
        if self.mode == "serve":
            cmd = [
                PYTHON,
                "-m",
                "trainerdesk",
                "serve",
                f"--port={self.port}",
                f"--workers={self.workers}",
                f"--threads={self.threads}",
            ]
            if not self.background_worker:
                cmd.append("--no-worker")
            return cmd
        return [
            PYTHON,
            "-m",
            "gunicorn",
            "trainerdesk.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            f"--threads={self.threads}",
            "--worker-class=gthread",
            "--no-control-socket",
        ]

    def start(self) -> Server:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(
        self, path: str = "/accounts/login/", timeout: float = 60.0, poll: float = 0.05
    ) -> float:
        """Poll until GET path answers 200; return the seconds since start()."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    self._remember_tree()
                    return time.monotonic()
            except OSError:
                pass
            time.sleep(poll)
        raise RuntimeError(
            f"server did not answer {path} within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def _remember_tree(self) -> None:
        if self.proc is not None:
            for pid in process_tree(self.proc.pid):
                self._tree.setdefault(pid, start_time(pid))

    def gunicorn_master(self) -> int:
        assert self.proc is not None
        if self.mode == "gunicorn":
            return self.proc.pid
        for pid in children_of(self.proc.pid):
            if "gunicorn" in cmdline(pid):
                return pid
        raise RuntimeError("no gunicorn process under `trainerdesk serve`")

    def web_workers(self) -> list[int]:
        return children_of(self.gunicorn_master())

    def tree(self) -> list[int]:
        assert self.proc is not None
        self._remember_tree()
        return process_tree(self.proc.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 25.0) -> None:
        if self.proc is None:
            return
        self._remember_tree()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Anything of the tree this server started that survived its parent; the start
        # time check makes sure a recycled pid of some other process is never touched.
        for pid, started in self._tree.items():
            if pid != self.proc.pid and start_time(pid) == started:
                with suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if self._log:
            self._log.close()
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def server_parser_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        choices=["serve", "gunicorn"],
        default="serve",
        help="`python -m trainerdesk serve --no-worker` (default) or gunicorn directly",
    )
    p.add_argument("--workers", type=int, default=2, help="web processes (default %(default)s)")
    p.add_argument("--threads", type=int, default=4, help="threads each (default %(default)s)")


# --- numbers and output -----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"calls": 0}
    ms = [s * 1000 for s in seconds]
    return {
        "calls": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
    }


def machine() -> dict:
    model = "?"
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, timeout=5
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.SubprocessError):
        pass
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1048576, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "date": time.strftime("%Y-%m-%d"),
    }


def report(result: dict, human: str) -> None:
    """The JSON object on one line (for run_all.py and scripts), then a line for people."""
    print(json.dumps(result, separators=(",", ":")), flush=True)
    print(human, flush=True)
