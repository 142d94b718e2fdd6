"""Billing's personal data for the privacy registry (registered in apps.py): a member's
ledger accounts with their legs, and their commissions.

Ledger entries and commissions are financial records: kept whole (Austrian BAO § 132:
seven years from the end of the year), and they hold no personal field of their own (the
member is a foreign key; the network keeps the name under its own retention). Nothing is
erased here. A commission payable or in a payout is an open obligation: the platform
still owes the member money."""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.utils import timezone

from trainerdesk.billing.models import Account, Commission, Leg
from trainerdesk.lib.money import format_money
from trainerdesk.network.models import Member
from trainerdesk.privacy.registry import (
    Obligation,
    PersonalDataHandler,
    Retained,
    Subject,
    Table,
    bao_until,
)

BAO = "financial record: Austrian BAO § 132, seven years from the end of the year"
OPEN_COMMISSION = (Commission.Status.PAYABLE, Commission.Status.IN_PAYOUT)


def members_of(subject: Subject) -> Any:
    if not subject.user_id:
        return Member.objects.none()
    return Member.objects.filter(user_id=subject.user_id)


class BillingHandler(PersonalDataHandler):
    app = "billing"

    def _accounts(self, subject: Subject) -> Any:
        return Account.objects.filter(member__in=members_of(subject))

    def _commissions(self, subject: Subject) -> Any:
        return Commission.objects.filter(member__in=members_of(subject))

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        return {
            "billing.account": ids(self._accounts(subject)),
            "billing.leg": ids(Leg.objects.filter(account__in=self._accounts(subject))),
            "billing.commission": ids(self._commissions(subject)),
        }

    def export(self, subject: Subject) -> list[Table]:
        return [
            Table.from_queryset(
                "billing.account", self._accounts(subject), ("id", "kind", "currency", "created_at")
            ),
            Table.from_queryset(
                "billing.leg",
                Leg.objects.filter(account__in=self._accounts(subject)).order_by("pk"),
                (
                    "id",
                    "account_id",
                    "account__kind",
                    "amount",
                    "currency",
                    "transaction__kind",
                    "transaction__memo",
                    "transaction__posted_at",
                ),
            ),
            Table.from_queryset(
                "billing.commission",
                self._commissions(subject),
                (
                    "id",
                    "placement_id",
                    "amount_cents",
                    "currency",
                    "status",
                    "client_paid_on",
                    "payable_on",
                    "paid_on",
                    "released_early",
                    "clawed_back_on",
                    "created_at",
                ),
            ),
        ]

    def retained(self, subject: Subject) -> list[Retained]:
        out = []
        accounts = self._accounts(subject)
        legs = Leg.objects.filter(account__in=accounts)
        last = legs.aggregate(at=Max("transaction__created_at"))["at"]
        if last:
            until = bao_until(timezone.localdate(last))
            out.append(
                Retained(
                    "billing.account",
                    tuple(accounts.values_list("pk", flat=True)),
                    ("kind", "currency", "member"),
                    BAO,
                    until,
                )  # fmt: skip
            )
            out.append(
                Retained(
                    "billing.leg",
                    tuple(legs.values_list("pk", flat=True)),
                    ("amount", "currency", "account", "transaction"),
                    BAO,
                    until,
                )  # fmt: skip
            )
        commissions = self._commissions(subject)
        if commissions.exists():
            last = commissions.aggregate(at=Max("created_at"))["at"]
            out.append(
                Retained(
                    "billing.commission",
                    tuple(commissions.values_list("pk", flat=True)),
                    ("amount_cents", "currency", "status", "client_paid_on", "paid_on"),
                    BAO,
                    bao_until(timezone.localdate(last)),
                )
            )
            out.append(
                Retained(
                    "network.member",
                    tuple(sorted(set(commissions.values_list("member_id", flat=True)))),
                    ("display_name", "country", "vat_status", "vat_id"),
                    "named on commission statements and self-billing records: " + BAO,
                    bao_until(timezone.localdate(last)),
                )
            )
        return out

    def obligations(self, subject: Subject) -> list[Obligation]:
        return [
            Obligation(
                "billing.commission",
                c.pk,
                f"commission of {format_money(c.amount_cents, c.currency)} "
                f"{c.get_status_display().lower()}: still owed to the member",
            )
            for c in self._commissions(subject).filter(status__in=OPEN_COMMISSION)
        ]
