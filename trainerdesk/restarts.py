"""Restarting the background worker when it dies (standard library only).

gunicorn's master runs it (trainerdesk/gunicorn_app.py). A worker that dies is started
again after a pause that doubles with each crash in a row (1 s up to a minute); the web
server keeps serving. A worker that keeps dying within seconds of its start is given up
on after MAX_QUICK_CRASHES, loudly, with the web server still up (queued imports then
wait).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable

# The pauses: 1, 2, 4 ... s up to MAX_RESTART_DELAY after each crash in a row; a worker
# that ran STABLE_AFTER seconds starts the count again.
MAX_RESTART_DELAY = 60.0
STABLE_AFTER = 60.0
MAX_QUICK_CRASHES = 10


def prctl(option: int, value: object) -> None:
    """Linux's prctl(2) (PR_SET_PDEATHSIG, PR_SET_NAME); elsewhere nothing."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value)


def say(message: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(message + "\n")
    stream.flush()


class ForkedChild:
    """A forked child process with the part of subprocess.Popen's interface used here:
    returncode is the exit code, or minus the signal that ended it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                # Reaped by someone else's waitpid(-1) (gunicorn's, for its own workers)
                # between two of our polls: gone, its exit status lost.
                self.returncode = -255
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)


class RestartingWorker:
    """The background worker child and its restart bookkeeping. spawn() starts one and
    returns its ForkedChild (or Popen)."""

    def __init__(self, spawn: Callable[[], ForkedChild], now: float) -> None:
        self.spawn = spawn
        self.process: ForkedChild | None = None
        self.started = 0.0
        self.crashes = 0  # in a row, each within STABLE_AFTER of its start
        self.restart_at: float | None = None
        self.given_up = False
        self.restart_when_stopped = False  # SIGHUP: stopped on purpose, start again
        self.start(now)

    def start(self, now: float) -> None:
        self.process = self.spawn()
        self.started, self.restart_at = now, None

    def check(self, now: float) -> None:
        """Notice a dead worker and schedule or perform its restart."""
        if self.given_up:
            return
        if self.process is None:
            if self.restart_at is not None and now >= self.restart_at:
                self.start(now)
            return
        code = self.process.poll()
        if code is None:
            return
        self.process = None
        if self.restart_when_stopped:
            self.restart_when_stopped = False
            self.start(now)
            return
        if now - self.started >= STABLE_AFTER:
            self.crashes = 0
        self.crashes += 1
        shown = "unknown" if code == -255 else code
        if self.crashes > MAX_QUICK_CRASHES:
            self.given_up = True
            say(
                f"The background worker exited with code {shown} {self.crashes} times in a "
                "row soon after starting; not restarting it again. The web server keeps "
                "running, but imports wait until `trainerdesk serve` is restarted (see the "
                "errors above).",
                err=True,
            )
            return
        delay = min(MAX_RESTART_DELAY, 2.0 ** (self.crashes - 1))
        say(
            f"The background worker exited with code {shown}; restarting it in {delay:g} s.",
            err=True,
        )
        self.restart_at = now + delay

    def restart_gracefully(self) -> None:
        """Stop the worker (it finishes its current task) and start a new one once gone."""
        if self.process is not None and self.process.poll() is None:
            self.restart_when_stopped = True
            self.process.send_signal(signal.SIGTERM)
