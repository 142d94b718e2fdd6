"""Invoices, credit notes, their lines and numbering series.

An invoice is written as a draft (no number), then issued: the number is taken from its
series inside the issuing transaction under a row lock (`services.issue`), the PDF is
rendered and stored with its sha256, and from then on the row's content never changes —
only its `status` moves on (issued → paid, or credited by a credit note). The service
refuses edits; migration 0002 adds database triggers that refuse them too, whatever the
client. Corrections are credit notes (`kind=credit_note`, `credit_note_for` the
original) with negated amounts, numbered in their own series.

Each invoice keeps a snapshot of both parties as printed (VAT Directive Art. 226: names,
addresses, VAT ids), so a later change to a client or the platform's address never
changes an issued document. Money: integer cents in `currency`; the VAT rate in basis
points; `gross = net + vat` (a check constraint).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.network.models import Client, Member, Membership
from trainerdesk.placements.models import Placement

User = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    PLACEMENT_FEE = "placement_fee", "Placement fee"
    MEMBERSHIP = "membership", "Membership"
    CREDIT_NOTE = "credit_note", "Credit note"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    CREDITED = "credited", "Cancelled by credit note"


class VatTreatment(models.TextChoices):
    AUSTRIAN_VAT = "austrian_vat", "Austrian VAT"
    REVERSE_CHARGE = "reverse_charge", "Reverse charge"
    OUTSIDE_EU = "outside_eu", "Outside the EU (no EU VAT)"


class InvoiceSeries(models.Model):
    """One gapless run of numbers: one per kind and calendar year of issue
    (`PF-2026-000001`, `MB-2026-...`, `CN-2026-...`). `next_number` is the number the
    next issued invoice gets; it only moves inside an issuing transaction that holds
    this row's lock."""

    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=20)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "invoice series"

    def __str__(self) -> str:
        return self.code

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:06d}"


class InvoiceQuerySet(models.QuerySet):
    def issued(self):
        return self.exclude(status=Status.DRAFT)


class Invoice(models.Model):
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Numbering: all three NULL/"" while a draft, set together at issue.
    series = models.ForeignKey(
        InvoiceSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    sequence = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(max_length=40, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    supply_date = models.DateField()  # date of supply (Art. 226 (7)); a period's start
    supply_period_end = models.DateField(null=True, blank=True)
    # Supplier (the platform) and customer, as printed.
    supplier_name = models.CharField(max_length=200)
    supplier_address = models.TextField()
    supplier_country = models.CharField(max_length=2)
    supplier_vat_id = models.CharField(max_length=20)
    customer_name = models.CharField(max_length=200)
    customer_address = models.TextField(blank=True)
    customer_country = models.CharField(max_length=2)
    customer_vat_id = models.CharField(max_length=20, blank=True)
    # Money: cents in `currency`; negative on a credit note.
    currency = models.CharField(max_length=3)
    net_cents = models.BigIntegerField()
    vat_rate_basis_points = models.PositiveIntegerField()
    vat_cents = models.BigIntegerField()
    gross_cents = models.BigIntegerField()
    vat_treatment = models.CharField(max_length=16, choices=VatTreatment.choices)
    vat_mention = models.TextField(blank=True)
    # The online VIES check never ran (offline); a staff confirmation is a VatCheck row.
    vies_checked = models.BooleanField(default=False)
    # What the invoice is for (one of the first two, or the credited invoice).
    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    credit_note_for = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.TextField(blank=True)  # a credit note's reason, printed
    # The issued document and its hash (a proof of what the customer received).
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "status"]),
            models.Index(fields=["member", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="invoice_number_once"),
            models.CheckConstraint(
                condition=models.Q(gross_cents=models.F("net_cents") + models.F("vat_cents")),
                name="invoice_gross_is_net_plus_vat",
            ),
            # A draft has no number; anything issued has one.
            models.CheckConstraint(
                condition=(
                    models.Q(status="draft", series__isnull=True, sequence__isnull=True)
                    | (
                        ~models.Q(status="draft")
                        & models.Q(series__isnull=False, sequence__isnull=False)
                    )
                ),
                name="invoice_numbered_iff_issued",
            ),
            # One live (not credited) invoice per placement and per membership period.
            models.UniqueConstraint(
                fields=["placement"],
                condition=models.Q(kind="placement_fee") & ~models.Q(status="credited"),
                name="invoice_placement_once",
            ),
            models.UniqueConstraint(
                fields=["membership"],
                condition=models.Q(kind="membership") & ~models.Q(status="credited"),
                name="invoice_membership_once",
            ),
            models.UniqueConstraint(
                fields=["credit_note_for"],
                condition=models.Q(kind="credit_note"),
                name="invoice_credited_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"draft {self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def title(self) -> str:
        return "Credit note" if self.kind == Kind.CREDIT_NOTE else "Invoice"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField(default=1)
    unit_cents = models.BigIntegerField()
    net_cents = models.BigIntegerField()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_once"),
            models.CheckConstraint(
                condition=models.Q(net_cents=models.F("unit_cents") * models.F("quantity")),
                name="invoice_line_net",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"


class Payment(models.Model):
    """Money received against an invoice (staff record it from the bank statement)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    paid_on = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="payment_positive")
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} on {self.invoice_id}"


class VatCheck(models.Model):
    """A staff member's confirmation that a customer's VAT id was valid in VIES (checked
    by hand on the Commission's site: the app cannot reach it offline)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="vat_checks")
    vat_id = models.CharField(max_length=20)
    valid = models.BooleanField()
    reference = models.CharField(max_length=100, blank=True)  # VIES consultation number
    checked_on = models.DateField()
    confirmed_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-confirmed_at", "-id"]

    def __str__(self) -> str:
        return f"VIES {self.vat_id}: {'valid' if self.valid else 'invalid'}"


class RenewalReminder(models.Model):
    """A member was reminded their membership is due (once per period)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.PROTECT, related_name="renewal_reminder"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"reminder for membership {self.membership_id}"
