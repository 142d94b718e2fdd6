"""`trainerdesk serve`: migrate, then run gunicorn and one background worker side by side.

Both run as child processes in their own process group, so a Ctrl-C reaches only this
process, which passes a single SIGTERM on: gunicorn finishes open requests and the worker
finishes its current task instead of being killed twice over. When either child dies the
other is stopped too, and the exit code says whether something crashed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

STOP_TIMEOUT = 20.0


def _die_with_parent() -> None:
    # Linux: if this serve process is killed outright (SIGKILL), the kernel sends the
    # child a SIGTERM so no orphaned server keeps the port.
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


class Command(BaseCommand):
    help = "Run TrainerDesk: apply migrations, start the web server and a background worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default %(default)s)"
        )
        parser.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
        parser.add_argument(
            "--workers", type=int, default=2, help="web server processes (default %(default)s)"
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="threads per web process (default %(default)s)"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a background worker (run `trainerdesk worker` elsewhere)",
        )

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a TCP port (1-65535)")
        self.stdout.write("Applying database migrations...")
        call_command("migrate", interactive=False, verbosity=0)
        connections.close_all()  # this process only supervises from here on
        # Static files are served from the app directories (WHITENOISE_USE_FINDERS);
        # WhiteNoise still warns at every start if STATIC_ROOT is missing.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

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
        if options["no_worker"]:
            self.stdout.write("No background worker started (--no-worker).")
        elif settings.TASKS_BACKEND != "database":
            self.stdout.write(
                f"No background worker needed: TRAINERDESK_TASKS_BACKEND={settings.TASKS_BACKEND}."
            )
        else:
            children["worker"] = subprocess.Popen(
                [sys.executable, "-m", "trainerdesk", "worker", "--verbosity=1"],
                env=env,
                preexec_fn=_die_with_parent,
            )

        stopping = False

        def request_stop(signum, _frame):
            nonlocal stopping
            if not stopping:
                self.stderr.write(f"{signal.Signals(signum).name} received, stopping...")
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        url_host = f"[{host}]" if ":" in host else host
        url = f"http://{url_host}:{port}/"
        announced = False
        started = time.monotonic()
        crashed: tuple[str, int] | None = None
        while not stopping:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    crashed = (name, code)
                    break
            if crashed:
                break
            if not announced and _listening(probe_host, port):
                announced = True
                self.stdout.write(
                    self.style.SUCCESS(f"TrainerDesk is running at {url}  (Ctrl-C to stop)")
                )
                self.stdout.flush()
            elif not announced and time.monotonic() - started > 60:
                announced = True
                self.stderr.write(f"The web server has not answered on {url} after 60 s.")
            time.sleep(0.2)

        self._stop(children)
        if crashed:
            name, code = crashed
            raise CommandError(
                f"the {name} exited with code {code}; stopped everything",
                returncode=code or 1,
            )
        self.stdout.write("Stopped.")

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(
                    f"The {name} did not stop within {STOP_TIMEOUT:.0f} s; killing it."
                )
                child.kill()
                child.wait()
