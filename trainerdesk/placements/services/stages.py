"""Moving a submission through its stages: which moves exist, who may make which, and
the history row each leaves. No move is ever made by a score: a person decides each."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.placements import parties
from trainerdesk.placements.models import CLOSED, Stage, StageChange, Submission
from trainerdesk.placements.services import ownership, rules
from trainerdesk.placements.services.common import clean_reason, lock_submission
from trainerdesk.placements.services.placements import create_placement

S = Stage
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SOURCED: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.CLIENT_REVIEW, S.INTERVIEW, S.REJECTED, S.WITHDRAWN}),
    S.CLIENT_REVIEW: frozenset({S.INTERVIEW, S.OFFER, S.REJECTED, S.WITHDRAWN}),
    S.INTERVIEW: frozenset({S.OFFER, S.REJECTED, S.WITHDRAWN}),
    S.OFFER: frozenset({S.PLACED, S.REJECTED, S.WITHDRAWN}),
}
# The stages each party may move a submission to; staff may make any move above.
MOVES_BY_ROLE: dict[str, frozenset[str]] = {
    "member": frozenset({S.SUBMITTED, S.WITHDRAWN}),
    "client": frozenset({S.CLIENT_REVIEW, S.INTERVIEW, S.OFFER, S.PLACED, S.REJECTED}),
    "staff": frozenset(Stage.values),
}


def allowed_moves(submission: Submission, user) -> list[str]:
    """The stages `user` may move `submission` to now, in funnel order."""
    may: set[str] = set()
    for role in parties.roles_on(user, submission):
        may |= MOVES_BY_ROLE[role]
    nxt = TRANSITIONS.get(submission.stage, frozenset())
    return [s for s in Stage.values if s in nxt and s in may]


def log_stage_change(
    *, submission: Submission, from_stage: str, to_stage: str, by, reason: str = ""
) -> StageChange:
    return StageChange.objects.create(
        submission=submission, from_stage=from_stage, to_stage=to_stage, by=by, reason=reason
    )


def move_submission(*, submission: Submission, to_stage: str, by, reason: str = "") -> Submission:
    if to_stage not in Stage.values:
        raise InvalidInput([f"to_stage: {to_stage!r} is not one of {', '.join(Stage.values)}"])
    reason = clean_reason(reason, required=False)
    with transaction.atomic():
        submission = lock_submission(submission)
        return move_locked(submission=submission, to_stage=to_stage, by=by, reason=reason)


def move_locked(*, submission: Submission, to_stage: str, by, reason: str) -> Submission:
    """The move, on a row the caller locked inside its transaction (schedule_interview
    and make_offer call it too)."""
    before = submission.stage
    if to_stage not in TRANSITIONS.get(before, frozenset()):
        raise ConflictError(
            f"to_stage: a submission in {Stage(before).label.lower()} cannot move to "
            f"{Stage(to_stage).label.lower()}"
        )
    roles = parties.roles_on(by, submission)
    if not any(to_stage in MOVES_BY_ROLE[r] for r in roles):
        raise PermissionDenied(
            f"to_stage: you may not move a submission to {Stage(to_stage).label.lower()}"
        )
    now = timezone.now()
    fields = ["stage", "stage_changed_at"]
    if to_stage == S.SUBMITTED:
        refusal = rules.submission_refusals(
            candidate=submission.candidate,
            opening=submission.opening,
            member=submission.member,
            policy=submission.policy,
            to_client=True,
            exclude=submission,
        )
        if refusal is not None:
            raise InvalidInput([refusal])
        submission.consent = rules.live_consent(submission.candidate, submission.opening)
        submission.submitted_at = now
        fields += ["consent", "submitted_at"]
    submission.stage, submission.stage_changed_at = to_stage, now
    if to_stage in CLOSED:
        submission.closed_at = now
        fields.append("closed_at")
    submission.save(update_fields=fields)
    log_stage_change(
        submission=submission, from_stage=before, to_stage=to_stage, by=by, reason=reason
    )
    audit.record(
        action="placements.submission.move",
        obj=submission,
        changes={"stage": {"before": before, "after": to_stage}},
        reason=reason,
        by=by,
    )
    if to_stage == S.SUBMITTED:
        ownership.claim_ownership(submission=submission, by=by)
    if to_stage == S.PLACED:
        create_placement(submission=submission, by=by)
    return submission
