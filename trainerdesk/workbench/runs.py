"""Background runs whose worker may die: a heartbeat, and the check that finds them.

A worker killed outright (kill -9, the kernel's OOM killer, a power cut) cannot record
anything, and workers only pick queued tasks, so its run would show "running" forever.
Each run stamps `heartbeat_at` at every step (an import: every batch of rows read); a
running run whose heartbeat is older than settings.STALE_RUN_SECONDS is stale and is
marked failed with what it had done. The check runs when a worker starts, every half
window while it runs (`trainerdesk worker`), and when an import is looked at.

Written for any model with `status` ("queued"/"running"/"done"/"failed"), `started_at`,
`finished_at` and `message` fields: ImportJob uses it; AgreementReport and LabelErrorRun
have the same shape and can take the mixin as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

RUNNING, FAILED = "running", "failed"


class HeartbeatMixin(models.Model):
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def stamp_heartbeat(self, now: datetime | None = None) -> str:
        """Set the heartbeat; returns the field name for save(update_fields=...)."""
        self.heartbeat_at = now or timezone.now()
        return "heartbeat_at"


def stale(queryset: models.QuerySet, *, now: datetime | None = None) -> models.QuerySet:
    """The running runs in `queryset` whose worker has not been heard from in the window."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.STALE_RUN_SECONDS)
    heard = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    return queryset.filter(heard, status=RUNNING)


def fail_stale_runs(
    queryset: models.QuerySet,
    *,
    explain: Callable[[models.Model], str],
    then: Callable[[models.Model], None] | None = None,
    now: datetime | None = None,
) -> list[models.Model]:
    """Mark each stale run failed, with `explain(run)` as its message; `then(run)` runs in
    the same transaction (e.g. to emit an event). Each run is locked and checked again,
    so a run whose worker beat in the meantime, or that two checks find at once, is
    failed at most once and never while alive."""
    failed = []
    for pk in stale(queryset, now=now).values_list("pk", flat=True):
        with transaction.atomic():
            run = stale(queryset.select_for_update(of=("self",)), now=now).filter(pk=pk).first()
            if run is None:
                continue
            run.status = FAILED
            run.finished_at = timezone.now()
            run.message = explain(run)
            run.save(update_fields=["status", "finished_at", "message"])
            if then:
                then(run)
        failed.append(run)
    return failed
