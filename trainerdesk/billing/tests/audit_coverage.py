"""The billing API's writes and the audit action each must leave (gathered by
trainerdesk/tests/test_audit_api_coverage.py). Billing has no write endpoints: its
services are called by the invoicing and payouts apps and by the daily sweep, and each
records its own event (billing.transaction.post / .reverse, billing.account.create,
billing.commission.*), which test_flows.py and test_ledger.py check."""

WRITES: dict = {}
DRIVERS: dict = {}
