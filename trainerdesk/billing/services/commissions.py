"""Commissions: what a member earns from one placement, and when it may be paid.

    pending ──(client paid and guarantee passed: sweep; or staff release early)──► payable
    payable ──(put into a payout)──► in_payout ──► paid
    in_payout ──(payout failed or returned)──► payable
    paid ──(bank returned the payout after booking its debit)──► payable
    placement fell off: pending/payable → cancelled (fee earned reversed if posted);
                        paid → clawed_back (fee earned reversed + clawback receivable)

Becoming payable posts "fee earned" (flows.fee_earned); paying posts nothing here: a
payout groups commissions and the payouts app posts one `flows.payout_sent` for it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.billing.models import Commission
from trainerdesk.billing.services import flows
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.placements.models import Placement

C = Commission.Status
P = Placement.Status


def _locked(commission_or_placement: Any) -> Commission:
    qs = Commission.objects.select_for_update().select_related("placement__member")
    if isinstance(commission_or_placement, Placement):
        found = qs.filter(placement=commission_or_placement).first()
        if found is None:
            raise ConflictError(
                f"placement {commission_or_placement.pk}: has no commission yet "
                "(open_commission first)"
            )
        return found
    return qs.get(pk=commission_or_placement.pk)


def _move(commission: Commission, to: str, *, action: str, by: Any, reason: str = "", **extra):
    before = commission.status
    commission.status = to
    for name, value in extra.items():
        setattr(commission, name, value)
    commission.save(update_fields=["status", *extra])
    audit.record(
        action=action,
        obj=commission,
        changes={"status": {"before": before, "after": to}, **extra},
        reason=reason,
        by=by,
    )


def open_commission(*, placement: Placement, by: Any) -> Commission:
    """The commission of `placement` (its stored member share), opened once: a second call
    returns the same row."""
    with transaction.atomic():
        placement = Placement.objects.select_for_update().get(pk=placement.pk)
        existing = Commission.objects.filter(placement=placement).first()
        if existing is not None:
            return existing
        if placement.status == P.FELL_OFF:
            raise ConflictError(f"placement {placement.pk}: fell off; it earns no commission")
        commission = Commission.objects.create(
            placement=placement,
            member_id=placement.member_id,
            amount_cents=placement.member_commission_cents,
            currency=placement.currency,
        )
        audit.record(
            action="billing.commission.open",
            obj=commission,
            changes={
                "placement": placement.pk,
                "member": placement.member_id,
                "amount_cents": commission.amount_cents,
                "currency": commission.currency,
            },
            by=by,
        )
    return commission


def record_client_paid(*, placement: Placement, on: datetime.date, by: Any) -> Commission:
    """The client has paid the placement's invoice (in full) on `on`; the commission
    becomes payable at the next sweep once the guarantee has passed too. Recording the
    same date again changes nothing; the cash itself is posted by `flows.client_paid`."""
    given: object = on  # a caller may pass a datetime or a string; refuse both
    if not isinstance(given, datetime.date) or isinstance(given, datetime.datetime):
        raise InvalidInput(["on: the date the client paid"])
    if on > timezone.localdate():
        raise InvalidInput(["on: a payment in the future has not happened yet"])
    with transaction.atomic():
        commission = _locked(placement)
        if commission.client_paid_on == on:
            return commission
        if commission.client_paid_on is not None:
            raise ConflictError(
                f"placement {placement.pk}: the client's payment is already recorded on "
                f"{commission.client_paid_on}"
            )
        commission.client_paid_on = on
        commission.save(update_fields=["client_paid_on"])
        audit.record(
            action="billing.commission.client_paid",
            obj=commission,
            changes={"client_paid_on": on},
            by=by,
        )
    return commission


def _release(commission: Commission, *, today: datetime.date, by: Any, early: bool) -> None:
    flows.fee_earned(placement=commission.placement, by=by)
    commission.status, commission.payable_on = C.PAYABLE, today
    commission.released_early = early
    commission.save(update_fields=["status", "payable_on", "released_early"])


def sweep_commissions(*, today: datetime.date, by: Any = None) -> dict[str, int]:
    """Daily: pending commissions whose client has paid and whose guarantee has passed
    (`today` after `guarantee_ends_on`) become payable, posting "fee earned"; those whose
    placement fell off are cancelled or clawed back (`record_commission_fall_off`).
    Idempotent: a second run the same day finds nothing to do."""
    with transaction.atomic():
        due = list(
            Commission.objects.select_for_update()
            .select_related("placement__member")
            .filter(
                status=C.PENDING,
                client_paid_on__isnull=False,
                placement__guarantee_ends_on__lt=today,
            )
            .exclude(placement__status=P.FELL_OFF)
            .order_by("id")
        )
        for commission in due:
            _release(commission, today=today, by=by, early=False)
        if due:
            audit.record_bulk(
                action="billing.commission.payable",
                object_type="billing.commission",
                ids=[c.pk for c in due],
                changes={"today": today},
                by=by,
            )
        fallen = list(
            Commission.objects.filter(
                placement__status=P.FELL_OFF, status__in=[C.PENDING, C.PAYABLE, C.PAID]
            ).values_list("placement_id", flat=True)
        )
    settled = 0
    for placement_id in fallen:
        placement = Placement.objects.get(pk=placement_id)
        record_commission_fall_off(placement=placement, by=by)
        settled += 1
    return {"payable": len(due), "fell_off": settled}


def release_commission_early(*, commission: Commission, reason: str, by: Any) -> Commission:
    """Staff pay a commission before the guarantee ends (the client has paid). If the
    placement then falls off, the commission is clawed back."""
    if not getattr(by, "is_staff", False):
        raise PermissionDenied("Only staff release a commission early")
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(["reason: say why the commission is released early"])
    with transaction.atomic():
        commission = _locked(commission)
        if commission.status != C.PENDING:
            raise ConflictError(f"commission {commission.pk}: already {commission.status}")
        if commission.client_paid_on is None:
            raise ConflictError(
                f"commission {commission.pk}: the client has not paid; nothing is released "
                "from money not received"
            )
        if commission.placement.status == P.FELL_OFF:
            raise ConflictError(f"commission {commission.pk}: the placement fell off")
        today = timezone.localdate()
        _release(commission, today=today, by=by, early=True)
        audit.record(
            action="billing.commission.release_early",
            obj=commission,
            changes={"status": {"before": C.PENDING, "after": C.PAYABLE}, "payable_on": today},
            reason=text,
            by=by,
        )
    return commission


def mark_commission_in_payout(*, commission: Commission, by: Any) -> Commission:
    """A payable commission goes into a payout (the payouts app holds the one-live-payout
    constraint; this keeps the commission's own state)."""
    with transaction.atomic():
        commission = _locked(commission)
        if commission.status != C.PAYABLE:
            raise ConflictError(
                f"commission {commission.pk}: only a payable commission goes into a payout "
                f"(it is {commission.status})"
            )
        _move(commission, C.IN_PAYOUT, action="billing.commission.in_payout", by=by)
    return commission


def release_commission_from_payout(*, commission: Commission, reason: str, by: Any) -> Commission:
    """The payout failed or was returned: the commission is payable again."""
    with transaction.atomic():
        commission = _locked(commission)
        if commission.status != C.IN_PAYOUT:
            raise ConflictError(f"commission {commission.pk}: is not in a payout")
        _move(
            commission, C.PAYABLE, action="billing.commission.out_of_payout", by=by,
            reason=(reason or "").strip(),
        )  # fmt: skip
    return commission


def reopen_commission_after_return(*, commission: Commission, reason: str, by: Any) -> Commission:
    """The bank returned the payout after its debit was booked and the commission marked
    paid: the money never reached the member, so the commission is payable again and the
    next batch pays it. Posts nothing: the payouts app reverses its own "payout sent"
    posting, which puts the amount back on the member payable account. A commission
    already payable again changes nothing (a statement line may be read twice). If its
    placement has fallen off meanwhile, the daily sweep cancels it from payable (fee
    earned reversed) rather than paying it."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(["reason: say why the paid commission is reopened"])
    with transaction.atomic():
        commission = _locked(commission)
        if commission.status == C.PAYABLE:
            return commission
        if commission.status != C.PAID:
            raise ConflictError(
                f"commission {commission.pk}: only a paid commission is reopened after a "
                f"returned payout (it is {commission.status})"
            )
        _move(
            commission, C.PAYABLE, action="billing.commission.reopen", by=by, reason=text,
            paid_on=None,
        )  # fmt: skip
    return commission


def mark_commission_paid(
    *, commission: Commission, on: datetime.date | None = None, by: Any
) -> Commission:
    """The payout holding the commission was paid (bank confirmed). Paying again on the
    same commission changes nothing."""
    with transaction.atomic():
        commission = _locked(commission)
        if commission.status == C.PAID:
            return commission
        if commission.status not in (C.IN_PAYOUT, C.PAYABLE):
            raise ConflictError(
                f"commission {commission.pk}: a {commission.status} commission is not paid"
            )
        _move(
            commission, C.PAID, action="billing.commission.paid", by=by,
            paid_on=on or timezone.localdate(),
        )  # fmt: skip
    return commission


def record_commission_fall_off(*, placement: Placement, by: Any) -> Commission | None:
    """The placement fell off: a pending commission is cancelled (no fee was earned); a
    payable one is cancelled and "fee earned" reversed; a paid one is clawed back: "fee
    earned" reversed and what the member was paid moved to their clawback receivable,
    netted from their next payouts. A commission inside a payout must wait for that payout
    to settle (ConflictError). None when the placement has no commission."""
    with transaction.atomic():
        placement = Placement.objects.select_for_update().get(pk=placement.pk)
        if placement.status != P.FELL_OFF:
            raise ConflictError(f"placement {placement.pk}: has not fallen off")
        commission = Commission.objects.select_for_update().filter(placement=placement).first()
        if commission is None or commission.status in (C.CANCELLED, C.CLAWED_BACK):
            return commission
        if commission.status == C.IN_PAYOUT:
            raise ConflictError(
                f"commission {commission.pk}: is in a payout; settle the payout first"
            )
        reason = f"placement {placement.pk} fell off on {placement.fell_off_on}"
        if commission.status == C.PENDING:
            _move(commission, C.CANCELLED, action="billing.commission.cancel", by=by,
                  reason=reason)  # fmt: skip
            return commission
        flows.fee_earned_reversed(placement=placement, reason=reason, by=by)
        if commission.status == C.PAYABLE:
            _move(commission, C.CANCELLED, action="billing.commission.cancel", by=by,
                  reason=reason)  # fmt: skip
            return commission
        flows.clawback_opened(
            placement=placement, amount_cents=int(commission.amount_cents),
            currency=commission.currency, by=by,
        )  # fmt: skip
        _move(
            commission, C.CLAWED_BACK, action="billing.commission.claw_back", by=by,
            reason=reason, clawed_back_on=timezone.localdate(),
        )  # fmt: skip
    return commission
