"""Invoicing services (re-exported): drafting, issuing with gapless numbers, payments,
credit notes, VIES confirmations, renewal reminders. Ledger postings: `postings`."""

from trainerdesk.invoicing.services.credit_notes import issue_credit_note
from trainerdesk.invoicing.services.drafts import (
    draft_membership_invoice,
    draft_placement_invoice,
    placement_fee_from_terms,
    update_draft,
)
from trainerdesk.invoicing.services.issuing import (
    issue_invoice,
    lock_series,
    render_invoice_html,
    render_invoice_pdf,
)
from trainerdesk.invoicing.services.payments import paid_cents, record_payment
from trainerdesk.invoicing.services.reminders import due_memberships, send_renewal_reminders
from trainerdesk.invoicing.services.vat_checks import confirm_vat_id

__all__ = [
    "confirm_vat_id",
    "draft_membership_invoice",
    "draft_placement_invoice",
    "due_memberships",
    "issue_credit_note",
    "issue_invoice",
    "lock_series",
    "paid_cents",
    "placement_fee_from_terms",
    "record_payment",
    "render_invoice_html",
    "render_invoice_pdf",
    "send_renewal_reminders",
    "update_draft",
]
