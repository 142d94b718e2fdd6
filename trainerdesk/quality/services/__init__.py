"""Quality workflows, one module per area; this package re-exports their public API.

Callers keep writing `services.record_review(...)`. Tests that replace a function must
patch the module that looks it up, not this package.
"""

from trainerdesk.quality.services.final_labels import FinalLabeler, reviews_of_page
from trainerdesk.quality.services.gold import (
    AnnotatorGold,
    FeedbackField,
    GoldAnswer,
    GoldFeedback,
    GoldItemStat,
    GoldReport,
    OwnGold,
    gold_accuracy,
    gold_answers,
    gold_digest,
    gold_feedback,
    gold_kinds,
    own_gold_accuracy,
    record_gold_snapshots,
)
from trainerdesk.quality.services.label_error_runs import (
    MAX_FOLDS,
    STALE_RUN,
    decide_label_error,
    label_error_fields,
    run_label_errors,
    start_label_error_run,
)
from trainerdesk.quality.services.reports import (
    compute_agreement_report,
    latest_agreement_report,
    reference_accuracy,
    report_field_specs,
    start_agreement_report,
)
from trainerdesk.quality.services.review_queue import (
    QueueEntry,
    first_disagreement,
    next_review_item,
    review_queue,
)
from trainerdesk.quality.services.reviews import (
    LOW_SCORE,
    SCOPES,
    Decision,
    record_review,
    return_note,
    reviews_of_item,
    send_back,
)
from trainerdesk.quality.services.scorecards import (
    build_scorecard,
    peer_agreement,
    record_scorecard,
    review_acceptance,
    scorecard_gold,
)
from trainerdesk.quality.services.settings import (
    create_quality_settings,
    quality_settings_errors,
    settings_for,
    update_quality_settings,
)

__all__ = [
    "peer_agreement",
    "MAX_FOLDS",
    "STALE_RUN",
    "decide_label_error",
    "label_error_fields",
    "run_label_errors",
    "start_label_error_run",
    "Decision",
    "LOW_SCORE",
    "SCOPES",
    "record_review",
    "return_note",
    "reviews_of_item",
    "send_back",
    "QueueEntry",
    "first_disagreement",
    "next_review_item",
    "review_queue",
    "FinalLabeler",
    "reviews_of_page",
    "AnnotatorGold",
    "FeedbackField",
    "GoldAnswer",
    "GoldFeedback",
    "GoldItemStat",
    "GoldReport",
    "OwnGold",
    "gold_accuracy",
    "gold_answers",
    "gold_digest",
    "gold_feedback",
    "gold_kinds",
    "own_gold_accuracy",
    "record_gold_snapshots",
    "compute_agreement_report",
    "latest_agreement_report",
    "reference_accuracy",
    "report_field_specs",
    "start_agreement_report",
    "build_scorecard",
    "record_scorecard",
    "review_acceptance",
    "scorecard_gold",
    "create_quality_settings",
    "quality_settings_errors",
    "settings_for",
    "update_quality_settings",
]
