"""Contracts' personal data for the privacy registry (registered in apps.py): the contracts
a member is party to, the contracts a client contact accepted for their client, and the
acceptance evidence (time, IP address, user agent, the hash of the document shown).

A contract once signed, with its acceptance evidence, is kept as long as the law needs it:
while it is in force, then seven years from the end of the year it ended (Austrian BAO
§ 132: it underlies the invoices and commissions booked under it; that also covers the
three-year limitation of fee claims, ABGB § 1486). Its rendered text, PDF and filled-in
values stay as signed: a signed document is not rewritten. A contract never signed (a
draft, or sent and never accepted) is no record of anything: it is deleted."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from trainerdesk.contracts.models import Acceptance, Contract
from trainerdesk.network.models import ClientContact, Member
from trainerdesk.privacy.registry import (
    PersonalDataHandler,
    Retained,
    Subject,
    Table,
    bao_until,
)

UNSIGNED = (Contract.Status.DRAFT, Contract.Status.SENT)
LAW = (
    "signed contract and its acceptance evidence: kept while in force, then Austrian BAO "
    "§ 132, seven years from the end of the year it ended (covers ABGB § 1486 fee claims)"
)


def _contracts(subject: Subject) -> Any:
    if not subject.user_id:
        return Contract.objects.none()
    members = Member.objects.filter(user_id=subject.user_id)
    clients = ClientContact.objects.filter(user_id=subject.user_id).values("client_id")
    accepted = Acceptance.objects.filter(user_id=subject.user_id).values("contract_id")
    return Contract.objects.filter(
        Q(member__in=members) | Q(client__in=clients) | Q(pk__in=accepted)
    )


def _acceptances(subject: Subject) -> Any:
    if not subject.user_id:
        return Acceptance.objects.none()
    return Acceptance.objects.filter(
        Q(user_id=subject.user_id) | Q(contract__member__user_id=subject.user_id)
    )


def _unsigned(subject: Subject) -> Any:
    """A member's own contracts nobody accepted (a client's belong to the client)."""
    if not subject.user_id:
        return Contract.objects.none()
    return Contract.objects.filter(
        member__user_id=subject.user_id, status__in=UNSIGNED, acceptances__isnull=True
    )


class ContractsHandler(PersonalDataHandler):
    app = "contracts"

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        return {
            "contracts.contract": ids(_contracts(subject)),
            "contracts.acceptance": ids(_acceptances(subject)),
        }

    def export(self, subject: Subject) -> list[Table]:
        return [
            Table.from_queryset(
                "contracts.contract",
                _contracts(subject).order_by("pk"),
                (
                    "id",
                    "kind",
                    "title",
                    "version__number",
                    "values",
                    "status",
                    "pdf_sha256",
                    "starts_on",
                    "ends_on",
                    "sent_at",
                    "signed_at",
                    "activated_at",
                    "ended_at",
                ),
            ),
            Table.from_queryset(
                "contracts.acceptance",
                _acceptances(subject).order_by("pk"),
                ("id", "contract_id", "accepted_at", "ip", "user_agent", "document_sha256"),
            ),
        ]

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        unsigned = _unsigned(subject)
        counts = {"contracts.contract": unsigned.count()}
        if not dry_run:
            unsigned.delete()
        return counts

    def retained(self, subject: Subject) -> list[Retained]:
        signed = _contracts(subject).exclude(status__in=UNSIGNED)
        if not signed.exists():
            return []
        # While one is in force there is no end yet, so no "until" to name.
        ended = (Contract.Status.EXPIRED, Contract.Status.TERMINATED)
        until: datetime.date | None = None
        if not signed.exclude(status__in=ended).exists():
            days = [
                timezone.localdate(c["ended_at"]) if c["ended_at"] else c["ends_on"]
                for c in signed.values("ended_at", "ends_on")
            ]
            known = [d for d in days if d]
            until = bao_until(max(known)) if known else None
        out = [
            Retained(
                "contracts.contract",
                tuple(signed.values_list("pk", flat=True)),
                ("values", "html", "pdf", "pdf_sha256", "status", "dates"),
                LAW,
                until,
            ),
            Retained(
                "contracts.acceptance",
                tuple(
                    _acceptances(subject).filter(contract__in=signed).values_list("pk", flat=True)
                ),
                ("accepted_at", "ip", "user_agent", "document_sha256", "user"),
                LAW,
                until,
            ),
        ]
        members = tuple(
            sorted(set(signed.filter(member__isnull=False).values_list("member_id", flat=True)))
        )
        if members:
            out.append(
                Retained(
                    "network.member",
                    members,
                    ("display_name", "country", "vat_id"),
                    "a party named in a signed contract: " + LAW,
                    until,
                )  # fmt: skip
            )
        return out
