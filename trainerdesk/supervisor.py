"""The process that `trainerdesk serve` becomes once migrations are applied.

It runs gunicorn and (unless told not to) one background worker as child processes and
imports nothing from Django: `serve` replaces itself with this module through exec, so
the Django it loaded to migrate is not kept in memory for the server's whole life.

Both children run in their own process group, so a Ctrl-C reaches only this process,
which passes a single SIGTERM on: gunicorn finishes open requests and the worker finishes
its current task instead of being killed twice over. When either child dies the other is
stopped too, and the exit code says whether something crashed.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

STOP_TIMEOUT = 20.0


def _die_with_parent() -> None:
    # Linux: if this process is killed outright (SIGKILL), the kernel sends the child a
    # SIGTERM so no orphaned server keeps the port.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    os.setsid()


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _say(message: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(message + "\n")
    stream.flush()


def supervise(*, host: str, port: int, workers: int, threads: int, worker: bool) -> int:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "trainerdesk.settings"}
    children: dict[str, subprocess.Popen] = {}
    children["web server"] = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "trainerdesk.wsgi:application",
            f"--bind={bind}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--graceful-timeout=15",
            "--access-logfile=-",
            # One fixed control-socket path per user would clash between several
            # serve processes on one machine; nothing here uses it.
            "--no-control-socket",
        ],
        env=env,
        preexec_fn=_die_with_parent,
    )
    if worker:
        children["worker"] = subprocess.Popen(
            [sys.executable, "-m", "trainerdesk", "worker", "--verbosity=1"],
            env=env,
            preexec_fn=_die_with_parent,
        )

    stopping = False

    def request_stop(signum, _frame):
        nonlocal stopping
        if not stopping:
            _say(f"{signal.Signals(signum).name} received, stopping...", err=True)
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    announced = False
    started = time.monotonic()
    crashed: tuple[str, int] | None = None
    while not stopping and crashed is None:
        for name, child in children.items():
            code = child.poll()
            if code is not None:
                crashed = (name, code)
                break
        if crashed is None and not announced:
            if _listening(probe_host, port):
                announced = True
                _say(f"TrainerDesk is running at {url}  (Ctrl-C to stop)")
            elif time.monotonic() - started > 60:
                announced = True
                _say(f"The web server has not answered on {url} after 60 s.", err=True)
        time.sleep(0.2)
    _stop(children)
    if crashed:
        name, code = crashed
        _say(f"the {name} exited with code {code}; stopped everything", err=True)
        return code or 1
    _say("Stopped.")
    return 0


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"The {name} did not stop within {STOP_TIMEOUT:.0f} s; killing it.", err=True)
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trainerdesk serve (supervisor)")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args(argv)
    return supervise(
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        worker=not args.no_worker,
    )


if __name__ == "__main__":
    sys.exit(main())
