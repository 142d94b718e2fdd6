"""Money owed back to a member, paid out: a refund transfer.

Billing owes the refund (a paid membership invoice credited: `member_refund.due`, Dr
member receivable / Cr refunds); this row is how it left the platform's account, either
through the payment rail (a one-transfer pain.001 with the transfer's own idempotency key
as EndToEndId, settled by the bank statement like a payout) or as a bank transfer staff
made by hand and record here. When it is paid the ledger posts `member_refund.paid` (Dr
refunds / Cr cash) under the transfer's key, so a refund returned by the bank and sent
again posts a second time under its new key, never the first twice.

    sending → submitted → paid → returned        (rail; returned: owed again)
        ↘ failed (rejected: nothing sent) / ambiguous (outcome unknown: the statement or
          staff's recorded transfer settles it, never a blind resend)
    manual: paid at once, with the date and the bank's reference
At most one live transfer (sending, submitted, ambiguous, paid) per refund: a unique
constraint on the refund's key, so a refund is never sent twice at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

LIVE = ("sending", "submitted", "ambiguous", "paid")


class RefundTransfer(models.Model):
    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SUBMITTED = "submitted", "Submitted (in the bank file)"
        PAID = "paid", "Paid"
        RETURNED = "returned", "Returned by the bank"
        FAILED = "failed", "Failed (nothing sent)"
        AMBIGUOUS = "ambiguous", "Outcome unknown"

    class Method(models.TextChoices):
        RAIL = "rail", "Bank file (payment rail)"
        MANUAL = "manual", "Bank transfer recorded by staff"

    # billing's refund key ("credit_note:12"): the ledger's member_refund:<key>:due.
    refund_key = models.CharField(max_length=80)
    member = models.ForeignKey(
        "network.Member", on_delete=models.PROTECT, related_name="refund_transfers"
    )
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=8, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    is_live = models.BooleanField(default=True)
    idempotency_key = models.CharField(max_length=35, unique=True)
    bank_account = models.ForeignKey(
        "payouts.BankAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The creditor as the file wrote it (empty for a manual transfer).
    creditor_name = models.CharField(max_length=70, blank=True)
    creditor_iban = models.CharField(max_length=34, blank=True)
    creditor_bic = models.CharField(max_length=11, blank=True)
    file = models.BinaryField(null=True, blank=True)
    file_name = models.CharField(max_length=100, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund_key"],
                condition=models.Q(is_live=True),
                name="refund_transfer_one_live_per_refund",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="refund_transfer_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"refund transfer {self.pk} of {self.refund_key} ({self.status})"
