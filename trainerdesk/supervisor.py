"""The process that `trainerdesk serve` becomes once migrations are applied.

It runs gunicorn and (unless told not to) one background worker as child processes and
imports nothing from Django: `serve` replaces itself with this module through exec, so
the Django it loaded to migrate is not kept in memory for the server's whole life.

Both children run in their own process group, so a Ctrl-C reaches only this process,
which passes a single SIGTERM on and waits: gunicorn finishes the requests it has
accepted (up to its graceful timeout) and the worker finishes its current task, instead
of being killed twice over. SIGHUP is a graceful restart: gunicorn reloads its workers
on the same listening socket (nothing is refused meanwhile) and the background worker
is restarted once its task is done. gunicorn preloads the app (gunicorn_conf.py), so
its new workers run the code its master loaded at start: SIGHUP picks up no changed
Python files (the background worker's restart does); restart `serve` for those.

A background worker that dies is started again after a pause that doubles with each
crash in a row (1 s up to a minute); the web server keeps serving. A worker that keeps
dying within seconds of its start is given up on after MAX_QUICK_CRASHES, loudly, with
the web server still up (queued imports then wait). If the web server dies, everything
stops and the exit code says so.
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

STOP_TIMEOUT = 20.0  # above gunicorn_conf.graceful_timeout, so it can finish requests
# The worker's restarts: a pause of 1, 2, 4 ... s up to MAX_RESTART_DELAY after each crash
# in a row; a worker that ran STABLE_AFTER seconds starts the count again.
MAX_RESTART_DELAY = 60.0
STABLE_AFTER = 60.0
MAX_QUICK_CRASHES = 10


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


class _Worker:
    """The background worker child and its restart bookkeeping."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.argv, self.env = argv, env
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.crashes = 0  # in a row, each within STABLE_AFTER of its start
        self.restart_at: float | None = None
        self.given_up = False
        self.restart_when_stopped = False  # SIGHUP: stopped on purpose, start again
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, preexec_fn=_die_with_parent)
        self.started, self.restart_at = time.monotonic(), None

    def check(self, now: float) -> None:
        """Notice a dead worker and schedule or perform its restart."""
        if self.given_up:
            return
        if self.process is None:
            if self.restart_at is not None and now >= self.restart_at:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        self.process = None
        if self.restart_when_stopped:
            self.restart_when_stopped = False
            self.start()
            return
        if now - self.started >= STABLE_AFTER:
            self.crashes = 0
        self.crashes += 1
        if self.crashes > MAX_QUICK_CRASHES:
            self.given_up = True
            _say(
                f"The background worker exited with code {code} {self.crashes} times in a row "
                "soon after starting; not restarting it again. The web server keeps running, "
                "but imports wait until `trainerdesk serve` is restarted (see the errors above).",
                err=True,
            )
            return
        delay = min(MAX_RESTART_DELAY, 2.0 ** (self.crashes - 1))
        _say(
            f"The background worker exited with code {code}; restarting it in {delay:g} s.",
            err=True,
        )
        self.restart_at = now + delay

    def restart_gracefully(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.restart_when_stopped = True
            self.process.send_signal(signal.SIGTERM)


def supervise(*, host: str, port: int, workers: int, threads: int, worker: bool) -> int:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "trainerdesk.settings"}
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            # Preloads the app in the master; worker class, timeouts, logs: all there.
            "--config=python:trainerdesk.gunicorn_conf",
            f"--bind={bind}",
            f"--workers={workers}",
            f"--threads={threads}",
        ],
        env=env,
        preexec_fn=_die_with_parent,
    )
    background = (
        _Worker([sys.executable, "-m", "trainerdesk", "worker", "--verbosity=1"], env)
        if worker
        else None
    )

    stopping = False
    reload_requested = False

    def request_stop(signum, _frame):
        nonlocal stopping
        if not stopping:
            _say(f"{signal.Signals(signum).name} received, stopping...", err=True)
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
        if background:
            background.check(now)
        if reload_requested:
            reload_requested = False
            _say("SIGHUP received: reloading the web server and the worker...", err=True)
            web.send_signal(signal.SIGHUP)
            if background:
                background.restart_gracefully()
        if not announced:
            if _listening(probe_host, port):
                announced = True
                _say(f"TrainerDesk is running at {url}  (Ctrl-C to stop)")
            elif now - started > 60:
                announced = True
                _say(f"The web server has not answered on {url} after 60 s.", err=True)
        time.sleep(0.2)
    children = {"web server": web}
    if background and background.process is not None:
        children["worker"] = background.process
    _stop(children)
    if web_code is not None:
        _say(f"the web server exited with code {web_code}; stopped everything", err=True)
        return web_code or 1
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
