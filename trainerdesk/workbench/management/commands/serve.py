"""`trainerdesk serve`: migrate, then become trainerdesk.supervisor, which runs gunicorn
and one background worker side by side."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections


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
        if options["no_worker"]:
            self.stdout.write("No background worker started (--no-worker).")
        elif settings.TASKS_BACKEND != "database":
            self.stdout.write(
                f"No background worker needed: TRAINERDESK_TASKS_BACKEND={settings.TASKS_BACKEND}."
            )
        start_worker = not options["no_worker"] and settings.TASKS_BACKEND == "database"
        connections.close_all()
        self.stdout.flush()
        # Become the supervisor: exec drops the Django this process loaded to migrate,
        # so the long-lived parent of the server stays small.
        argv = [
            sys.executable,
            "-m",
            "trainerdesk.supervisor",
            f"--host={host}",
            f"--port={port}",
            f"--workers={workers}",
            f"--threads={threads}",
            *([] if start_worker else ["--no-worker"]),
        ]
        os.execv(sys.executable, argv)
