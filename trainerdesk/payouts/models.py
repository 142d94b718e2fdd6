"""Payouts to members: their bank accounts, batches of payouts, each payout's attempts, the
commissions it pays, bank statements imported and the cases staff reconcile by hand.

Amounts are integer cents beside an ISO currency (lib/money). A payout's
`idempotency_key` is made and stored with the payout, before any attempt, and is sent as
the SEPA EndToEndId of every attempt: the bank statement echoes it back, so a statement
entry finds its payout and a retry is recognisably the same payment.

States of a payout (services own every move; `services/attempts.py` says why):

    created → sending → submitted → paid → returned
                  ↓   ↘ paid (a rail that confirms at once)
                  ↓     failed (refused, nothing sent: may be retried with the same key)
                  ambiguous (outcome unknown: to reconciliation, never retried blindly)
    created / failed → cancelled (staff give up on it; its commissions are payable again)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.billing.models import Commission
from trainerdesk.network.models import Member

User = settings.AUTH_USER_MODEL


class BankAccount(models.Model):
    """Where a member is paid. One current account per member (a new one replaces it; old
    ones stay for the payouts that used them). Staff verify an account (that it is the
    member's, e.g. against a document) before the first payout goes to it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="bank_accounts")
    holder_name = models.CharField(max_length=70)
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11)
    is_current = models.BooleanField(default=True)
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(is_current=True),
                name="bank_account_one_current_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"account of member {self.member_id} ending {self.iban[-4:]}"

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} …{self.iban[-4:]}"


class PayoutBatch(models.Model):
    """A set of payouts sent together: one pain.001 file for the bank."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        CLOSED = "closed", "Closed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    rail = models.CharField(max_length=40, blank=True)
    execution_date = models.DateField(null=True, blank=True)
    file = models.BinaryField(null=True, blank=True)
    file_name = models.CharField(max_length=100, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    # Members left out when the batch was made, and why (no verified account, ...).
    skipped = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The file's MsgId: stable per batch, so a bank refuses the same file twice."""
        return f"TD-BATCH-{self.pk}"


class Payout(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Created"
        SENDING = "sending", "Sending"
        SUBMITTED = "submitted", "Submitted"
        PAID = "paid", "Paid"
        RETURNED = "returned", "Returned"
        AMBIGUOUS = "ambiguous", "Ambiguous (in reconciliation)"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="payouts")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="payouts")
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    # The creditor as the file wrote it (the member may change their account later).
    creditor_name = models.CharField(max_length=70)
    creditor_iban = models.CharField(max_length=34)
    creditor_bic = models.CharField(max_length=11)
    # gross = the commissions paid; clawback = what the member owed, netted; amount = the
    # money transferred (gross - clawback).
    gross_cents = models.BigIntegerField()
    clawback_cents = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=35, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=35, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "status"], name="payout_member_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    gross_cents=models.F("clawback_cents") + models.F("amount_cents")
                ),
                name="payout_gross_is_clawback_plus_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gte=0, clawback_cents__gte=0),
                name="payout_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} ({self.status})"


class PayoutItem(models.Model):
    """A commission paid by a payout. `is_live` is true while the payout may still pay it
    (created, sending, submitted, ambiguous, paid) and false once the payout was returned
    (the commission may then go into a new payout); the partial unique index makes "one
    commission is in at most one live payout" a rule of the database, whatever a service
    or a concurrent batch does. The flag lives on this row because a partial index can
    only read its own table's columns."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="items")
    commission = models.ForeignKey(
        Commission, on_delete=models.PROTECT, related_name="payout_items"
    )
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    is_live = models.BooleanField(default=True)

    class Meta:
        ordering = ["payout", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["commission"],
                condition=models.Q(is_live=True),
                name="payout_item_one_live_payout_per_commission",
            )
        ]

    def __str__(self) -> str:
        return f"commission {self.commission_id} in payout {self.payout_id}"


class PayoutAttempt(models.Model):
    """One try at sending a payout through the rail (the first one, each retry). The
    attempt is written, and committed, before the rail is called: an attempt left
    `pending` means the process stopped mid-call and the outcome is unknown."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted (handed to the bank)"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected (nothing sent)"
        UNKNOWN = "unknown", "Unknown (timeout or error)"

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="attempt_log")
    number = models.PositiveIntegerField()
    rail = models.CharField(max_length=40)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    detail = models.TextField(blank=True)
    # A file-based rail's file for this attempt (a retry's single-transfer file).
    file = models.BinaryField(null=True, blank=True)
    file_name = models.CharField(max_length=100, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["payout", "number"]
        constraints = [
            models.UniqueConstraint(fields=["payout", "number"], name="payout_attempt_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of payout {self.payout_id} ({self.outcome})"


class StatementImport(models.Model):
    """A bank statement (camt.053) read in, kept with its hash: importing the same file
    twice is refused. `unmatched` lists the entries no payout took, with why."""

    file = models.BinaryField()
    file_sha256 = models.CharField(max_length=64, unique=True)
    # importing while its lines are applied in batches (models_statements); done after.
    status = models.CharField(
        max_length=10, choices=[("importing", "Importing"), ("done", "Done")], default="done"
    )
    statement_id = models.CharField(max_length=200, blank=True)
    account_iban = models.CharField(max_length=34, blank=True)
    counts = models.JSONField(default=dict)
    unmatched = models.JSONField(default=list)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"statement import {self.pk} ({self.statement_id})"


class ReconciliationCase(models.Model):
    """Something staff must settle by hand: a payout whose outcome is unknown, or a
    statement entry that names a payout but does not match it."""

    class Kind(models.TextChoices):
        AMBIGUOUS = "ambiguous", "Outcome of an attempt unknown"
        MISMATCH = "mismatch", "Statement entry does not match the payout"
        UNEXPECTED = "unexpected", "Statement entry in an unexpected state"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    statement = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    details = models.JSONField(default=dict)
    opened_at = models.DateTimeField(default=timezone.now)
    resolution = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["status", "-opened_at", "-id"]
        constraints = [
            # At most one open case per payout: a second timeout adds to the open case.
            models.UniqueConstraint(
                fields=["payout"],
                condition=models.Q(status="open", kind="ambiguous"),
                name="reconciliation_one_open_ambiguous_per_payout",
            )
        ]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.kind}, {self.status})"


# Models of their own modules, registered with the app here.
from trainerdesk.payouts.models_refunds import RefundTransfer  # noqa: E402
from trainerdesk.payouts.models_statements import StatementLine  # noqa: E402

__all__ = [
    "BankAccount",
    "Payout",
    "PayoutAttempt",
    "PayoutBatch",
    "PayoutItem",
    "ReconciliationCase",
    "RefundTransfer",
    "StatementImport",
    "StatementLine",
]
