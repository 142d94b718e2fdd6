"""The network's services: every write, one module per area (see DEVELOPERS.md)."""

from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.services.candidates import (
    DuplicateCandidate,
    add_candidate,
    answer_representation_request,
    clean_languages,
    clean_profile,
    create_candidate_login,
    merge_candidates,
    request_representation,
    update_candidate,
)
from trainerdesk.network.services.clients import (
    add_client_contact,
    create_client,
    decide_client,
    update_client,
)
from trainerdesk.network.services.common import NotAllowed, require_staff
from trainerdesk.network.services.consent import (
    grant_consent,
    has_consent,
    live_consents,
    record_workbench_evidence,
    withdraw_consent,
)
from trainerdesk.network.services.members import apply_for_membership, decide_member
from trainerdesk.network.services.memberships import (
    SubmitCheck,
    SweepResult,
    activate_membership,
    cancel_membership,
    current_membership,
    default_plan,
    member_can_submit,
    open_membership,
    renew_membership,
    require_member_can_submit,
    sweep_memberships,
)
from trainerdesk.network.services.onboarding import (
    Guide,
    complete_guide,
    guide,
    guides,
    onboarding_checklist,
    onboarding_progress,
)
from trainerdesk.network.services.openings import (
    TRANSITIONS,
    clean_fee_terms,
    create_opening,
    may_manage,
    transition_opening,
    update_opening,
)

__all__ = [
    "TRANSITIONS", "ConflictError", "DuplicateCandidate", "Guide", "InvalidInput", "NotAllowed",
    "SubmitCheck", "SweepResult", "activate_membership", "add_candidate", "add_client_contact",
    "answer_representation_request", "apply_for_membership", "cancel_membership",
    "clean_fee_terms", "clean_languages", "clean_profile", "create_candidate_login", "complete_guide", "create_client",
    "create_opening", "current_membership", "decide_client", "decide_member", "default_plan",
    "grant_consent", "guide", "guides", "has_consent", "live_consents", "may_manage",
    "member_can_submit", "merge_candidates", "onboarding_checklist", "onboarding_progress",
    "open_membership", "record_workbench_evidence", "renew_membership", "request_representation",
    "require_member_can_submit", "require_staff", "sweep_memberships", "transition_opening",
    "update_candidate", "update_client", "update_opening", "withdraw_consent",
]  # fmt: skip
