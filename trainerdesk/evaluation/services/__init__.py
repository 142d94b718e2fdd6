"""The evaluation app's services (one module per area), re-exported."""

from trainerdesk.evaluation.services.common import classification_fields, field_of
from trainerdesk.evaluation.services.runs import (
    compare_runs,
    length_bucket,
    run_evaluation,
    start_evaluation,
)
from trainerdesk.evaluation.services.splits import create_split, draw_split, held_out_ids
from trainerdesk.evaluation.services.suite_runs import run_suite_run
from trainerdesk.evaluation.services.training import (
    run_training,
    train_baseline,
)
from trainerdesk.evaluation.services.versions import (
    add_probabilities,
    create_model_version,
    version_for,
    versions_with_predictions,
)

__all__ = [
    "add_probabilities",
    "classification_fields",
    "compare_runs",
    "create_model_version",
    "create_split",
    "draw_split",
    "field_of",
    "held_out_ids",
    "length_bucket",
    "run_evaluation",
    "run_suite_run",
    "run_training",
    "start_evaluation",
    "train_baseline",
    "version_for",
    "versions_with_predictions",
]
