"""Payments received against issued invoices. A payment must be in the invoice's
currency and may not exceed what is still open; when the invoice is paid in full it
becomes `paid`, and what it billed moves on: a membership period is activated through
network's own service (`activate_membership`, which sets the period's dates and writes
its audit event), and for a placement fee billing learns that the client has paid
(through `postings`)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from trainerdesk.invoicing.models import Invoice, Kind, Payment, Status
from trainerdesk.invoicing.services import postings
from trainerdesk.invoicing.services.common import check_cents, locked, require_staff
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.money import format_money
from trainerdesk.network import services as network_services
from trainerdesk.network.models import Membership


def paid_cents(invoice: Invoice) -> int:
    return invoice.payments.aggregate(total=Sum("amount_cents"))["total"] or 0


def record_payment(
    *,
    invoice: Invoice,
    amount_cents: int,
    paid_on: datetime.date,
    currency: str | None = None,
    by: Any,
) -> Payment:
    require_staff(by)
    amount_cents = check_cents(amount_cents, field="amount_cents")
    if amount_cents <= 0:
        raise InvalidInput(["amount_cents: a payment must be more than zero"])
    if type(paid_on) is not datetime.date:  # a datetime is a date too; refuse it
        raise InvalidInput(["paid_on: must be a date"])
    if paid_on > timezone.localdate():
        raise InvalidInput(["paid_on: a payment date in the future has not happened yet"])
    with transaction.atomic():
        invoice = locked(invoice)
        if invoice.kind == Kind.CREDIT_NOTE:
            raise ConflictError(f"{invoice.number}: a credit note is refunded, not paid")
        if invoice.status != Status.ISSUED:
            raise ConflictError(
                f"invoice {invoice.number or invoice.pk}: is {invoice.get_status_display()}; "
                "only an issued, unpaid invoice takes payments"
            )
        if currency is not None and currency != invoice.currency:
            raise InvalidInput(
                [f"currency: the invoice is in {invoice.currency}, the payment in {currency}"]
            )
        if invoice.issue_date is not None and paid_on < invoice.issue_date:
            raise InvalidInput(["paid_on: before the invoice was issued"])
        open_cents = invoice.gross_cents - paid_cents(invoice)
        if amount_cents > open_cents:
            raise InvalidInput(
                [
                    f"amount_cents: {format_money(amount_cents, invoice.currency)} is more "
                    f"than the {format_money(open_cents, invoice.currency)} still open on "
                    f"{invoice.number}"
                ]
            )
        payment = Payment.objects.create(
            invoice=invoice,
            amount_cents=amount_cents,
            currency=invoice.currency,
            paid_on=paid_on,
            recorded_by=by,
        )
        fully_paid = amount_cents == open_cents
        if fully_paid:
            invoice.status = Status.PAID
            invoice.save(update_fields=["status"])
        audit.record(
            action="invoicing.payment.record",
            obj=invoice,
            by=by,
            changes={
                "payment": payment.pk,
                "amount_cents": amount_cents,
                "currency": invoice.currency,
                "paid_on": paid_on,
                "open_cents": open_cents - amount_cents,
                "status": invoice.status,
            },
        )
        postings.payment_received(invoice=invoice, payment=payment, fully_paid=fully_paid, by=by)
        if fully_paid and invoice.kind == Kind.MEMBERSHIP and invoice.membership_id:
            membership = invoice.membership
            # Staff may have marked it paid by hand before invoices existed; then it is
            # active already and the payment only settles the invoice.
            if membership is not None and membership.status == Membership.Status.PENDING:
                network_services.activate_membership(membership=membership, by=by)
    return payment
