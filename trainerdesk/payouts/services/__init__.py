"""The payout services (one module per area); import them from here."""

from trainerdesk.payouts.services.attempts import cancel_payout, retry_payout
from trainerdesk.payouts.services.bank_accounts import set_bank_account, verify_bank_account
from trainerdesk.payouts.services.batches import create_batch, submit_batch
from trainerdesk.payouts.services.reconciliation import resolve_case
from trainerdesk.payouts.services.statements import import_statement

__all__ = [
    "cancel_payout",
    "create_batch",
    "import_statement",
    "resolve_case",
    "retry_payout",
    "set_bank_account",
    "submit_batch",
    "verify_bank_account",
]
