"""The vetting services: every write to assessments, attempts and evidence, each in one
transaction with its audit event."""

from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.vetting.services.assessments import (
    EDITABLE,
    MEASURED,
    activate_assessment,
    assessments_for_skill,
    create_assessment,
    gold_pool,
    note_pool_changes,
    pool_digest,
    retire_assessment,
    update_assessment,
)
from trainerdesk.vetting.services.attempts import (
    abandon_attempt,
    attempt_progress,
    draw_items,
    open_attempt,
    retake_from,
    score_attempt,
    start_attempt,
)
from trainerdesk.vetting.services.evidence import (
    best_evidence,
    evidence_for,
    record_scorecard_evidence,
)
from trainerdesk.vetting.services.workspace import NETWORK_ORG_NAME, network_organization

__all__ = [
    "abandon_attempt",
    "EDITABLE",
    "MEASURED",
    "NETWORK_ORG_NAME",
    "ConflictError",
    "InvalidInput",
    "activate_assessment",
    "assessments_for_skill",
    "attempt_progress",
    "best_evidence",
    "create_assessment",
    "draw_items",
    "evidence_for",
    "gold_pool",
    "note_pool_changes",
    "pool_digest",
    "network_organization",
    "open_attempt",
    "record_scorecard_evidence",
    "retake_from",
    "retire_assessment",
    "score_attempt",
    "start_attempt",
    "update_assessment",
]
