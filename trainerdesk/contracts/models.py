"""Contracts made from versioned templates, and the evidence that a party accepted one.

A `ContractTemplate` (member agreement, client framework agreement, per-role terms) has
numbered `TemplateVersion`s in Markdown with `{{ placeholder }}` names. Versions are
append-only: publishing makes a new one and nothing edits an old one, so a contract always
points at the exact text it was made from. A `Contract` is one version filled with values
for its parties (a member, a client, an opening), rendered once at draft time to HTML and a
PDF whose sha256 is stored; what a party accepts is that PDF, and an `Acceptance` records
who, when, from where and the hash of the document they saw. State changes go through
`contracts.services`, which write the audit event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

User = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    MEMBER_AGREEMENT = "member_agreement", "Member agreement"
    CLIENT_FRAMEWORK = "client_framework", "Client framework agreement"
    ROLE_TERMS = "role_terms", "Role terms"


class ContractTemplate(models.Model):
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [models.UniqueConstraint(fields=["kind"], name="contract_template_kind")]

    def __str__(self) -> str:
        return self.title

    def latest_version(self) -> TemplateVersion | None:
        return self.versions.order_by("-number").first()


class TemplateVersion(models.Model):
    template = models.ForeignKey(
        ContractTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    body = models.TextField()  # Markdown with {{ placeholder }} names
    # The placeholder names the body uses, in order of first use (parsed at publishing).
    placeholders = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent for signature"
        SIGNED = "signed", "Signed"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)  # the template's, copied
    values = models.JSONField(default=dict)  # placeholder name -> the text filled in
    member = models.ForeignKey(
        "network.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    client = models.ForeignKey(
        "network.Client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    opening = models.ForeignKey(
        "network.Opening",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    title = models.CharField(max_length=300)
    html = models.TextField()  # the rendered, sanitised body the party reads
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)  # none: until terminated
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # expired or terminated

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "member", "status"]),
            models.Index(fields=["kind", "client", "status"]),
        ]

    def __str__(self) -> str:
        return self.title


# Contracts that count as in force for the gates: the party has signed.
IN_FORCE = (Contract.Status.SIGNED, Contract.Status.ACTIVE)


class Acceptance(models.Model):
    """A party accepted the contract in the app: the evidence, written once."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="acceptances")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    document_sha256 = models.CharField(max_length=64)  # the PDF they were shown

    class Meta:
        ordering = ["accepted_at", "id"]

    def __str__(self) -> str:
        return f"{self.contract_id} accepted by {self.user_id}"
