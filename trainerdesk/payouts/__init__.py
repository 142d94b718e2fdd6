"""Payout batches of payable commissions, SEPA credit-transfer files and
bank-statement reconciliation."""
