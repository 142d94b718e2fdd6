"""Shared pieces of the invoicing services: who may act, locking an invoice, reading
integers from forms."""

from __future__ import annotations

from typing import Any

from trainerdesk.invoicing.models import Invoice
from trainerdesk.lib.errors import ConflictError, InvalidInput


def require_staff(by: Any) -> None:
    """Invoices are written by platform staff only (clients and members read theirs)."""
    if by is None or not getattr(by, "is_staff", False):
        raise ConflictError("only platform staff may write invoices")


def locked(invoice: Invoice) -> Invoice:
    """The invoice's row, locked until the transaction ends (state changes read it here,
    not from the caller's possibly stale copy)."""
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def refuse_unless_draft(invoice: Invoice) -> None:
    if invoice.status != "draft":
        raise ConflictError(
            f"invoice {invoice.number}: issued on {invoice.issue_date:%Y-%m-%d} and cannot be "
            "changed; correct it with a credit note"
        )


def check_cents(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput([f"{field}: must be a whole number of cents"])
    return value
