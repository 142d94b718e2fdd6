"""Governance services (re-exported: `services.create_version(...)` works everywhere)."""

from trainerdesk.governance.services.bias import run_label_parity_audit
from trainerdesk.governance.services.bias_model import (
    run_annotator_parity_audit,
    run_model_fairness_audit,
)
from trainerdesk.governance.services.versions import (
    DIFF_ID_LIMIT,
    build_version,
    create_version,
    diff_versions,
    export_version,
    iter_manifest,
    read_version_records,
    update_version,
)

__all__ = [
    "DIFF_ID_LIMIT",
    "build_version",
    "create_version",
    "diff_versions",
    "export_version",
    "iter_manifest",
    "read_version_records",
    "run_annotator_parity_audit",
    "run_label_parity_audit",
    "run_model_fairness_audit",
    "update_version",
]

from trainerdesk.governance.services.documents import (  # noqa: E402 - the area's own module
    approve_document,
    close_data_gap,
    create_data_gap,
    generate_document,
)

__all__ += ["approve_document", "close_data_gap", "create_data_gap", "generate_document"]
