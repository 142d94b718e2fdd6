"""Payouts' personal data for the privacy registry (registered in apps.py): a member's
bank accounts, payouts (with the creditor name, IBAN and BIC as the file wrote them),
their batches' pain.001 files and the reconciliation cases about them.

Payouts are payment records, kept whole with their creditor snapshot (Austrian BAO § 132:
seven years from the end of the year); so are the pain.001 files and bank statements that
carry the same name and IBAN, as the bank's and the books' evidence. The bank account rows
themselves are only where to pay next: once no payout of the member is in flight or in
reconciliation, their holder name, IBAN and BIC are erased (the payouts keep their own
copy). A payout in flight or in reconciliation is an open obligation and keeps them."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from trainerdesk.network.models import Member
from trainerdesk.payouts import commissions
from trainerdesk.payouts.models import (
    BankAccount,
    Payout,
    PayoutBatch,
    PayoutItem,
    ReconciliationCase,
    RefundTransfer,
    StatementImport,
)
from trainerdesk.privacy.registry import (
    ERASED,
    Obligation,
    PersonalDataHandler,
    Retained,
    Subject,
    Table,
    bao_until,
)

IN_FLIGHT = (
    Payout.Status.CREATED,
    Payout.Status.SENDING,
    Payout.Status.SUBMITTED,
    Payout.Status.AMBIGUOUS,
)
BAO = "payment record: Austrian BAO § 132, seven years from the end of the year"


def _members(subject: Subject) -> Any:
    if not subject.user_id:
        return Member.objects.none()
    return Member.objects.filter(user_id=subject.user_id)


def _accounts(subject: Subject) -> Any:
    return BankAccount.objects.filter(member__in=_members(subject))


def _payouts(subject: Subject) -> Any:
    return Payout.objects.filter(member__in=_members(subject))


def _refunds(subject: Subject) -> Any:
    return RefundTransfer.objects.filter(member__in=_members(subject))


def _statements(subject: Subject) -> Any:
    """Imported bank statements that carry the member's transfers: the lines that settled
    (or named) their payouts or refund transfers, and cases opened about their payouts."""
    payouts, refunds = _payouts(subject), _refunds(subject)
    return StatementImport.objects.filter(
        Q(lines__payout__in=payouts) | Q(lines__refund__in=refunds) | Q(cases__payout__in=payouts)
    ).distinct()


def _refunds_in_flight(subject: Subject) -> Any:
    return _refunds(subject).filter(status__in=("sending", "submitted", "ambiguous"))


def _refunds_unpaid(subject: Subject) -> list[Any]:
    """Refunds billing owes the member that no transfer has paid or is paying yet: money
    to send them, so their bank account is still needed."""
    live = set(_refunds(subject).filter(is_live=True).values_list("refund_key", flat=True))
    return [
        due
        for member_id in _members(subject).values_list("pk", flat=True)
        for due in commissions.refunds_due(member_id=member_id)
        if due.refund_key not in live
    ]


def _money_owed_to(subject: Subject) -> bool:
    return _refunds_in_flight(subject).exists() or bool(_refunds_unpaid(subject))


def _live(subject: Subject) -> Any:
    """Payouts that may still move money or that staff must still settle."""
    payouts = _payouts(subject)
    return payouts.filter(
        Q(status__in=IN_FLIGHT) | Q(cases__status=ReconciliationCase.Status.OPEN)
    ).distinct()


class PayoutsHandler(PersonalDataHandler):
    app = "payouts"
    personal_fields = {"payouts.bankaccount": frozenset({"holder_name", "iban", "bic"})}

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        return {
            "payouts.bankaccount": ids(_accounts(subject)),
            "payouts.payout": ids(_payouts(subject)),
            "payouts.refundtransfer": ids(_refunds(subject)),
        }

    def export(self, subject: Subject) -> list[Table]:
        # The person's own data in full: the IBAN is theirs, not masked.
        return [
            Table.from_queryset(
                "payouts.bankaccount",
                _accounts(subject),
                ("id", "holder_name", "iban", "bic", "is_current", "verified", "created_at"),
            ),
            Table.from_queryset(
                "payouts.payout",
                _payouts(subject).order_by("pk"),
                (
                    "id",
                    "batch_id",
                    "batch__file_sha256",
                    "creditor_name",
                    "creditor_iban",
                    "creditor_bic",
                    "gross_cents",
                    "clawback_cents",
                    "amount_cents",
                    "currency",
                    "idempotency_key",
                    "status",
                    "submitted_at",
                    "paid_on",
                    "returned_on",
                    "return_reason",
                ),
            ),
            Table.from_queryset(
                "payouts.refundtransfer",
                _refunds(subject).order_by("pk"),
                (
                    "id",
                    "refund_key",
                    "amount_cents",
                    "currency",
                    "method",
                    "status",
                    "creditor_name",
                    "creditor_iban",
                    "creditor_bic",
                    "idempotency_key",
                    "paid_on",
                    "returned_on",
                    "bank_reference",
                    "created_at",
                ),
            ),
            Table.from_queryset(
                "payouts.payoutitem",
                PayoutItem.objects.filter(payout__in=_payouts(subject)),
                ("id", "payout_id", "commission_id", "amount_cents", "currency", "is_live"),
            ),
        ]

    def _erasable_accounts(self, subject: Subject) -> Any:
        if _live(subject).exists() or _money_owed_to(subject):
            return BankAccount.objects.none()
        return _accounts(subject).exclude(holder_name=ERASED)

    def personal_values(self, subject: Subject) -> set[str]:
        values: set[str] = set()
        for row in self._erasable_accounts(subject).values("holder_name", "iban"):
            values |= {v for v in row.values() if v}
        return values

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        accounts = self._erasable_accounts(subject)
        counts = {"payouts.bankaccount": accounts.count()}
        if not dry_run:
            accounts.update(holder_name=ERASED, iban="", bic="", is_current=False)
        return counts

    def retained(self, subject: Subject) -> list[Retained]:
        payouts, refunds = _payouts(subject), _refunds(subject)
        last = max(
            (d for d in (payouts.aggregate(at=Max("created_at"))["at"],
                         refunds.aggregate(at=Max("created_at"))["at"]) if d),
            default=None,
        )  # fmt: skip
        if not last:
            return []
        until = bao_until(timezone.localdate(last))
        out = []
        if payouts.exists():
            out += [
                Retained(
                    "payouts.payout",
                    tuple(payouts.values_list("pk", flat=True)),
                    ("creditor_name", "creditor_iban", "creditor_bic", "amounts", "dates"),
                    BAO,
                    until,
                ),
                Retained(
                    "payouts.payoutbatch",
                    tuple(
                        PayoutBatch.objects.filter(payouts__in=payouts)
                        .distinct()
                        .values_list("pk", flat=True)
                    ),
                    ("file",),
                    "the pain.001 file sent to the bank names the creditor: " + BAO,
                    until,
                ),
            ]
        if refunds.exists():
            out.append(
                Retained(
                    "payouts.refundtransfer",
                    tuple(refunds.values_list("pk", flat=True)),
                    ("creditor_name", "creditor_iban", "creditor_bic", "file", "amounts"),
                    "a refund paid to the member: " + BAO,
                    until,
                )
            )
        statements = _statements(subject)
        if statements.exists():
            # The bank's statement is the books' evidence of the transfers: kept whole
            # (it names the member as creditor), for as long as the payments it proves.
            out.append(
                Retained(
                    "payouts.statementimport",
                    tuple(statements.values_list("pk", flat=True)),
                    ("file", "unmatched"),
                    "the bank statement (camt.053) that settled the member's transfers: " + BAO,
                    until,
                )
            )
        if _live(subject).exists() or _money_owed_to(subject):
            out.append(
                Retained(
                    "payouts.bankaccount",
                    tuple(_accounts(subject).values_list("pk", flat=True)),
                    ("holder_name", "iban", "bic"),
                    "a payout or refund to this account is owed, in flight or in reconciliation",
                )
            )
        return out

    def obligations(self, subject: Subject) -> list[Obligation]:
        return (
            [
                Obligation(
                    "payouts.payout",
                    p.pk,
                    f"payout {p.idempotency_key} is {p.get_status_display().lower()}"
                    + (
                        " with an open reconciliation case"
                        if p.status == Payout.Status.PAID
                        else ""
                    ),
                )
                for p in _live(subject)
            ]
            + [
                Obligation(
                    "payouts.refundtransfer",
                    r.pk,
                    f"refund transfer {r.idempotency_key} is {r.get_status_display().lower()}",
                )
                for r in _refunds_in_flight(subject)
            ]
            + [
                Obligation(
                    "billing.ledgertransaction",
                    due.transaction_id,
                    f"refund {due.refund_key} of {due.amount_cents} {due.currency} (minor units) "
                    "is owed to the member and not paid yet",
                )
                for due in _refunds_unpaid(subject)
            ]
        )
