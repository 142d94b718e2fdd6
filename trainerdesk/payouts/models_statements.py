"""One row per transaction of an imported bank statement (camt.053), so an import is
applied in short transactions and resumes after a crash without applying an entry twice.

The import writes every line `pending` with the statement record, then settles them in
batches: a batch's lines and the payouts (or refund transfers) they settle commit
together, so a line is `pending` exactly when nothing of it was applied. Re-importing the
same file (same sha256) while its record is still `importing` carries on with the lines
left pending. `payout`/`refund` name what the line settled or was about: the statement's
link to the member (privacy's retained records)."""

from __future__ import annotations

from django.db import models


class StatementLine(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid a payout"
        RETURNED = "returned", "Returned a payout"
        REFUND_PAID = "refund_paid", "Paid a member refund"
        REFUND_RETURNED = "refund_returned", "Returned a member refund"
        ALREADY = "already", "Already settled"
        UNMATCHED = "unmatched", "Unmatched"

    statement = models.ForeignKey(
        "payouts.StatementImport", on_delete=models.PROTECT, related_name="lines"
    )
    position = models.PositiveIntegerField()
    where = models.CharField(max_length=100)
    end_to_end_id = models.CharField(max_length=35, blank=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=10)
    status = models.CharField(max_length=10, blank=True)
    booked_on = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=35, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    payout = models.ForeignKey(
        "payouts.Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        "payouts.RefundTransfer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
    )

    class Meta:
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="statement_line_once")
        ]
        indexes = [
            models.Index(fields=["statement", "outcome", "position"], name="statement_line_todo")
        ]

    def __str__(self) -> str:
        return f"line {self.position} of statement {self.statement_id} ({self.outcome})"
