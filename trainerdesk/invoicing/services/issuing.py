"""Issuing: the number, the date and the PDF, in one transaction.

Gapless numbering: the series row is locked (`select_for_update`) before its
`next_number` is read, and the number is taken, the invoice written and the PDF stored
before the transaction commits. Concurrent issues in one series queue on that lock (on
SQLite on the database's one write lock, BEGIN IMMEDIATE), so no two get the same number;
a failure anywhere (the PDF, the audit event, a posting) rolls the number back with
everything else, so none is skipped. Drafts have no number.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from trainerdesk.invoicing.models import Invoice, InvoiceSeries, Kind
from trainerdesk.invoicing.services import postings
from trainerdesk.invoicing.services.common import locked, require_staff
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError
from trainerdesk.lib.money import format_money
from trainerdesk.lib.pdf import render_pdf, sha256_hex

PREFIXES = {Kind.PLACEMENT_FEE: "PF", Kind.MEMBERSHIP: "MB", Kind.CREDIT_NOTE: "CN"}


def lock_series(kind: str, year: int) -> InvoiceSeries:
    """The series of `kind` for `year`, locked until the transaction ends; created on
    first use (ON CONFLICT DO NOTHING, then lock whichever row won, so two first issues
    of a year never make two series)."""
    code = f"{kind}-{year}"
    row = InvoiceSeries.objects.select_for_update().filter(code=code).first()
    if row is None:
        prefix = f"{PREFIXES[Kind(kind)]}-{year}-"
        InvoiceSeries.objects.bulk_create(
            [InvoiceSeries(code=code, kind=kind, year=year, prefix=prefix)],
            ignore_conflicts=True,
        )
        row = InvoiceSeries.objects.select_for_update().get(code=code)
    return row


def _money(invoice: Invoice, cents: int) -> str:
    return format_money(cents, invoice.currency)


def render_invoice_html(invoice: Invoice) -> str:
    """The document's HTML: everything from the invoice's own columns (the snapshot), so
    the same invoice always gives the same bytes."""
    lines = [
        {
            "position": line.position,
            "description": line.description,
            "quantity": line.quantity,
            "unit": _money(invoice, line.unit_cents),
            "net": _money(invoice, line.net_cents),
        }
        for line in invoice.lines.order_by("position")
    ]
    return render_to_string(
        "invoicing/pdf/invoice.html",
        {
            "invoice": invoice,
            "lines": lines,
            "net": _money(invoice, invoice.net_cents),
            "vat": _money(invoice, invoice.vat_cents),
            "gross": _money(invoice, invoice.gross_cents),
            "rate": f"{invoice.vat_rate_basis_points / 100:g} %",
            "original": invoice.credit_note_for,
        },
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return render_pdf(render_invoice_html(invoice), title=f"{invoice.title} {invoice.number}")


def issue_locked(invoice: Invoice, *, by: Any, today: datetime.date | None = None) -> Invoice:
    """Issue `invoice` (already locked by the caller, inside its transaction)."""
    if invoice.status != "draft":
        raise ConflictError(
            f"invoice {invoice.number}: already issued on {invoice.issue_date:%Y-%m-%d}"
        )
    if not invoice.lines.exists():
        raise ConflictError(f"draft {invoice.pk}: has no lines")
    line_total = sum(invoice.lines.values_list("net_cents", flat=True))
    if line_total != invoice.net_cents:
        raise ConflictError(f"draft {invoice.pk}: lines sum to {line_total}, not the net total")
    today = today or timezone.localdate()
    if today < invoice.supply_date and invoice.kind == Kind.PLACEMENT_FEE:
        raise ConflictError(
            f"draft {invoice.pk}: the supply date {invoice.supply_date:%Y-%m-%d} is in the future"
        )
    series = lock_series(invoice.kind, today.year)
    invoice.series = series
    invoice.sequence = series.next_number
    invoice.number = series.format(series.next_number)
    invoice.issue_date = today
    invoice.status = "issued"
    invoice.issued_at = timezone.now()
    invoice.issued_by = by
    invoice.pdf = render_invoice_pdf(invoice)
    invoice.pdf_sha256 = sha256_hex(invoice.pdf)
    series.next_number += 1
    series.save(update_fields=["next_number"])
    invoice.save(
        update_fields=[
            "series", "sequence", "number", "issue_date", "status", "issued_at", "issued_by",
            "pdf", "pdf_sha256",
        ]
    )  # fmt: skip
    audit.record(
        action="invoicing.invoice.issue",
        obj=invoice,
        by=by,
        changes={
            "number": invoice.number,
            "series": series.code,
            "issue_date": invoice.issue_date,
            "gross_cents": invoice.gross_cents,
            "currency": invoice.currency,
            "sha256": invoice.pdf_sha256,
        },
    )
    return invoice


def issue_invoice(*, invoice: Invoice, by: Any) -> Invoice:
    """Number, date and render a draft; from now on it is immutable."""
    require_staff(by)
    with transaction.atomic():
        invoice = issue_locked(locked(invoice), by=by)
        postings.invoice_issued(invoice=invoice, by=by)
    return invoice
