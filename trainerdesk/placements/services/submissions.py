"""Submitting a candidate to an opening (or shortlisting them as sourced first)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.network.models import Candidate, Member, Opening
from trainerdesk.placements.models import FairPlayPolicy, Stage, Submission
from trainerdesk.placements.services import ownership, rules
from trainerdesk.placements.services.stages import log_stage_change

START_STAGES = (Stage.SOURCED, Stage.SUBMITTED)


def submit_candidate(
    *,
    candidate: Candidate,
    opening: Opening,
    member: Member,
    stage: str = Stage.SUBMITTED,
    by,
) -> Submission:
    """A new submission of `candidate` to `opening` by `member`. `stage="sourced"` keeps
    it on the member's own shortlist (the client sees nothing until it is submitted).
    Refused, naming the rule: a member who may not submit, a candidate they do not
    represent, a role not open; and when it goes to the client: no live consent for that
    client, the pending cap, another member's ownership, a duplicate."""
    if stage not in START_STAGES:
        raise InvalidInput(["stage: a submission starts as sourced or submitted"])
    if not (getattr(by, "is_staff", False) or by.pk == member.user_id):
        raise PermissionDenied("member: you may submit only as yourself")
    with transaction.atomic():
        # The candidate's row serialises submissions of one person (ownership and
        # duplicates); the member's row their pending cap.
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        member = Member.objects.select_for_update().get(pk=member.pk)
        opening = Opening.objects.select_related("client").get(pk=opening.pk)
        policy = FairPlayPolicy.objects.current()
        to_client = stage == Stage.SUBMITTED
        refusal = rules.submission_refusals(
            candidate=candidate, opening=opening, member=member, policy=policy,
            to_client=to_client,
        )  # fmt: skip
        if refusal is not None:
            raise InvalidInput([refusal])
        now = timezone.now()
        submission = Submission.objects.create(
            candidate=candidate,
            opening=opening,
            member=member,
            consent=rules.live_consent(candidate, opening) if to_client else None,
            policy=policy,
            stage=stage,
            created_by=by,
            submitted_at=now if to_client else None,
            stage_changed_at=now,
        )
        log_stage_change(submission=submission, from_stage="", to_stage=stage, by=by)
        audit.record(
            action="placements.submission.create",
            obj=submission,
            changes={
                "candidate": candidate.pk,
                "opening": opening.pk,
                "member": member.pk,
                "stage": stage,
                "consent": submission.consent_id,
                "policy_version": policy.version,
            },
            by=by,
        )
        if to_client:
            ownership.claim_ownership(submission=submission, by=by)
    return submission
