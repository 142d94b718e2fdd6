"""Background runs: one abstract model for any work a worker does on a row's behalf.

Subclass `BackgroundRun` (imports, agreement reports, label-error runs, and every later
job) and drive it from the worker with `start_run()`, `set_progress()`, `finish()` and
`fail()`; pages show it with `workbench/_run_progress.html` and answer its polls with
`workbench.views_runs.run_progress`.

A worker killed outright (kill -9, the kernel's OOM killer, a power cut) cannot record
anything, and workers only pick queued tasks, so its run would show "running" forever.
`set_progress` stamps `heartbeat_at` at every step; a running run whose heartbeat is older
than its stale window (settings.STALE_RUN_SECONDS unless the model sets STALE_SECONDS) is
stale, and `fail_stale_runs()` marks it failed with the model's `stale_message()`. The
check runs when a worker starts, every half window while it runs (`trainerdesk worker`),
and when a page or the API shows a run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BackgroundRunQuerySet(models.QuerySet):
    def active(self) -> BackgroundRunQuerySet:
        return self.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING))

    def stale(self, *, now: datetime | None = None) -> BackgroundRunQuerySet:
        """The running runs whose worker has not been heard from within the window."""
        cutoff = (now or timezone.now()) - self.model.stale_window()
        heard = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        return self.filter(heard, status=RunStatus.RUNNING)


class BackgroundRun(models.Model):
    """Status, progress (0..1), message and times of one run, and its heartbeat.

    The methods change the instance and, with save=True (the default), write just the
    fields they changed; with save=False they return those field names, so a caller
    that writes more fields in the same save (an import's counts) adds them.
    """

    Status = RunStatus
    # Seconds without a heartbeat after which a running run counts as dead; None: the
    # setting. A model whose single steps can take longer sets its own.
    STALE_SECONDS: ClassVar[int | None] = None

    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = BackgroundRunQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def stale_window(cls) -> timedelta:
        return timedelta(seconds=cls.STALE_SECONDS or settings.STALE_RUN_SECONDS)

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    @property
    def percent(self) -> int:
        return 100 if self.status == RunStatus.DONE else round(100 * self.progress)

    def _write(self, fields: list[str], save: bool) -> list[str]:
        if save:
            self.save(update_fields=fields)
        return fields

    def start_run(self, message: str = "", *, save: bool = True) -> list[str]:
        """Running from now. The caller has locked the row and seen it queued."""
        self.status = RunStatus.RUNNING
        self.started_at = self.heartbeat_at = timezone.now()
        self.message = message
        return self._write(["status", "started_at", "heartbeat_at", "message"], save)

    def set_progress(
        self, fraction: float, message: str | None = None, *, save: bool = True
    ) -> list[str]:
        """Record how far the run is (clamped to 0..1) and that its worker is alive.
        Not throttled: callers report once per batch or page, not per row."""
        self.progress = round(min(max(fraction, 0.0), 1.0), 4)
        self.heartbeat_at = timezone.now()
        fields = ["progress", "heartbeat_at"]
        if message is not None:
            self.message = message
            fields.append("message")
        return self._write(fields, save)

    def finish(self, message: str = "", *, save: bool = True) -> list[str]:
        """Done. The service that stores the finished run then calls announce_finished."""
        self.status = RunStatus.DONE
        self.progress = 1.0
        self.message = message
        self.finished_at = timezone.now()
        return self._write(["status", "progress", "message", "finished_at"], save)

    def fail(self, message: str, *, save: bool = True) -> list[str]:
        """Failed with `message` (what went wrong and what to do); progress stays where it
        got to."""
        self.status = RunStatus.FAILED
        self.message = message
        self.finished_at = timezone.now()
        return self._write(["status", "message", "finished_at"], save)

    def is_stale(self, now: datetime | None = None) -> bool:
        if self.status != RunStatus.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at
        return last is not None and last < (now or timezone.now()) - self.stale_window()

    def last_heard(self) -> str:
        return f"{timezone.localtime(self.heartbeat_at or self.started_at):%Y-%m-%d %H:%M:%S}"

    def stale_message(self) -> str:
        """Why a stale run was failed; models say what was kept and what to do."""
        return (
            f"The run stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); start it again"
        )


# What else to do, in the failing transaction, when a run of a model is failed as stale
# (e.g. an import announces its end to webhooks). Set by the services that own the model
# (run_models() lists the models; these are only the extras).
_after_stale: dict[type[BackgroundRun], Callable[[Any], None]] = {}
RunT = TypeVar("RunT", bound=BackgroundRun)


def after_stale_failure(model: type[RunT], then: Callable[[RunT], None]) -> None:
    _after_stale[model] = then


# What apps above a run's own app do when one of its runs finishes, e.g. governance links
# the run to the dataset version it used: the run's app never imports them, so they
# register here from AppConfig.ready (as they add their project navigation links), and
# the service that stores a finished run calls announce_finished in that transaction.
# Explicit rather than a post_save receiver: once per finished run, after the commit, and
# a failing hook is logged without undoing the run.
_after_finish: dict[type[BackgroundRun], list[Callable[[Any], None]]] = {}


def after_finish(model: type[RunT], then: Callable[[RunT], None]) -> None:
    _after_finish.setdefault(model, []).append(then)


def announce_finished(run: BackgroundRun) -> None:
    for then in _after_finish.get(type(run), ()):
        transaction.on_commit(functools.partial(then, run), robust=True)


def run_models() -> list[type[BackgroundRun]]:
    """Every concrete BackgroundRun model of the installed apps."""
    return [m for m in apps.get_models() if issubclass(m, BackgroundRun)]


def fail_stale_runs(
    *, project: models.Model | None = None, now: datetime | None = None
) -> list[BackgroundRun]:
    """Mark each stale run of every BackgroundRun model (of `project` only, if given)
    failed with its stale_message(); returns them. Each run is locked and checked again,
    so a run whose worker beat in the meantime, or that two checks find at once, is
    failed at most once and never while alive."""
    failed: list[BackgroundRun] = []
    for model in run_models():
        runs = model.objects.all()
        if project is not None:
            runs = runs.filter(project=project)
        then = _after_stale.get(model)
        for pk in runs.stale(now=now).values_list("pk", flat=True):
            with transaction.atomic():
                locked = runs.select_for_update(of=("self",)).stale(now=now).filter(pk=pk)
                run = locked.first()
                if run is None:
                    continue
                run.fail(run.stale_message())
                if then:
                    then(run)
            failed.append(run)
    return failed
