"""Staff confirmation of a VIES check. The app never reaches VIES (it runs offline), so
every invoice records `vies_checked=False`; a staff member who checked the customer's
VAT id on the Commission's VIES site records the result here (who, when, the
consultation number). It adds a record beside the invoice and never changes the invoice
itself (issued invoices are immutable)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.invoicing.models import Invoice, VatCheck
from trainerdesk.invoicing.services.common import locked, require_staff
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput


def confirm_vat_id(
    *,
    invoice: Invoice,
    valid: bool,
    reference: str = "",
    checked_on: datetime.date | None = None,
    by: Any,
) -> VatCheck:
    require_staff(by)
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise InvalidInput(["reference: at most 100 characters"])
    checked_on = checked_on or timezone.localdate()
    with transaction.atomic():
        invoice = locked(invoice)
        if not invoice.customer_vat_id:
            name = invoice.number or f"draft {invoice.pk}"
            raise ConflictError(f"invoice {name}: the customer has no VAT id to check")
        check = VatCheck.objects.create(
            invoice=invoice,
            vat_id=invoice.customer_vat_id,
            valid=bool(valid),
            reference=reference,
            checked_on=checked_on,
            confirmed_by=by,
        )
        audit.record(
            action="invoicing.vat.confirm",
            obj=invoice,
            by=by,
            changes={
                "vat_check": check.pk,
                "vat_id": check.vat_id,
                "valid": check.valid,
                "reference": reference,
                "checked_on": checked_on,
            },
        )
    return check
