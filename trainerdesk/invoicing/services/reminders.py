"""Renewal reminders: the daily sweep for membership periods coming due. For each live
period ending within `days_before` days (or already in grace) whose member has not been
reminded for it, the renewal period is opened through network's service
(`open_membership`, reused when one is already waiting), its invoice drafted, and a
`RenewalReminder` row written: the member sees it on their invoices page. Grace and
expiry themselves stay network's `sweep_memberships`; this only invoices and reminds.
Idempotent: a second run on the same day finds every due period reminded."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.invoicing.models import Invoice, Kind, RenewalReminder, Status
from trainerdesk.invoicing.services.drafts import _membership_draft
from trainerdesk.lib import audit
from trainerdesk.network import services as network_services
from trainerdesk.network.models import ApprovalStatus, Membership

SYSTEM = "task:invoicing_reminders"
DEFAULT_DAYS_BEFORE = 30


def due_memberships(today: datetime.date, days_before: int = DEFAULT_DAYS_BEFORE):
    horizon = today + datetime.timedelta(days=days_before)
    return (
        Membership.objects.filter(
            status__in=[Membership.Status.ACTIVE, Membership.Status.GRACE],
            period_end__lte=horizon,
            member__status=ApprovalStatus.APPROVED,
            renewal_reminder__isnull=True,
        )
        .select_related("member", "plan")
        .order_by("period_end", "id")
    )


def send_renewal_reminders(
    *, today: datetime.date | None = None, days_before: int = DEFAULT_DAYS_BEFORE, by: Any = None
) -> list[RenewalReminder]:
    today = today or timezone.localdate()
    sent: list[RenewalReminder] = []
    for pk in list(due_memberships(today, days_before).values_list("pk", flat=True)):
        with audit.acting_as(None if by is not None else SYSTEM), transaction.atomic():
            period = Membership.objects.select_for_update().select_related("member").get(pk=pk)
            if RenewalReminder.objects.filter(membership=period).exists():
                continue  # reminded by a concurrent run
            if period.period_end is None:
                continue  # a live period always has its dates; nothing to remind of
            later = Membership.objects.filter(
                member=period.member,
                status=Membership.Status.ACTIVE,
                period_start__gte=period.period_end,
            ).exists()
            if later:
                continue  # already renewed and paid
            pending = period.member.memberships.filter(status=Membership.Status.PENDING).first()
            if pending is None:
                pending = network_services.open_membership(member=period.member, by=by)
            invoice = (
                Invoice.objects.filter(membership=pending, kind=Kind.MEMBERSHIP)
                .exclude(status=Status.CREDITED)
                .first()
            )
            if invoice is None:
                invoice = _membership_draft(pending, by=by)
            reminder = RenewalReminder.objects.create(
                membership=period, member=period.member, invoice=invoice, due_on=period.period_end
            )
            audit.record(
                action="invoicing.reminder.send",
                obj=reminder,
                by=by,
                changes={
                    "membership": period.pk,
                    "renewal": pending.pk,
                    "invoice": invoice.pk,
                    "due_on": period.period_end,
                },
            )
            sent.append(reminder)
    return sent
