"""Membership periods: pending (waiting for payment) -> active -> grace -> expired, or
cancelled. The renewal date is the period's end; payment is marked by staff until
invoicing (issue 11) records it."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError
from trainerdesk.network.models import ApprovalStatus, Member, Membership, MembershipPlan
from trainerdesk.network.services import gates
from trainerdesk.network.services.common import require_staff

S = Membership.Status
LIVE = (S.ACTIVE, S.GRACE)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def default_plan() -> MembershipPlan:
    plan = MembershipPlan.objects.filter(is_default=True, active=True).first()
    if plan is None:
        raise ConflictError("no default membership plan is published")
    return plan


def current_membership(member: Member) -> Membership | None:
    """The period that decides the member's standing: the live one ending last, else the
    newest of any status."""
    live = member.memberships.filter(status__in=LIVE).order_by("-period_end", "-id").first()
    return live or member.memberships.order_by("-created_at", "-id").first()


def open_membership(*, member: Member, by: Any, plan: MembershipPlan | None = None) -> Membership:
    """A new period waiting for payment (at approval, and for each renewal)."""
    plan = plan or default_plan()
    with transaction.atomic():
        if member.memberships.filter(status=S.PENDING).exists():
            raise ConflictError("a membership period is already waiting for payment")
        membership = Membership.objects.create(
            member=member, plan=plan, price_cents=plan.price_cents, currency=plan.currency
        )
        audit.record(
            action="network.membership.create",
            obj=membership,
            by=by,
            changes={"plan": plan.code, "price_cents": plan.price_cents, "currency": plan.currency},
        )
    return membership


def renew_membership(*, member: Member, by: Any) -> Membership:
    """The member (or staff) starts a renewal: a pending period that continues from the
    current one's end once paid."""
    if by is None or not (by.is_staff or by.pk == member.user_id):
        raise ConflictError("only the member or staff can renew this membership")
    if member.status != ApprovalStatus.APPROVED:
        raise ConflictError("only an approved member can renew")
    return open_membership(member=member, by=by)


def activate_membership(
    *, membership: Membership, by: Any, today: datetime.date | None = None
) -> Membership:
    """Staff mark the period's payment received. A renewal paid while the previous period
    is still live starts where it ends (no days lost); otherwise it starts today."""
    require_staff(by)
    today = today or timezone.localdate()
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status != S.PENDING:
            raise ConflictError(f"this period is {membership.status}, not waiting for payment")
        # Apps above the network add preconditions (contracts: a signed member agreement).
        gates.check_gates(gates.MEMBERSHIP_ACTIVATE, membership.member)
        previous = (
            Membership.objects.select_for_update()
            .filter(member_id=membership.member_id, status__in=LIVE)
            .order_by("-period_end")
            .first()
        )
        start = today
        if previous and previous.status == S.ACTIVE and previous.period_end:
            start = max(previous.period_end, today)
        elif previous:  # in grace: that period is over now that a new one is paid
            _set_status(previous, S.EXPIRED, by=by, system=None)
        membership.status = S.ACTIVE
        membership.period_start = start
        membership.period_end = add_months(start, membership.plan.period_months)
        membership.activated_at = timezone.now()
        membership.save(update_fields=["status", "period_start", "period_end", "activated_at"])
        audit.record(
            action="network.membership.activate",
            obj=membership,
            by=by,
            changes={
                "period_start": start.isoformat(),
                "period_end": membership.period_end.isoformat(),
            },
        )
    return membership


def cancel_membership(*, membership: Membership, reason: str = "", by: Any) -> Membership:
    if by is None or not (by.is_staff or by.pk == membership.member.user_id):
        raise ConflictError("only the member or staff can cancel this membership")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status in (S.EXPIRED, S.CANCELLED):
            raise ConflictError(f"this period is already {membership.status}")
        membership.cancelled_at = timezone.now()
        membership.save(update_fields=["cancelled_at"])
        _set_status(membership, S.CANCELLED, by=by, system=None, reason=reason)
    return membership


def _set_status(
    membership: Membership, status: str, *, by: Any, system: str | None, reason: str = ""
) -> None:
    before = membership.status
    membership.status = status
    membership.save(update_fields=["status"])
    action = {"grace": "grace", "expired": "expire", "cancelled": "cancel"}[status]
    audit.record(
        action=f"network.membership.{action}",
        obj=membership,
        by=by,
        system=system,
        changes={"status": {"before": before, "after": status}},
        reason=reason,
    )


@dataclass(frozen=True)
class SweepResult:
    to_grace: int
    to_expired: int


def sweep_memberships(now: datetime.datetime | None = None) -> SweepResult:
    """The daily job: active past period_end -> grace (or expired when a later paid
    period already follows); grace past period_end + grace_days -> expired. Running it
    twice on the same day changes nothing the second time."""
    today = timezone.localdate(now) if now else timezone.localdate()
    grace = expired = 0
    due = Membership.objects.filter(status__in=LIVE, period_end__lt=today).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        with transaction.atomic():
            row = Membership.objects.select_for_update().select_related("plan").get(pk=pk)
            end = row.period_end
            if row.status not in LIVE or end is None or end >= today:
                continue  # moved by someone else since the list was read
            followed = Membership.objects.filter(
                member_id=row.member_id, status=S.ACTIVE, period_start__gte=end
            ).exclude(pk=row.pk)
            lapsed = today > end + datetime.timedelta(days=row.plan.grace_days)
            if row.status == S.ACTIVE and not followed.exists() and not lapsed:
                _set_status(row, S.GRACE, by=None, system="task:network_sweep")
                grace += 1
            elif row.status == S.GRACE and not followed.exists() and not lapsed:
                continue
            else:
                _set_status(row, S.EXPIRED, by=None, system="task:network_sweep")
                expired += 1
    return SweepResult(to_grace=grace, to_expired=expired)


@dataclass(frozen=True)
class SubmitCheck:
    """Whether a member may submit candidates now, and if not, why (shown as is)."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def member_can_submit(member: Member, today: datetime.date | None = None) -> SubmitCheck:
    """Only an approved member with an ACTIVE, paid period covering today submits: a
    period in grace is overdue, and the network's rule is that only active members
    submit (issue 10)."""
    today = today or timezone.localdate()
    if member.status != ApprovalStatus.APPROVED:
        return SubmitCheck(
            False, f"your membership application is {member.get_status_display().lower()}"
        )
    current = current_membership(member)
    if current is None or current.status == S.PENDING:
        return SubmitCheck(
            False,
            "your membership is waiting for payment; you can submit candidates once it is active",
        )
    if current.status == S.ACTIVE and current.period_end and current.period_end >= today:
        return SubmitCheck(True)
    if current.status in LIVE:
        return SubmitCheck(
            False,
            f"your membership ran out on {current.period_end:%Y-%m-%d}; "
            "renew it to submit candidates again",
        )
    return SubmitCheck(
        False,
        f"your membership is {current.get_status_display().lower()}; "
        "renew it to submit candidates again",
    )


def require_member_can_submit(member: Member) -> None:
    check = member_can_submit(member)
    if not check:
        raise ConflictError(f"lapsed membership: {check.reason}")
