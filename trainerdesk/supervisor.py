"""The process that `trainerdesk serve` becomes once migrations are applied.

It runs gunicorn (trainerdesk/gunicorn_app.py, whose master also forks and restarts the
background worker unless told not to) as a child process and imports nothing from Django:
`serve` replaces itself with this module through exec, so the Django it loaded to migrate
is not kept in memory for the server's whole life.

gunicorn runs in its own process group, so a Ctrl-C reaches only this process, which
passes a single SIGTERM on and waits: gunicorn finishes the requests it has accepted (up
to its graceful timeout) and the background worker its current task, instead of being
killed twice over. SIGHUP is a graceful restart: gunicorn reloads its workers on the same
listening socket (nothing is refused meanwhile) and restarts the background worker once
its task is done. gunicorn preloads the app (gunicorn_conf.py), so its new workers, the
background one too, run the code its master loaded at start: SIGHUP picks up no changed
Python files; restart `serve` for those. If the web server dies, everything stops and
the exit code says so.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from trainerdesk.restarts import prctl, say

STOP_TIMEOUT = 20.0  # above gunicorn_conf.graceful_timeout, so it can finish requests


def _die_with_parent() -> None:
    # Linux: if this process is killed outright (SIGKILL), the kernel sends the child a
    # SIGTERM so no orphaned server keeps the port.
    prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setsid()


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def supervise(*, host: str, port: int, workers: int, threads: int, worker: bool) -> int:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "trainerdesk.settings"}
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trainerdesk.gunicorn_app",
            # Preloads the app in the master; worker class, timeouts, logs: all there.
            "--config=python:trainerdesk.gunicorn_conf",
            f"--bind={bind}",
            f"--workers={workers}",
            f"--threads={threads}",
            *(["--task-worker"] if worker else []),
        ],
        env=env,
        preexec_fn=_die_with_parent,
    )

    stopping = False
    reload_requested = False

    def request_stop(signum, _frame):
        nonlocal stopping
        if not stopping:
            say(f"{signal.Signals(signum).name} received, stopping...", err=True)
        stopping = True

    def request_reload(_signum, _frame):
        nonlocal reload_requested
        reload_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_reload)

    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    announced = False
    started = time.monotonic()
    web_code: int | None = None
    while not stopping:
        web_code = web.poll()
        if web_code is not None:
            break
        now = time.monotonic()
        if reload_requested:
            reload_requested = False
            say("SIGHUP received: reloading the web server and the worker...", err=True)
            web.send_signal(signal.SIGHUP)
        if not announced:
            if _listening(probe_host, port):
                announced = True
                say(f"TrainerDesk is running at {url}  (Ctrl-C to stop)")
            elif now - started > 60:
                announced = True
                say(f"The web server has not answered on {url} after 60 s.", err=True)
        time.sleep(0.2)
    _stop({"web server": web})
    if web_code is not None:
        say(f"the web server exited with code {web_code}; stopped everything", err=True)
        return web_code or 1
    say("Stopped.")
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
            say(f"The {name} did not stop within {STOP_TIMEOUT:.0f} s; killing it.", err=True)
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
