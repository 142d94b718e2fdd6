"""Invoicing's personal data for the privacy registry (registered in apps.py): a member's
membership invoices and credit notes (the member is the customer: name, address, VAT id
in the snapshot), their payments and renewal reminders; for a client contact, the
invoices of the client they act for.

Issued invoices and credit notes are kept whole, PDF included (Austrian BAO § 132: seven
years from the end of the year; UStG § 11 for the invoice content). The database refuses
to change them anyway (immutable_sql.py). Drafts are not records yet: a member's draft
loses its customer snapshot. An issued invoice not paid is an open obligation."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Q

from trainerdesk.invoicing.models import Invoice, Kind, Payment, RenewalReminder, Status
from trainerdesk.network.models import ClientContact, Member
from trainerdesk.privacy.registry import (
    ERASED,
    Obligation,
    PersonalDataHandler,
    Retained,
    Subject,
    Table,
    bao_until,
)

INVOICE_COLUMNS = (
    "id",
    "kind",
    "status",
    "number",
    "issue_date",
    "supply_date",
    "supply_period_end",
    "customer_name",
    "customer_address",
    "customer_country",
    "customer_vat_id",
    "currency",
    "net_cents",
    "vat_rate_basis_points",
    "vat_cents",
    "gross_cents",
    "vat_treatment",
    "vat_mention",
    "credit_note_for_id",
    "reason",
    "pdf_sha256",
)
BAO = "issued invoice or credit note: Austrian BAO § 132 (and UStG § 11), seven years from the end of the year"  # noqa: E501


def _invoices(subject: Subject) -> Any:
    """The member's own invoices, and those of every client the person is a contact of."""
    if not subject.user_id:
        return Invoice.objects.none()
    members = Member.objects.filter(user_id=subject.user_id)
    clients = ClientContact.objects.filter(user_id=subject.user_id).values("client_id")
    return Invoice.objects.filter(Q(member__in=members) | Q(client__in=clients))


def _member_invoices(subject: Subject) -> Any:
    if not subject.user_id:
        return Invoice.objects.none()
    return Invoice.objects.filter(member__user_id=subject.user_id)


class InvoicingHandler(PersonalDataHandler):
    app = "invoicing"
    personal_fields = {
        "invoicing.invoice": frozenset({"customer_name", "customer_address", "customer_vat_id"})
    }

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        invoices = _invoices(subject)
        return {
            "invoicing.invoice": ids(invoices),
            "invoicing.payment": ids(Payment.objects.filter(invoice__in=invoices)),
            "invoicing.renewalreminder": ids(
                RenewalReminder.objects.filter(member__user_id=subject.user_id or 0)
            ),
        }

    def export(self, subject: Subject) -> list[Table]:
        invoices = _invoices(subject).order_by("pk")
        return [
            Table.from_queryset("invoicing.invoice", invoices, INVOICE_COLUMNS),
            Table.from_queryset(
                "invoicing.payment",
                Payment.objects.filter(invoice__in=invoices).order_by("pk"),
                ("id", "invoice_id", "amount_cents", "currency", "paid_on", "recorded_at"),
            ),
            Table.from_queryset(
                "invoicing.renewalreminder",
                RenewalReminder.objects.filter(member__user_id=subject.user_id or 0),
                ("id", "membership_id", "invoice_id", "due_on", "sent_at"),
            ),
        ]

    def personal_values(self, subject: Subject) -> set[str]:
        # Only the drafts' snapshots are erased; an issued invoice keeps its customer.
        values: set[str] = set()
        for row in (
            _member_invoices(subject)
            .filter(status=Status.DRAFT)
            .values("customer_name", "customer_address")
        ):
            values |= {v for v in row.values() if v}
        return values

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        drafts = _member_invoices(subject).filter(status=Status.DRAFT).exclude(customer_name=ERASED)
        counts = {"invoicing.invoice": drafts.count()}
        if not dry_run:
            # A draft is re-drafted from the (anonymised) member if ever issued.
            drafts.update(customer_name=ERASED, customer_address="", customer_vat_id="")
        return counts

    def retained(self, subject: Subject) -> list[Retained]:
        issued = _invoices(subject).issued()
        last = issued.aggregate(day=Max("issue_date"))["day"]
        if not last:
            return []
        until = bao_until(last)
        out = [
            Retained(
                "invoicing.invoice",
                tuple(issued.values_list("pk", flat=True)),
                (
                    "customer_name",
                    "customer_address",
                    "customer_country",
                    "customer_vat_id",
                    "amounts",
                    "pdf",
                ),
                BAO,
                until,
            ),  # fmt: skip
            Retained(
                "invoicing.payment",
                tuple(Payment.objects.filter(invoice__in=issued).values_list("pk", flat=True)),
                ("amount_cents", "currency", "paid_on"),
                BAO,
                until,
            ),
        ]
        members = tuple(
            sorted(set(issued.filter(member__isnull=False).values_list("member_id", flat=True)))
        )
        if members:
            out.append(
                Retained(
                    "network.member",
                    members,
                    ("display_name", "street", "postal_code", "city", "country", "vat_id"),
                    "the customer of membership invoices: " + BAO,
                    until,
                )
            )
        return out

    def obligations(self, subject: Subject) -> list[Obligation]:
        return [
            Obligation("invoicing.invoice", inv.pk, f"invoice {inv.number} is not paid yet")
            for inv in _invoices(subject)
            .filter(status=Status.ISSUED)
            .exclude(kind=Kind.CREDIT_NOTE)
        ]
