"""Governance's personal data for the privacy registry (registered in apps.py): the
dataset versions, bias audits, documents, data-gap entries and lineage links a person
created, computed, approved, closed or recorded. What these rows hold of the person is
their login as the actor; the rest is about the data and the models.

They are the records the EU AI Act asks a provider to keep (Art. 11 with Annex IV, Art. 12,
Art. 18: ten years after the system is placed on the market), so an erasure neither
deletes nor rewrites them: they stay tied to the anonymised login (pseudonymous), an
access request lists them, and retained() says so. A version's manifest names annotators
only inside record hashes, as ids."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from trainerdesk.governance.models import (
    BiasAudit,
    DataGap,
    DatasetVersion,
    DocumentVersion,
    UsedVersion,
)
from trainerdesk.privacy.registry import PersonalDataHandler, Retained, Subject, Table

AI_ACT = (
    "governance record (who built, approved or recorded it): EU AI Act Art. 18, kept ten "
    "years; tied to the anonymised login"
)

# (table, model, the person's fields, the columns listed in an access request)
RECORDS: tuple[tuple[str, Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "governance.datasetversion",
        DatasetVersion,
        ("created_by",),
        ("id", "project_id", "name", "created_at", "version_id", "record_count"),
    ),
    (
        "governance.biasaudit",
        BiasAudit,
        ("computed_by",),
        ("id", "project_id", "kind", "field", "attributes", "computed_at"),
    ),
    (
        "governance.documentversion",
        DocumentVersion,
        ("created_by", "approved_by"),
        ("id", "project_id", "kind", "title", "created_at", "approved_at", "content_sha256"),
    ),
    (
        "governance.datagap",
        DataGap,
        ("created_by", "closed_by"),
        ("id", "project_id", "title", "description", "status", "created_at", "closed_at"),
    ),
    (
        "governance.usedversion",
        UsedVersion,
        ("recorded_by",),
        ("id", "project_id", "version_id", "run_type", "run_id", "match", "recorded_at"),
    ),
)


def _theirs(model: Any, fields: tuple[str, ...], subject: Subject) -> Any:
    if not subject.user_id:
        return model.objects.none()
    mine = Q()
    for name in fields:
        mine |= Q(**{f"{name}_id": subject.user_id})
    return model.objects.filter(mine).order_by("id")


class GovernanceHandler(PersonalDataHandler):
    app = "governance"

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        return {
            table: list(_theirs(model, fields, subject).values_list("pk", flat=True))
            for table, model, fields, _columns in RECORDS
        }

    def export(self, subject: Subject) -> list[Table]:
        return [
            Table.from_queryset(table, _theirs(model, fields, subject), columns)
            for table, model, fields, columns in RECORDS
        ]

    def retained(self, subject: Subject) -> list[Retained]:
        out = []
        for table, model, fields, _columns in RECORDS:
            ids = tuple(_theirs(model, fields, subject).values_list("pk", flat=True))
            if ids:
                out.append(Retained(table, ids, tuple(f"{f}_id" for f in fields), AI_ACT))
        return out
