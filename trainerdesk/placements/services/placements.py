"""Placements: made when a submission is placed (fee and split fixed then), started,
moved on by the guarantee sweep, or fallen off."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services as network_services
from trainerdesk.network.models import Membership
from trainerdesk.placements import fees, parties
from trainerdesk.placements.models import Offer, Placement, Stage, Submission
from trainerdesk.placements.services.common import clean_reason

P = Placement.Status


def commission_basis_points(member) -> int:
    """The member's share from the plan of their current membership (Member →
    Membership → plan); the network default (50 %) without one."""
    membership = (
        member.memberships.filter(status__in=[Membership.Status.ACTIVE, Membership.Status.GRACE])
        .select_related("plan")
        .order_by("-created_at", "-id")
        .first()
    )
    if membership is None:
        return fees.DEFAULT_COMMISSION_BASIS_POINTS
    return membership.plan.commission_basis_points


def fee_for_offer(opening, offer: Offer) -> fees.Fee:
    """The fee `opening`'s terms charge for `offer` (fees.FeeTermsMissing if they can't)."""
    return fees.compute_fee(
        fee_type=opening.fee_type,
        fee_basis_points=opening.fee_basis_points,
        fee_flat_cents=opening.fee_flat_cents,
        fee_currency=opening.fee_currency,
        pay_cents=offer.pay_cents,
        pay_currency=offer.currency,
        unit=offer.unit,
        hours_per_week=offer.hours_per_week,
    )


def create_placement(*, submission: Submission, by) -> Placement:
    """The placement of a placed submission, its fee computed from the opening's fee
    terms and the accepted offer (the rule: `placements/fees.py`), split between member
    and platform by largest remainder. A role without fee terms is refused."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .select_related("opening__client", "member")
            .get(pk=submission.pk)
        )
        if submission.stage != Stage.PLACED:
            raise ConflictError("submission: only a placed submission gets a placement")
        if Placement.objects.filter(submission=submission).exists():
            raise ConflictError(f"submission {submission.pk}: already has its placement")
        opening = submission.opening
        offer = submission.offers.filter(status=Offer.Status.ACCEPTED).first()
        if offer is None:
            raise InvalidInput(
                ["offer: placing needs an accepted offer (pay and start date); record the "
                 "candidate's acceptance first"]
            )  # fmt: skip
        if not opening.fee_type:
            raise InvalidInput(
                [f"fee terms: the role {opening.title!r} has no fee terms (percentage of "
                 "first-year pay or flat fee), so no fee can be computed; staff must add "
                 "them before anyone is placed"]
            )  # fmt: skip
        try:
            fee = fee_for_offer(opening, offer)
        except fees.FeeTermsMissing as exc:
            raise InvalidInput([f"fee terms: {exc}"]) from None
        bp = commission_basis_points(submission.member)
        member_cents, platform_cents = fees.split_commission(fee.fee_cents, bp)
        placement = Placement.objects.create(
            submission=submission,
            offer=offer,
            client=opening.client,
            member=submission.member,
            fee_type=fee.fee_type,
            fee_basis_points=fee.fee_basis_points,
            fee_basis_cents=fee.fee_basis_cents,
            fee_cents=fee.fee_cents,
            currency=fee.currency,
            commission_basis_points=bp,
            member_commission_cents=member_cents,
            platform_cents=platform_cents,
            start_date=offer.start_date,
            guarantee_days=opening.guarantee_days,
            guarantee_ends_on=offer.start_date + datetime.timedelta(days=opening.guarantee_days),
            created_by=by,
        )
        audit.record(
            action="placements.placement.create",
            obj=placement,
            changes={
                "submission": submission.pk,
                "fee_type": fee.fee_type,
                "fee_cents": fee.fee_cents,
                "currency": fee.currency,
                "commission_basis_points": bp,
                "member_commission_cents": member_cents,
                "platform_cents": platform_cents,
                "start_date": placement.start_date,
                "guarantee_ends_on": placement.guarantee_ends_on,
            },
            by=by,
        )
        _fill_when_every_position_is_placed(opening, by=by)
    return placement


def _fill_when_every_position_is_placed(opening, *, by) -> None:
    """The role becomes `filled` (network's transition, audited there) once its
    placements that have not fallen off reach its positions. Only someone who manages
    the role (its client's contact, staff) places, so they may also fill it."""
    placed = Placement.objects.filter(submission__opening=opening).not_fallen_off()
    if (
        opening.status in ("open", "on_hold")
        and placed.count() >= opening.positions
        and network_services.may_manage(by, opening.client)
    ):
        network_services.transition_opening(
            opening=opening,
            to="filled",
            reason=f"all {opening.positions} position(s) placed",
            by=by,
        )


def _check_party(placement: Placement, by, allowed: set[str]) -> None:
    if not parties.roles_on(by, placement.submission) & allowed:
        raise PermissionDenied("You may not change this placement")


def start_placement(*, placement: Placement, on: datetime.date | None = None, by) -> Placement:
    """The candidate started work on `on` (default today); the guarantee runs from the
    actual start, so its end moves with it."""
    on = on or timezone.localdate()
    with transaction.atomic():
        placement = (
            Placement.objects.select_for_update()
            .select_related("submission__member", "submission__opening")
            .get(pk=placement.pk)
        )
        _check_party(placement, by, {"client", "staff"})
        if placement.status != P.PENDING_START:
            raise ConflictError(f"placement: already {placement.get_status_display().lower()}")
        if on > timezone.localdate():
            raise InvalidInput(["on: a start date in the future has not happened yet"])
        placement.status, placement.started_on = P.STARTED, on
        placement.guarantee_ends_on = on + datetime.timedelta(days=placement.guarantee_days)
        placement.save(update_fields=["status", "started_on", "guarantee_ends_on"])
        audit.record(
            action="placements.placement.start",
            obj=placement,
            changes={"started_on": on, "guarantee_ends_on": placement.guarantee_ends_on},
            by=by,
        )
    return placement


def sweep_placements(*, today: datetime.date, by=None) -> dict[str, int]:
    """Started placements enter their guarantee; those whose guarantee ended before
    `today` have earned their fee. Run daily (`trainerdesk sweep_placements`)."""
    with transaction.atomic():
        started = list(
            Placement.objects.select_for_update()
            .filter(status=P.STARTED, started_on__lte=today)
            .values_list("pk", flat=True)
        )
        Placement.objects.filter(pk__in=started).update(status=P.IN_GUARANTEE)
        earned = list(
            Placement.objects.select_for_update()
            .filter(status=P.IN_GUARANTEE, guarantee_ends_on__lt=today)
            .values_list("pk", flat=True)
        )
        Placement.objects.filter(pk__in=earned).update(status=P.EARNED, earned_on=today)
        for ids, status in ((started, P.IN_GUARANTEE), (earned, P.EARNED)):
            if ids:
                audit.record_bulk(
                    action="placements.placement.sweep",
                    object_type="placements.placement",
                    ids=ids,
                    changes={"status": status, "today": today},
                    by=by,
                )
    return {"in_guarantee": len(started), "earned": len(earned)}


def record_fall_off(*, placement: Placement, on: datetime.date, by, reason: str) -> Placement:
    """The candidate left (or never started). Recorded with its date so the refund rules
    can tell a fall-off within the guarantee from one after; an earned placement stays
    earned."""
    text = clean_reason(reason, required=True)
    if on > timezone.localdate():
        raise InvalidInput(["on: a fall-off date in the future has not happened yet"])
    with transaction.atomic():
        placement = (
            Placement.objects.select_for_update()
            .select_related("submission__member", "submission__opening")
            .get(pk=placement.pk)
        )
        _check_party(placement, by, {"client", "staff", "member"})
        if placement.status in (P.EARNED, P.FELL_OFF):
            raise ConflictError(
                f"placement: already {placement.get_status_display().lower()}; it cannot "
                "fall off now"
            )
        before = placement.status
        placement.status, placement.fell_off_on, placement.fell_off_reason = P.FELL_OFF, on, text
        placement.save(update_fields=["status", "fell_off_on", "fell_off_reason"])
        audit.record(
            action="placements.placement.fall_off",
            obj=placement,
            changes={
                "status": {"before": before, "after": P.FELL_OFF},
                "fell_off_on": on,
                "within_guarantee": placement.fell_off_within_guarantee(),
            },
            reason=text,
            by=by,
        )
    return placement
