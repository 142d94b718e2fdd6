"""Governance documents (datasheets, model cards, Annex IV drafts) as stored versions, and
the per-project data-gaps register (EU AI Act Art. 10(2)(h)) they show (issue 13)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.workbench.models import Project


class ApprovedDocumentError(Exception):
    """An approved (signed-off) document version was about to be changed or deleted."""


class DocumentVersion(models.Model):
    """One generated version of a document: what it was built from (`inputs`: the id and
    hash of every record read), its content (the builder's JSON, hashed), its PDF (hashed)
    and who signed it off. Never edited after approval: a changed input or person-written
    text makes a new version (services/documents.py)."""

    class Kind(models.TextChoices):
        DATASHEET = "datasheet", "Datasheet (dataset version)"
        MODEL_CARD = "model_card", "Model card (model version)"
        ANNEX_IV = "annex_iv", "EU AI Act Annex IV draft (system)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The subject's ids: one dataset version, one model version, or the model versions of
    # the system (sorted); subject_key ("kind:1,2") finds a subject's earlier versions.
    subject_ids = models.JSONField(default=list)
    subject_key = models.CharField(max_length=200)
    number = models.PositiveIntegerField()  # 1, 2, ... per project and subject_key
    title = models.CharField(max_length=300)
    # The person-written fields as given (also inside content, marked as such).
    texts = models.JSONField(default=dict)
    # [{"type", "id", "sha256", "label"}] sorted: every record the content was built from.
    inputs = models.JSONField(default=list)
    content = models.JSONField(default=dict)
    content_sha256 = models.CharField(max_length=64)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "subject_key", "number"], name="document_version_number"
            )
        ]
        indexes = [models.Index(fields=["project", "subject_key", "-number"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        # Signed off means frozen: the check reads the stored row, so only the one save
        # that approves (the row not yet approved in the database) gets through.
        if self.pk and type(self).objects.filter(pk=self.pk, approved_at__isnull=False).exists():
            raise ApprovedDocumentError(f"document version {self.pk} is approved: immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, approved_at__isnull=False).exists():
            raise ApprovedDocumentError(f"document version {self.pk} is approved: immutable")
        return super().delete(*args, **kwargs)

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class DataGap(models.Model):
    """One entry of the data-gaps register: a gap or shortcoming of the project's data
    (Art. 10(2)(h)) and, once closed, how it was addressed."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="data_gaps")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["status", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"data gap {self.title} ({self.status})"
