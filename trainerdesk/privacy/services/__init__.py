"""The privacy app's services (one module per area), re-exported here."""

from trainerdesk.privacy.services.erasure import (
    SubjectNotFound,
    audit_events_about,
    erase_subject,
    resolve,
)
from trainerdesk.privacy.services.records import activities, activities_csv, activities_json
from trainerdesk.privacy.services.requests import (
    build_bundle,
    close_request,
    collect_tables,
    confirm_erasure,
    create_request,
    export_bundle,
    preview_erasure,
    subject_of,
    verify_identity,
)
from trainerdesk.privacy.services.retention import (
    days_for_rules,
    retention_report,
    run_retention,
    set_rule,
)

__all__ = [
    "SubjectNotFound",
    "activities",
    "activities_csv",
    "activities_json",
    "audit_events_about",
    "build_bundle",
    "close_request",
    "collect_tables",
    "confirm_erasure",
    "create_request",
    "days_for_rules",
    "erase_subject",
    "export_bundle",
    "preview_erasure",
    "resolve",
    "retention_report",
    "run_retention",
    "set_rule",
    "subject_of",
    "verify_identity",
]
