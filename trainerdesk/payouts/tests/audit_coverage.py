"""The payouts app's API writes and their audit actions (gathered by
trainerdesk/tests/test_audit_api_coverage.py).

Payouts has no API endpoints yet: its writes are pages (staff's batches, statements,
cases and account checks; a member's bank account), each through a service that records
its event. `SERVICE_ACTIONS` lists which service leaves which action; test_audit.py
drives each one and checks the event is there."""

from __future__ import annotations

WRITES: dict = {}
DRIVERS: dict = {}

SERVICE_ACTIONS = {
    "set_bank_account": ("payouts.bankaccount.create",),
    "verify_bank_account": ("payouts.bankaccount.verify",),
    "create_batch": ("payouts.batch.create", "billing.commission.in_payout"),
    "submit_batch": ("payouts.batch.submit", "payouts.payout.attempt", "payouts.payout.outcome"),
    "retry_payout": ("payouts.payout.attempt", "payouts.payout.paid"),
    "import_statement": ("payouts.statement.import", "payouts.payout.paid"),
    "resolve_case": ("payouts.case.resolve",),
    "cancel_payout": ("payouts.payout.cancel", "billing.commission.out_of_payout"),
}
