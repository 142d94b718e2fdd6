"""Sending payouts through the rail, and settling them: the part that must never pay twice.

An attempt has three steps, so no lock is held while the rail is called and no outcome is
ever guessed:
1. in a transaction, with the payout rows locked (select_for_update): check the state,
   move the payouts to `sending` and write a pending `PayoutAttempt`; commit. Concurrent
   retries of one payout queue on the row lock, and all but the first then find it
   `sending` (or already `submitted`/`paid`) and do nothing.
2. call the rail, outside any transaction.
3. in a transaction, locked again: record the outcome. `accepted` → submitted (the bank
   statement settles it), `paid` → paid (ledger posted), `rejected` → failed (nothing
   was sent; a retry with the same key is safe), anything else — a timeout, an error, the
   process dying between 1 and 3 (the attempt stays pending) — → ambiguous, with a
   reconciliation case. An ambiguous payout is never retried until staff settle its case
   (`reconciliation.resolve_case`) or a statement shows what happened.
The same idempotency key goes with every attempt of a payout (EndToEndId), so the bank
statement recognises whichever attempt went through.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError
from trainerdesk.payouts import commissions, rails, sepa
from trainerdesk.payouts.models import (
    Payout,
    PayoutAttempt,
    PayoutBatch,
    PayoutItem,
    ReconciliationCase,
)
from trainerdesk.payouts.services.common import clean_note

S = Payout.Status
OUT = PayoutAttempt.Outcome
# An attempt still pending after this long was cut off (the process died mid-call).
STALE_ATTEMPT = datetime.timedelta(minutes=10)


def transfer_for(payout: Payout) -> sepa.Transfer:
    return sepa.Transfer(
        end_to_end_id=payout.idempotency_key,
        amount_cents=payout.amount_cents,
        currency=payout.currency,
        creditor=sepa.Account(
            name=payout.creditor_name, iban=payout.creditor_iban, bic=payout.creditor_bic
        ),
        remittance=f"TrainerDesk commission payout {payout.pk}",
    )


def begin(payout: Payout, *, rail: rails.PaymentRail, by: Any) -> PayoutAttempt:
    """Step 1 for one locked payout (the caller holds the transaction)."""
    payout.status = S.SENDING
    payout.attempts += 1
    payout.save(update_fields=["status", "attempts"])
    attempt = PayoutAttempt.objects.create(
        payout=payout, number=payout.attempts, rail=rail.name, by=_user(by)
    )
    audit.record(
        action="payouts.payout.attempt",
        obj=payout,
        changes={"attempt": attempt.number, "rail": rail.name, "key": payout.idempotency_key},
        by=by,
    )
    return attempt


def send(
    rail: rails.PaymentRail,
    *,
    reference: str,
    payouts: Sequence[Payout],
    created_at: datetime.datetime,
    execution_date: datetime.date,
) -> tuple[rails.Dispatch | None, str, str]:
    """Step 2: (dispatch, "", "") or (None, outcome, detail) when the rail refused
    (REJECTED) or its outcome is unknown (UNKNOWN)."""
    transfers = [transfer_for(p) for p in payouts]
    try:
        dispatch = rail.send(
            reference=reference,
            transfers=transfers,
            created_at=created_at,
            execution_date=execution_date,
        )
    except rails.RailRejected as exc:
        return None, OUT.REJECTED, str(exc)
    except Exception as exc:  # noqa: BLE001 - any other failure leaves the outcome unknown
        return None, OUT.UNKNOWN, f"{type(exc).__name__}: {exc}"
    return dispatch, "", ""


def finish(
    attempts: Sequence[PayoutAttempt],
    *,
    dispatch: rails.Dispatch | None,
    outcome: str,
    detail: str,
    by: Any,
    batch_id: int | None = None,
) -> None:
    """Step 3, in its own transaction; a batch's file is stored in the same one, so a
    submitted payout always has the file that carried it."""
    with transaction.atomic():
        if batch_id is not None and dispatch is not None and dispatch.file:
            PayoutBatch.objects.filter(pk=batch_id).update(
                file=dispatch.file,
                file_name=dispatch.file_name,
                file_sha256=hashlib.sha256(dispatch.file).hexdigest(),
            )
        ids = [a.payout_id for a in attempts]
        locked = {p.pk: p for p in Payout.objects.select_for_update().filter(pk__in=ids)}
        sha = hashlib.sha256(dispatch.file).hexdigest() if dispatch and dispatch.file else ""
        for attempt in attempts:
            payout = locked[attempt.payout_id]
            result = outcome
            text = detail
            reference = ""
            if dispatch is not None:
                answer = dispatch.outcomes.get(payout.idempotency_key)
                if answer is None:
                    result, text = OUT.UNKNOWN, "the rail said nothing about this transfer"
                else:
                    result = {
                        rails.ACCEPTED: OUT.ACCEPTED,
                        rails.PAID: OUT.PAID,
                        rails.REJECTED: OUT.REJECTED,
                    }.get(answer.status, OUT.UNKNOWN)
                    text, reference = answer.detail, answer.reference
            _record_outcome(payout, attempt, result, text, reference, sha, by=by)
            if batch_id is None and dispatch is not None and dispatch.file:
                PayoutAttempt.objects.filter(pk=attempt.pk).update(
                    file=dispatch.file, file_name=dispatch.file_name
                )


def _record_outcome(
    payout: Payout,
    attempt: PayoutAttempt,
    result: str,
    detail: str,
    reference: str,
    sha: str,
    *,
    by: Any,
) -> None:
    now = timezone.now()
    PayoutAttempt.objects.filter(pk=attempt.pk).update(
        outcome=result, detail=detail[:2000], finished_at=now, file_sha256=sha
    )
    if payout.status != S.SENDING:
        # Settled meanwhile (a statement showed it paid): the statement is the truth.
        return
    before = payout.status
    if result == OUT.ACCEPTED:
        payout.status = S.SUBMITTED
        payout.submitted_at = now
    elif result == OUT.PAID:
        payout.submitted_at = payout.submitted_at or now
        payout.save(update_fields=["submitted_at"])
        settle_paid(payout, on=timezone.localdate(), reference=reference, by=by)
        return
    elif result == OUT.REJECTED:
        payout.status = S.FAILED
    else:
        payout.status = S.AMBIGUOUS
        open_ambiguous_case(payout, attempt=attempt.number, detail=detail, by=by)
    payout.detail = detail[:2000]
    payout.save(update_fields=["status", "submitted_at", "detail"])
    audit.record(
        action="payouts.payout.outcome",
        obj=payout,
        changes={"status": {"before": before, "after": payout.status}, "attempt": attempt.number},
        by=by,
    )


def open_ambiguous_case(payout: Payout, *, attempt: int, detail: str, by: Any) -> None:
    case = ReconciliationCase.objects.filter(
        payout=payout, kind=ReconciliationCase.Kind.AMBIGUOUS, status="open"
    ).first()
    if case is None:
        case = ReconciliationCase.objects.create(
            kind=ReconciliationCase.Kind.AMBIGUOUS,
            payout=payout,
            details={"attempts": [{"attempt": attempt, "detail": detail[:500]}]},
        )
        audit.record(action="payouts.case.open", obj=case, changes={"payout": payout.pk}, by=by)
    else:
        case.details.setdefault("attempts", []).append({"attempt": attempt, "detail": detail})
        case.save(update_fields=["details"])


def settle_paid(payout: Payout, *, on: datetime.date, reference: str, by: Any) -> None:
    """The payout left the account (locked payout, caller's transaction): ledger posted
    through billing, its commissions paid, an open ambiguous case closed by it."""
    before = payout.status
    payout.status = S.PAID
    payout.paid_on = on
    payout.bank_reference = reference[:100]
    payout.save(update_fields=["status", "paid_on", "bank_reference"])
    commissions.post_paid(payout, by=by)
    items = PayoutItem.objects.filter(payout=payout, is_live=True).select_related("commission")
    for item in items:
        commissions.mark_paid(item.commission, on=on, by=by)
    for case in ReconciliationCase.objects.filter(payout=payout, status="open", kind="ambiguous"):
        case.status = ReconciliationCase.Status.RESOLVED
        case.resolution = "paid"
        case.note = f"settled: paid on {on}"
        case.resolved_at = timezone.now()
        case.resolved_by = _user(by)
        case.save(update_fields=["status", "resolution", "note", "resolved_at", "resolved_by"])
        audit.record(action="payouts.case.resolve", obj=case, changes={"resolution": "paid"}, by=by)
    audit.record(
        action="payouts.payout.paid",
        obj=payout,
        changes={
            "status": {"before": before, "after": S.PAID},
            "paid_on": on,
            "amount_cents": payout.amount_cents,
            "currency": payout.currency,
        },
        by=by,
    )


def settle_returned(payout: Payout, *, on: datetime.date, reason: str, by: Any) -> None:
    """The bank sent the money back (locked payout, caller's transaction): the ledger's
    payout posting reversed if it was paid, its commissions payable again (the items stop
    being live, so a new payout may take them)."""
    before = payout.status
    why = f"payout {payout.pk} returned by the bank ({reason or 'no reason code'})"
    if before == S.PAID:
        commissions.post_returned(payout, reason=why, by=by)
    payout.status = S.RETURNED
    payout.returned_on = on
    payout.return_reason = reason[:35]
    payout.save(update_fields=["status", "returned_on", "return_reason"])
    items = list(
        PayoutItem.objects.filter(payout=payout, is_live=True).select_related("commission")
    )
    PayoutItem.objects.filter(pk__in=[i.pk for i in items]).update(is_live=False)
    stuck = [
        i.commission_id for i in items if not commissions.release(i.commission, reason=why, by=by)
    ]
    if stuck:
        case = ReconciliationCase.objects.create(
            kind=ReconciliationCase.Kind.UNEXPECTED,
            payout=payout,
            details={
                "reason": "returned, but billing has moved these commissions on (e.g. "
                "clawed back after a fall-off); staff settle them by hand",
                "commissions": stuck,
            },
        )
        audit.record(action="payouts.case.open", obj=case, changes={"payout": payout.pk}, by=by)
    audit.record(
        action="payouts.payout.returned",
        obj=payout,
        changes={"status": {"before": before, "after": S.RETURNED}, "reason": reason},
        by=by,
    )


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None


def retry_payout(*, payout: Payout, by: Any) -> Payout:
    """Try a payout again with the same idempotency key. Safe to call any number of
    times, concurrently: a payout already submitted or paid is returned as it is; one in
    flight or ambiguous is refused (ConflictError) — an ambiguous one goes to
    reconciliation, never to a blind retry; only a created or failed payout (nothing was
    sent) is sent again."""
    rail = rails.get_rail()
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status in (S.SUBMITTED, S.PAID):
            return payout
        if payout.status == S.SENDING:
            last = payout.attempt_log.order_by("-number").first()
            if last is None or timezone.now() - last.started_at < STALE_ATTEMPT:
                raise ConflictError(f"payout {payout.pk}: an attempt is in flight")
            # The attempt was cut off: nobody knows whether it reached the bank.
            payout.status = S.AMBIGUOUS
            payout.save(update_fields=["status"])
            open_ambiguous_case(payout, attempt=last.number, detail="attempt cut off", by=by)
            PayoutAttempt.objects.filter(pk=last.pk).update(
                outcome=OUT.UNKNOWN, finished_at=timezone.now(), detail="cut off"
            )
            return payout
        if payout.status == S.AMBIGUOUS:
            case = payout.cases.filter(status="open").first()
            raise ConflictError(
                f"payout {payout.pk}: its outcome is unknown and in reconciliation"
                + (f" (case {case.pk})" if case else "")
                + "; settle it there or import the bank statement, never retry blindly"
            )
        if payout.status in (S.RETURNED, S.CANCELLED):
            raise ConflictError(
                f"payout {payout.pk}: is {payout.status}; its commissions go into a new payout"
            )
        attempt = begin(payout, rail=rail, by=by)
    dispatch, outcome, detail = send(
        rail,
        reference=f"TD-PAYOUT-{payout.pk}-{attempt.number}",
        payouts=[payout],
        created_at=attempt.started_at,
        execution_date=timezone.localdate(),
    )
    finish([attempt], dispatch=dispatch, outcome=outcome, detail=detail, by=by)
    return Payout.objects.get(pk=payout.pk)


def cancel_payout(*, payout: Payout, reason: str, by: Any) -> Payout:
    """Give up on a payout nothing was sent for (created, or failed: the rail refused
    it), e.g. when the member's account was closed: its commissions are payable again and
    go into a new payout, with a new key, to the member's current account. A payout that
    may have reached the bank (submitted, ambiguous) cannot be cancelled: the statement or
    reconciliation settles it first."""
    text = clean_note(reason, required=True, field="reason")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status not in (S.CREATED, S.FAILED):
            raise ConflictError(
                f"payout {payout.pk}: is {payout.status}; only a created or failed payout "
                "(nothing sent) can be cancelled"
            )
        before = payout.status
        payout.status = S.CANCELLED
        payout.detail = text
        payout.save(update_fields=["status", "detail"])
        items = list(
            PayoutItem.objects.filter(payout=payout, is_live=True).select_related("commission")
        )
        PayoutItem.objects.filter(pk__in=[i.pk for i in items]).update(is_live=False)
        why = f"payout {payout.pk} cancelled: {text}"
        for item in items:
            commissions.release(item.commission, reason=why, by=by)
        audit.record(
            action="payouts.payout.cancel",
            obj=payout,
            changes={"status": {"before": before, "after": S.CANCELLED}},
            reason=text,
            by=by,
        )
    return payout
