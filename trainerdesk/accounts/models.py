from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    def role_of(self, user: User | AnonymousUser) -> str | None:
        return (
            self.memberships.filter(user=user).values_list("role", flat=True).first()
            if user.is_authenticated
            else None
        )


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    # Owners and admins manage every project of the organization.
    ADMIN_ROLES = (Role.OWNER, Role.ADMIN)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role in self.ADMIN_ROLES


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest is stored; the secret is shown once.

    Format: ``td_<prefix>_<secret>``. The prefix is stored in clear to find the row by
    index; accounts.services.user_for_token compares the digest in constant time.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} (td_{self.prefix}_…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (prefix, secret, full token)."""
        prefix = secrets.token_hex(ApiToken.PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        return prefix, secret, f"td_{prefix}_{secret}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AppendOnlyError(Exception):
    """An audit event was about to be changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    """Audit events are written once (lib.audit.record) and never changed through the
    ORM: every update and delete path of a QuerySet refuses. The database triggers of
    migration 0002 refuse raw UPDATE/DELETE too."""

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise AppendOnlyError("audit events are append-only: they are never updated or deleted")

    update = delete = bulk_update = update_or_create = _refuse
    # Model.save() of an existing row updates through _update; a raw delete through
    # _raw_delete (Django's private names, checked by test_audit_model).
    _update = _raw_delete = _refuse


class AuditChain(models.Model):
    """The head of one hash chain: its last seq and hash. record() locks this row
    (select_for_update) while appending, so a chain never forks.

    `key` is "org:<id>" or "global"; organization_id is a plain integer like the events',
    so deleting an organization leaves its audit trail in place."""

    key = models.CharField(max_length=40, unique=True)
    organization_id = models.BigIntegerField(null=True, blank=True)
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.key} ({self.seq} events)"


class AuditEvent(models.Model):
    """One change, by whom, in which chain. Written only by lib.audit.record().

    Organization, project, actor and object are plain ids, not foreign keys: the log
    outlives what it describes (an organization or user deleted later keeps its
    history), accounts does not depend on workbench, and personal data stays by
    reference (the page looks names up; an erased user shows as their id). Everything
    but id, prev_hash and hash is hashed (lib/audit.py HASHED_COLUMNS)."""

    chain = models.ForeignKey(AuditChain, on_delete=models.PROTECT, related_name="events")
    seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    action = models.CharField(max_length=64)
    organization_id = models.BigIntegerField(null=True, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_system = models.CharField(max_length=100, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Set when the privacy app pseudonymised this event (lib.audit.redact_events): the id
    # of the later redaction event that recorded the sha256 of the rewritten content. Not
    # hashed (the chain link stays the original hash); the trigger of migration 0003 lets
    # only that rewrite through.
    redacted_by = models.BigIntegerField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # Model.save() and the deletion collector use the base manager: make it ours.
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_chain_seq")
        ]
        indexes = [
            # The audit page and API: one organization's events by id (keyset pages).
            models.Index(fields=["organization_id", "id"], name="auditevent_org_id"),
            # A project's evidence view (governance): its events newest first, read from
            # the index instead of sorting every event of the organization per page.
            models.Index(fields=["project_id", "created_at", "id"], name="auditevent_project_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.seq} in {self.chain_id}"

    def delete(self, *args: object, **kwargs: object) -> NoReturn:
        # The deletion collector deletes instances without the QuerySet; refuse here too.
        raise AppendOnlyError("audit events are append-only: they are never updated or deleted")
