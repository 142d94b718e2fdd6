"""Offers: the client makes one (the submission moves to offer), and the candidate's
answer is recorded by their member, the client or staff. A declined offer moves no
stage: a person decides what happens next."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit, money
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.placements import parties
from trainerdesk.placements.models import Offer, PayUnit, Stage, Submission
from trainerdesk.placements.services.common import lock_submission
from trainerdesk.placements.services.stages import move_locked

OFFERABLE = frozenset({Stage.CLIENT_REVIEW, Stage.INTERVIEW, Stage.OFFER})
MAX_PAY_CENTS = 10**9


def make_offer(
    *,
    submission: Submission,
    pay_cents: int,
    currency: str,
    unit: str,
    start_date: datetime.date,
    hours_per_week: int | None = None,
    by,
) -> Offer:
    errors = []
    if not 1 <= pay_cents <= MAX_PAY_CENTS:
        errors.append(f"pay_cents: a whole number of cents between 1 and {MAX_PAY_CENTS}")
    try:
        currency = money.validate_currency(currency.upper())
    except money.MoneyError as exc:
        errors.extend(exc.errors)
    if unit not in PayUnit.values:
        errors.append(f"unit: one of {', '.join(PayUnit.values)}")
    if hours_per_week is not None and not 1 <= hours_per_week <= 80:
        errors.append("hours_per_week: between 1 and 80")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        submission = lock_submission(submission)
        if not parties.roles_on(by, submission) & {"client", "staff"}:
            raise PermissionDenied("Only the client (or staff) makes offers")
        if submission.stage not in OFFERABLE:
            raise ConflictError(
                f"submission: cannot make an offer in stage "
                f"{submission.get_stage_display().lower()}"
            )
        if submission.offers.filter(status=Offer.Status.PENDING).exists():
            raise ConflictError("submission: an offer is already waiting for an answer")
        if submission.stage != Stage.OFFER:
            move_locked(submission=submission, to_stage=Stage.OFFER, by=by, reason="offer made")
        offer = Offer.objects.create(
            submission=submission,
            pay_cents=pay_cents,
            currency=currency,
            unit=unit,
            hours_per_week=hours_per_week or submission.opening.hours_per_week,
            start_date=start_date,
            created_by=by,
        )
        audit.record(
            action="placements.offer.create",
            obj=offer,
            changes={
                "submission": submission.pk,
                "pay_cents": pay_cents,
                "currency": offer.currency,
                "unit": unit,
                "hours_per_week": offer.hours_per_week,
                "start_date": start_date,
            },
            by=by,
        )
    return offer


def answer_offer(*, offer: Offer, accepted: bool, by) -> Offer:
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update()
            .select_related("submission__opening__client", "submission__member")
            .get(pk=offer.pk)
        )
        if not parties.roles_on(by, offer.submission):
            raise PermissionDenied("You may not answer this offer")
        if offer.status != Offer.Status.PENDING:
            raise ConflictError(f"offer: already {offer.get_status_display().lower()}")
        if offer.submission.stage != Stage.OFFER:
            raise ConflictError("offer: the submission is no longer at the offer stage")
        offer.status = Offer.Status.ACCEPTED if accepted else Offer.Status.DECLINED
        offer.answered_at, offer.answered_by = timezone.now(), by
        offer.save(update_fields=["status", "answered_at", "answered_by"])
        audit.record(
            action="placements.offer.answer", obj=offer, changes={"status": offer.status}, by=by
        )
    return offer
