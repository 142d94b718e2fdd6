"""`trainerdesk worker`: process queued background tasks (imports, reports) from the database.

A thin alias of django-tasks-db's db_worker so every option of it works here; run as many
as you like against one database (each picks tasks with row locks). It also fails the
background runs (imports, agreement reports, label-error runs) a dead worker left
"running" (see workbench/runs.py): once at start, then every half stale window from a
side thread, since db_worker's loop has no hook for it.
"""

import logging
import threading

from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

# services registers what a stale import does besides failing (its webhook event).
from trainerdesk.workbench import runs, services  # noqa: F401

logger = logging.getLogger("trainerdesk.worker")


def check_stale_runs() -> None:
    for run in runs.fail_stale_runs():
        logger.warning("%s marked failed: %s", run, run.message)


def _watch_stale_runs(stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            check_stale_runs()
        except Exception:  # noqa: BLE001 - a failed check must not end the watch
            logger.exception("checking for stale runs failed")
        finally:
            connection.close()  # this thread's own connection; don't hold it between checks


class Command(DbWorkerCommand):
    help = "Run a background worker for queued tasks (imports). Stop it with Ctrl-C or SIGTERM."
    # The system checks load the URL conf, and with it every view and the whole API
    # (django-ninja, pydantic), which the worker never uses: `serve` runs the checks
    # before it starts this worker, and `trainerdesk check` runs them on demand.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        check_stale_runs()
        stop = threading.Event()
        every = max(1.0, settings.STALE_RUN_SECONDS / 2)
        watch = threading.Thread(
            target=_watch_stale_runs, args=(stop, every), name="stale-runs", daemon=True
        )
        watch.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
