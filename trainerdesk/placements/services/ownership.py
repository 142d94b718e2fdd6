"""Ownership of a candidate at a client (fair-play policy) and staff's resolution of
disputes about it."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.models import Member
from trainerdesk.placements.models import (
    FairPlayPolicy,
    Ownership,
    OwnershipDispute,
    Submission,
)
from trainerdesk.placements.services.common import clean_reason
from trainerdesk.placements.services.rules import active_ownership


def claim_ownership(*, submission: Submission, by) -> Ownership | None:
    """Called in the transaction that submits `submission` to the client: the first
    member to do so owns the candidate there for the policy's ownership_days. Nothing
    changes if someone already owns them (the submission checks refused anyone else)."""
    if active_ownership(submission.candidate, submission.opening.client_id) is not None:
        return None
    policy = submission.policy
    now = timezone.now()
    ownership = Ownership.objects.create(
        candidate=submission.candidate,
        client_id=submission.opening.client_id,
        member=submission.member,
        submission=submission,
        policy=policy,
        starts_at=now,
        ends_at=now + datetime.timedelta(days=policy.ownership_days),
        created_by=by,
    )
    audit.record(
        action="placements.ownership.create",
        obj=ownership,
        changes={
            "candidate": ownership.candidate_id,
            "client": ownership.client_id,
            "member": ownership.member_id,
            "policy_version": policy.version,
            "ends_at": ownership.ends_at,
        },
        by=by,
    )
    return ownership


def raise_ownership_dispute(
    *, ownership: Ownership, claimant: Member, reason: str, by
) -> OwnershipDispute:
    text = clean_reason(reason, required=True)
    with transaction.atomic():
        ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
        if ownership.member_id == claimant.pk:
            raise InvalidInput(["claimant: you already own this candidate at this client"])
        if ownership.ends_at <= timezone.now():
            raise InvalidInput(["ownership: it has ended; submit the candidate again"])
        if ownership.disputes.filter(claimant=claimant, status="open").exists():
            raise ConflictError("You already have an open dispute about this ownership")
        dispute = OwnershipDispute.objects.create(
            ownership=ownership, claimant=claimant, reason=text
        )
        audit.record(
            action="placements.dispute.create",
            obj=dispute,
            changes={"ownership": ownership.pk, "claimant": claimant.pk},
            reason=text,
            by=by,
        )
    return dispute


def resolve_ownership_dispute(
    *, dispute: OwnershipDispute, reassign: bool, reason: str, by
) -> OwnershipDispute:
    """Staff decide: keep the ownership, or reassign it to the claimant for what is left
    of its period (the old row ends now; a new row starts)."""
    if not getattr(by, "is_staff", False):
        raise PermissionDenied("Only platform staff resolve ownership disputes")
    text = clean_reason(reason, required=True)
    with transaction.atomic():
        dispute = OwnershipDispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.status != OwnershipDispute.Status.OPEN:
            raise ConflictError(f"Dispute {dispute.pk} is already resolved ({dispute.status})")
        now = timezone.now()
        dispute.status = (
            OwnershipDispute.Status.REASSIGNED if reassign else OwnershipDispute.Status.KEPT
        )
        dispute.resolved_at, dispute.resolved_by, dispute.resolution = now, by, text
        dispute.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
        if reassign:
            reassign_ownership(
                ownership=dispute.ownership, member=dispute.claimant, reason=text, by=by
            )
        audit.record(
            action="placements.dispute.resolve",
            obj=dispute,
            changes={"status": dispute.status},
            reason=text,
            by=by,
        )
    return dispute


def reassign_ownership(*, ownership: Ownership, member: Member, reason: str, by) -> Ownership:
    if not getattr(by, "is_staff", False):
        raise PermissionDenied("Only platform staff reassign ownership")
    text = clean_reason(reason, required=True)
    with transaction.atomic():
        old = Ownership.objects.select_for_update().get(pk=ownership.pk)
        now = timezone.now()
        if old.ends_at <= now:
            raise InvalidInput(["ownership: it has already ended"])
        if old.member_id == member.pk:
            raise InvalidInput(["member: already the owner"])
        ends_at = old.ends_at
        old.ends_at, old.ended_early_reason = now, text
        old.save(update_fields=["ends_at", "ended_early_reason"])
        claimant_submission = (
            Submission.objects.filter(
                candidate_id=old.candidate_id, opening__client_id=old.client_id, member=member
            )
            .order_by("-created_at")
            .first()
        )
        new = Ownership.objects.create(
            candidate_id=old.candidate_id,
            client_id=old.client_id,
            member=member,
            submission=claimant_submission,
            policy=FairPlayPolicy.objects.current(),
            starts_at=now,
            ends_at=ends_at,
            reassigned_from=old,
            created_by=by,
        )
        audit.record(
            action="placements.ownership.reassign",
            obj=new,
            changes={"member": {"before": old.member_id, "after": member.pk}, "from": old.pk},
            reason=text,
            by=by,
        )
    return new
