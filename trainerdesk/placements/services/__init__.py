"""The placements services: every write of the pipeline, each in one transaction with
its audit event. One module per area; import from here (`services.submit_candidate`)."""

from trainerdesk.placements.services.analytics import (
    Expected,
    FunnelRow,
    expected_commissions,
    funnel,
    offer_commission_estimate,
)
from trainerdesk.placements.services.interviews import (
    RATINGS,
    record_interview_feedback,
    schedule_interview,
)
from trainerdesk.placements.services.offers import answer_offer, make_offer
from trainerdesk.placements.services.ownership import (
    claim_ownership,
    raise_ownership_dispute,
    reassign_ownership,
    resolve_ownership_dispute,
)
from trainerdesk.placements.services.placements import (
    commission_basis_points,
    create_placement,
    record_fall_off,
    start_placement,
    sweep_placements,
)
from trainerdesk.placements.services.policy import create_fair_play_policy, current_policy
from trainerdesk.placements.services.rules import (
    active_ownership,
    live_consent,
    member_submit_refusal,
    submission_refusals,
)
from trainerdesk.placements.services.stages import (
    MOVES_BY_ROLE,
    TRANSITIONS,
    allowed_moves,
    move_submission,
)
from trainerdesk.placements.services.submissions import submit_candidate

__all__ = [
    "MOVES_BY_ROLE",
    "RATINGS",
    "TRANSITIONS",
    "Expected",
    "FunnelRow",
    "active_ownership",
    "allowed_moves",
    "answer_offer",
    "claim_ownership",
    "commission_basis_points",
    "create_fair_play_policy",
    "create_placement",
    "current_policy",
    "expected_commissions",
    "funnel",
    "live_consent",
    "make_offer",
    "member_submit_refusal",
    "move_submission",
    "offer_commission_estimate",
    "raise_ownership_dispute",
    "reassign_ownership",
    "record_fall_off",
    "record_interview_feedback",
    "resolve_ownership_dispute",
    "schedule_interview",
    "start_placement",
    "submission_refusals",
    "submit_candidate",
    "sweep_placements",
]
