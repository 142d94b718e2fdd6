"""The one door from payouts to billing: commissions (what each placement earned, and its
state) and the ledger postings of a payout. Nothing else in payouts imports billing, so a
change of billing's API is a change here only.

Billing owns the commission's states (pending → payable → in_payout → paid, clawed_back;
paid → payable when the bank returns a payout after booking its debit)
and the ledger (payout: Dr member payable / Cr clawback receivable (netted) / Cr cash);
payouts owns which payout holds a commission (`PayoutItem`, at most one live per
commission, enforced by the database).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from trainerdesk.billing.models import Commission
from trainerdesk.billing.services import commissions as billing_commissions
from trainerdesk.billing.services import flows, ledger

PAYABLE = Commission.Status.PAYABLE
IN_PAYOUT = Commission.Status.IN_PAYOUT
PAID = Commission.Status.PAID


def locked_payable(*, commission_ids: list[int] | None = None):
    """Payable commissions, locked for this transaction (select_for_update), oldest first
    per member; only those in `commission_ids` when given."""
    qs = Commission.objects.select_for_update().filter(status=PAYABLE)
    if commission_ids is not None:
        qs = qs.filter(pk__in=commission_ids)
    return qs.order_by("member_id", "currency", "created_at", "pk")


def refusal(commission_id: int, *, today: datetime.date) -> str:
    """Why commission `commission_id` cannot go into a payout now, for the error message
    (empty when it can)."""
    commission = Commission.objects.select_related("placement").filter(pk=commission_id).first()
    if commission is None:
        return f"commission {commission_id}: no such commission"
    if commission.status == PAYABLE:
        return ""
    if commission.status == Commission.Status.PENDING:
        reasons = []
        if commission.client_paid_on is None:
            reasons.append("the client has not paid")
        ends = commission.placement.guarantee_ends_on
        if not today > ends:
            reasons.append(f"the guarantee runs until {ends}")
        why = " and ".join(reasons) or "not released yet"
        return f"commission {commission_id}: not payable yet ({why})"
    return f"commission {commission_id}: is {commission.get_status_display().lower()}"


def mark_in_payout(commission: Commission, *, by: Any) -> None:
    billing_commissions.mark_commission_in_payout(commission=commission, by=by)


def release(commission: Commission, *, reason: str, by: Any) -> bool:
    """The commission's payout failed or was returned: payable again. A commission already
    marked paid (the return came after the booked debit) is reopened by billing; the
    caller reverses the "sent" posting. False only when billing has moved it elsewhere
    (e.g. clawed back after a fall-off), so the caller opens a case for staff."""
    commission.refresh_from_db(fields=["status"])
    if commission.status == IN_PAYOUT:
        billing_commissions.release_commission_from_payout(
            commission=commission, reason=reason, by=by
        )
        return True
    if commission.status == PAID:
        billing_commissions.reopen_commission_after_return(
            commission=commission, reason=reason, by=by
        )
        return True
    return False


def mark_paid(commission: Commission, *, on: datetime.date, by: Any) -> None:
    billing_commissions.mark_commission_paid(commission=commission, on=on, by=by)


@dataclass(frozen=True)
class Plan:
    gross: int
    clawback: int
    cash: int


def plan(*, member: Any, gross_cents: int, currency: str) -> Plan:
    """How much of `gross_cents` nets the member's outstanding clawback, and the cash."""
    p = flows.plan_payout(member=member, gross_cents=gross_cents, currency=currency)
    return Plan(gross=p.gross, clawback=p.clawback, cash=p.cash)


def post_paid(payout: Any, *, by: Any) -> Any:
    """Ledger: the payout left the bank account (idempotent per payout in billing)."""
    return flows.payout_sent(
        payout_key=payout.idempotency_key,
        member=payout.member,
        gross_cents=payout.gross_cents,
        currency=payout.currency,
        clawback_cents=payout.clawback_cents,
        by=by,
    )


def post_returned(payout: Any, *, reason: str, by: Any) -> Any:
    """Ledger: the bank returned a paid payout; the "sent" posting is reversed."""
    return _reverse(f"payout:{payout.idempotency_key}", "sent", "returned", reason=reason, by=by)


def _reverse(prefix: str, posted: str, reversal: str, *, reason: str, by: Any) -> Any:
    """Reverse the posting `<prefix>:<posted>` as `<prefix>:<reversal>` (None when it was
    never posted)."""
    from trainerdesk.billing.models import LedgerTransaction

    txn = LedgerTransaction.objects.filter(source_key=f"{prefix}:{posted}").first()
    if txn is None:
        return None
    return ledger.reverse_transaction(
        transaction=txn, reason=reason, by=by, source_key=f"{prefix}:{reversal}"
    )


def for_member(member: Any):
    """A member's commissions, newest first, with their placements (for the statement)."""
    return (
        Commission.objects.filter(member=member)
        .select_related("placement__client", "placement__submission__opening")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class StatementRow:
    """One line of a member's commission statement: what a placement earned, when it
    is (or became) payable, when it was paid and by which payout."""

    commission_id: int
    placement_id: int
    client: str
    role: str
    amount_cents: int
    currency: str
    status: str
    status_label: str
    client_paid_on: datetime.date | None
    guarantee_ends_on: datetime.date
    payable_on: datetime.date | None
    paid_on: datetime.date | None
    payout_id: int | None


def statement_rows(member: Any) -> list[StatementRow]:
    from trainerdesk.payouts.models import PayoutItem

    live = dict(
        PayoutItem.objects.filter(commission__member=member, is_live=True).values_list(
            "commission_id", "payout_id"
        )
    )
    rows = []
    for c in for_member(member):
        placement = c.placement
        rows.append(
            StatementRow(
                commission_id=c.pk,
                placement_id=placement.pk,
                client=placement.client.name,
                role=placement.submission.opening.title,
                amount_cents=c.amount_cents,
                currency=c.currency,
                status=c.status,
                status_label=c.get_status_display(),
                client_paid_on=c.client_paid_on,
                guarantee_ends_on=placement.guarantee_ends_on,
                payable_on=c.payable_on,
                paid_on=c.paid_on,
                payout_id=live.get(c.pk),
            )
        )
    return rows


def totals(rows: list[StatementRow]) -> list[dict[str, Any]]:
    """Sums per currency and status (pending, payable, in payout, paid), in cents."""
    sums: dict[str, dict[str, int]] = {}
    for row in rows:
        per = sums.setdefault(row.currency, {})
        per[row.status] = per.get(row.status, 0) + row.amount_cents
    return [{"currency": cur, **per} for cur, per in sorted(sums.items())]


def payable_summary() -> list[dict[str, Any]]:
    """Payable commissions waiting for a batch: count and total per currency."""
    from django.db.models import Count, Sum

    return list(
        Commission.objects.filter(status=PAYABLE)
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("amount_cents"))
        .order_by("currency")
    )


# -- member refunds: billing owes them (member_refund.due), payouts pays them -------------

REFUND_DUE = "member_refund.due"


@dataclass(frozen=True)
class RefundDue:
    """A refund billing owes a member: the key of its `member_refund:<key>:due` posting."""

    refund_key: str
    member_id: int
    amount_cents: int
    currency: str
    due_at: datetime.datetime | None
    transaction_id: int


def refunds_due(*, member_id: int | None = None, refund_key: str | None = None) -> list[RefundDue]:
    """Every member refund billing has posted as owed (not reversed), oldest first; one
    member's, or the one of `refund_key`."""
    from trainerdesk.billing.models import AccountKind, Leg

    legs = Leg.objects.filter(
        transaction__kind=REFUND_DUE,
        transaction__status="posted",
        transaction__reversed_by__isnull=True,
        account__kind=AccountKind.MEMBER_RECEIVABLE,
    )
    if member_id is not None:
        legs = legs.filter(account__member_id=member_id)
    if refund_key is not None:
        legs = legs.filter(transaction__source_key=f"member_refund:{refund_key}:due")
    rows = legs.values_list(
        "transaction_id",
        "transaction__source_key",
        "transaction__posted_at",
        "account__member_id",
        "amount",
        "currency",
    ).order_by("transaction_id")
    return [
        RefundDue(
            refund_key=key.removeprefix("member_refund:").removesuffix(":due"),
            member_id=member,
            amount_cents=int(amount),
            currency=currency,
            due_at=posted_at,
            transaction_id=txn,
        )
        for txn, key, posted_at, member, amount, currency in rows
    ]


def post_refund_paid(transfer: Any, *, by: Any) -> Any:
    """Ledger: a refund transfer left the bank (Dr refunds / Cr cash), under the
    transfer's own key: a refund sent again after a return posts again, once."""
    return flows.member_refund_paid(
        refund_key=transfer.idempotency_key,
        amount_cents=transfer.amount_cents,
        currency=transfer.currency,
        by=by,
    )


def post_refund_returned(transfer: Any, *, reason: str, by: Any) -> Any:
    """Ledger: the bank returned a paid refund transfer; its "paid" posting is reversed,
    so the refund is owed again."""
    prefix = f"member_refund:{transfer.idempotency_key}"
    return _reverse(prefix, "paid", "returned", reason=reason, by=by)
