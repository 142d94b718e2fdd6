"""Data-subject requests, retention rules and the records of processing (GDPR).

Consent records are the network's (`network.Consent`): this app does not duplicate them.
Minimisation (Art. 5(1)(c)): no model anywhere holds a birth date, gender, photo or
health field (`tests/test_minimisation.py` scans every installed model)."""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


def one_month_after(day: datetime.date) -> datetime.date:
    """Art. 12(3): answer "within one month of receipt": the same day of the next month,
    or that month's last day when it is shorter (31 January → 28/29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DataSubjectRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", "Access (Art. 15)"
        RECTIFICATION = "rectification", "Rectification (Art. 16)"
        ERASURE = "erasure", "Erasure (Art. 17)"
        PORTABILITY = "portability", "Portability (Art. 20)"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, identity not yet checked"
        VERIFIED = "verified", "Identity checked"
        COMPLETED = "completed", "Completed"
        PARTIAL = "partial", "Completed; records the law requires were kept"
        REJECTED = "rejected", "Rejected"

    class IdentityMethod(models.TextChoices):
        SIGNED_IN = "signed_in", "Asked while signed in to their account"
        EMAIL_CONFIRMED = "email_confirmed", "Confirmed from the e-mail address we hold"
        ID_DOCUMENT = "id_document", "Identity document shown (not copied)"
        KNOWN_CONTACT = "known_contact", "Known contact (member or client vouched)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Who the request is about, by the ids the platform knows (privacy sits below network,
    # so the candidate is a plain id, as in the audit log).
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    subject_email = models.CharField(max_length=254, blank=True)
    subject_candidate_id = models.BigIntegerField(null=True, blank=True)
    # Rectification: what the person says is wrong. Free text: erased with the person.
    details = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    identity_method = models.CharField(max_length=20, choices=IdentityMethod.choices, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # What was done: counts per table, what was kept and why, the bundle's sha256.
    result = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.VERIFIED)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and (today or timezone.localdate()) > self.due_on


class RetentionRule(models.Model):
    """How long one category of personal data is kept, per country ("" = the default)."""

    class Category(models.TextChoices):
        REJECTED_CANDIDATE = "rejected_candidate", "Candidates without a live application"
        TALENT_POOL = "talent_pool", "Candidates in the talent pool (with consent)"
        FINANCIAL = "financial", "Financial records (invoices, fees, commissions)"

    country = models.CharField(max_length=2, blank=True)  # ISO 3166-1 alpha-2, "" default
    category = models.CharField(max_length=24, choices=Category.choices)
    days = models.PositiveIntegerField()
    basis = models.CharField(max_length=300, blank=True)  # why this long

    class Meta:
        ordering = ["category", "country"]
        constraints = [
            models.UniqueConstraint(fields=["country", "category"], name="retention_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.country or 'default'}: {self.days} days"


class ProcessingActivity(models.Model):
    """One entry of the records of processing activities (Art. 30(1))."""

    key = models.SlugField(max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    purpose = models.TextField()
    legal_basis = models.CharField(max_length=300)
    data_subjects = models.TextField()
    data_categories = models.TextField()
    recipients = models.TextField()
    transfers = models.TextField(default="None outside the EU/EEA.")
    retention = models.TextField()
    safeguards = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)

    FIELDS = (
        "key",
        "name",
        "purpose",
        "legal_basis",
        "data_subjects",
        "data_categories",
        "recipients",
        "transfers",
        "retention",
        "safeguards",
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "processing activities"

    def __str__(self) -> str:
        return self.name
