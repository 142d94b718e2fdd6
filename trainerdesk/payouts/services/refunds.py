"""Paying member refunds out: what billing owes a member (a paid membership invoice that
was credited) leaves the platform's account through the payment rail, or as a bank
transfer staff made and record, with the ledger posting and audit events.

Sending follows the payouts' three steps (`attempts.py`), so nothing is paid twice: the
transfer row with its idempotency key is committed before the rail is called (the
unique live-transfer constraint refuses a second send of the same refund), the rail is
called outside any transaction, and its outcome is recorded after: accepted → submitted
(the bank statement settles it: `statements.py`), paid → paid, rejected → failed (may be
sent again), anything else → ambiguous (never sent again blindly; the statement settles
it). A manual transfer is recorded only while no transfer of the refund is live."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.models import Member
from trainerdesk.payouts import commissions, rails, sepa
from trainerdesk.payouts.models import BankAccount, RefundTransfer
from trainerdesk.payouts.models_refunds import LIVE
from trainerdesk.payouts.services.common import clean_note, new_idempotency_key

S = RefundTransfer.Status


@dataclass(frozen=True)
class RefundRow:
    """A refund billing owes, with its live transfer (None: still to pay)."""

    due: commissions.RefundDue
    member: Member
    transfer: RefundTransfer | None

    @property
    def state(self) -> str:
        if self.transfer is None:
            return "owed"
        return "paid" if self.transfer.status == S.PAID else "in transfer"


def refund_rows(*, member: Member | None = None) -> list[RefundRow]:
    """Every member refund billing owes or owed, newest first, with how it was paid."""
    due = commissions.refunds_due(member_id=member.pk if member is not None else None)
    members = Member.objects.in_bulk({d.member_id for d in due})
    live = {
        t.refund_key: t
        for t in RefundTransfer.objects.defer("file").filter(
            is_live=True, refund_key__in=[d.refund_key for d in due]
        )
    }
    rows = [RefundRow(d, members[d.member_id], live.get(d.refund_key)) for d in due]
    return rows[::-1]


def _due(refund_key: str) -> commissions.RefundDue:
    for due in commissions.refunds_due(refund_key=str(refund_key)):
        return due
    raise InvalidInput([f"refund {refund_key}: billing owes no such member refund"])


def _create(due: commissions.RefundDue, **fields: Any) -> RefundTransfer:
    try:
        with transaction.atomic():
            return RefundTransfer.objects.create(
                refund_key=due.refund_key,
                member_id=due.member_id,
                amount_cents=due.amount_cents,
                currency=due.currency,
                idempotency_key=new_idempotency_key(),
                **fields,
            )
    except IntegrityError:
        raise ConflictError(
            f"refund {due.refund_key}: already being paid or paid (a live transfer exists)"
        ) from None


def send_refund(*, refund_key: str, by: Any) -> RefundTransfer:
    """Pay a refund through the rail to the member's current verified bank account."""
    rail = rails.get_rail()
    due = _due(refund_key)
    if due.currency not in rail.currencies:
        raise InvalidInput([f"refund {refund_key}: the rail does not pay {due.currency}"])
    account = BankAccount.objects.filter(
        member_id=due.member_id, is_current=True, verified=True
    ).first()
    if account is None:
        raise InvalidInput([f"refund {refund_key}: the member has no verified bank account"])
    with transaction.atomic():
        refund = _create(
            due, method=RefundTransfer.Method.RAIL, status=S.SENDING, bank_account=account,
            creditor_name=account.holder_name, creditor_iban=account.iban,
            creditor_bic=account.bic, created_by=_user(by),
        )  # fmt: skip
        audit.record(
            action="payouts.refund.send",
            obj=refund,
            changes={"refund": refund_key, "amount_cents": due.amount_cents, "rail": rail.name},
            by=by,
        )
    transfer = sepa.Transfer(
        end_to_end_id=refund.idempotency_key,
        amount_cents=refund.amount_cents,
        currency=refund.currency,
        creditor=sepa.Account(name=account.holder_name, iban=account.iban, bic=account.bic),
        remittance=f"TrainerDesk refund {refund_key}"[:140],
    )
    try:
        dispatch = rail.send(
            reference=f"TD-REFUND-{refund.pk}",
            transfers=[transfer],
            created_at=refund.created_at,
            execution_date=timezone.localdate(),
        )
        answer = dispatch.outcomes.get(refund.idempotency_key)
        outcome = answer.status if answer is not None else "unknown"
        detail = answer.detail if answer is not None else "the rail said nothing of it"
    except rails.RailRejected as exc:
        dispatch, outcome, detail = None, rails.REJECTED, str(exc)
    except Exception as exc:  # noqa: BLE001 - any other failure leaves the outcome unknown
        dispatch, outcome, detail = None, "unknown", f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        refund = RefundTransfer.objects.select_for_update().get(pk=refund.pk)
        if refund.status != S.SENDING:
            return refund  # settled meanwhile by a statement: the statement is the truth
        if dispatch is not None and dispatch.file:
            refund.file = dispatch.file
            refund.file_name = dispatch.file_name
            refund.file_sha256 = hashlib.sha256(dispatch.file).hexdigest()
        refund.detail = detail[:2000]
        if outcome == rails.PAID:
            refund.save()
            settle_refund_paid(refund, on=timezone.localdate(), reference="", by=by)
            return refund
        refund.status = {rails.ACCEPTED: S.SUBMITTED, rails.REJECTED: S.FAILED}.get(
            outcome, S.AMBIGUOUS
        )
        refund.is_live = refund.status in LIVE
        refund.save()
        _record(refund, "payouts.refund.outcome", S.SENDING, by=by)
    return refund


def record_manual_refund(
    *, refund_key: str, paid_on: datetime.date, bank_reference: str, note: str = "", by: Any
) -> RefundTransfer:
    """Staff paid the refund by a bank transfer of their own: recorded as paid, posted."""
    reference = clean_note(bank_reference, required=True, field="bank_reference")[:100]
    if paid_on > timezone.localdate():
        raise InvalidInput(["paid_on: a transfer made in the future cannot be recorded"])
    due = _due(refund_key)
    with transaction.atomic():
        refund = _create(
            due, method=RefundTransfer.Method.MANUAL, status=S.SENDING, created_by=_user(by),
            detail=clean_note(note, required=False),
        )  # fmt: skip
        settle_refund_paid(refund, on=paid_on, reference=reference, by=by)
    return refund


def mark_refund_not_sent(*, transfer: RefundTransfer, note: str, by: Any) -> RefundTransfer:
    """Staff asked the bank: an ambiguous transfer (the rail's answer was lost) never left
    the account. It becomes failed and not live, so the refund is owed again and may be
    sent (a new key) or recorded. Should a statement later show it booked after all, the
    entry is listed unmatched ("a debit for refund transfer N, which is failed") for staff
    to take back by hand, never settled over a newer transfer."""
    text = clean_note(note, required=True)
    with transaction.atomic():
        refund = RefundTransfer.objects.select_for_update().get(pk=transfer.pk)
        if refund.status != S.AMBIGUOUS:
            raise ConflictError(f"refund transfer {refund.pk}: is {refund.status}, not ambiguous")
        refund.status, refund.is_live, refund.detail = S.FAILED, False, text
        refund.save(update_fields=["status", "is_live", "detail"])
        _record(refund, "payouts.refund.outcome", S.AMBIGUOUS, by=by, note=text)
    return refund


def settle_refund_paid(
    refund: RefundTransfer, *, on: datetime.date, reference: str, by: Any
) -> None:
    """The refund left the account (locked row, caller's transaction): posted, audited."""
    before = refund.status
    refund.status, refund.is_live, refund.paid_on = S.PAID, True, on
    refund.bank_reference = reference[:100]
    refund.save(update_fields=["status", "is_live", "paid_on", "bank_reference"])
    commissions.post_refund_paid(refund, by=by)
    _record(
        refund, "payouts.refund.paid", before, by=by, method=refund.method, paid_on=on,
        amount_cents=refund.amount_cents, currency=refund.currency,
    )  # fmt: skip


def settle_refund_returned(
    refund: RefundTransfer, *, on: datetime.date, reason: str, by: Any
) -> None:
    """The bank sent a refund back (locked row, caller's transaction): the paid posting
    reversed, the transfer no longer live, so the refund is owed again."""
    before = refund.status
    why = f"refund transfer {refund.pk} returned by the bank ({reason or 'no reason code'})"
    if before == S.PAID:
        commissions.post_refund_returned(refund, reason=why, by=by)
    refund.status, refund.is_live, refund.returned_on = S.RETURNED, False, on
    refund.save(update_fields=["status", "is_live", "returned_on"])
    _record(refund, "payouts.refund.returned", before, by=by, reason=reason)


def _record(refund: RefundTransfer, action: str, before: str, *, by: Any, **facts: Any) -> None:
    changes = {"refund": refund.refund_key, "status": {"before": before, "after": refund.status}}
    audit.record(action=action, obj=refund, changes={**changes, **facts}, by=by)


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None
