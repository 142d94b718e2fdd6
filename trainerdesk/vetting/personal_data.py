"""Vetting's personal data for the privacy registry (registered in apps.py): a person's
assessment attempts and the evidence (their measured accuracy) the network matches on.

Attempts and evidence hold no name or free text, only scores and item ids, tied to the
login; the login is anonymised by accounts, so what stays is pseudonymous. Evidence is a
judgement about the person and serves nothing once they are gone: it is deleted."""

from __future__ import annotations

from typing import Any

from trainerdesk.privacy.registry import PersonalDataHandler, Subject, Table
from trainerdesk.vetting.models import Attempt, Evidence


class VettingHandler(PersonalDataHandler):
    app = "vetting"

    def _attempts(self, subject: Subject) -> Any:
        if not subject.user_id:
            return Attempt.objects.none()
        return Attempt.objects.filter(user_id=subject.user_id)

    def _evidence(self, subject: Subject) -> Any:
        if not subject.user_id:
            return Evidence.objects.none()
        return Evidence.objects.filter(user_id=subject.user_id)

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        return {
            "vetting.attempt": list(self._attempts(subject).values_list("pk", flat=True)),
            "vetting.evidence": list(self._evidence(subject).values_list("pk", flat=True)),
        }

    def export(self, subject: Subject) -> list[Table]:
        return [
            Table.from_queryset(
                "vetting.attempt",
                self._attempts(subject),
                (
                    "id",
                    "assessment__title",
                    "assessment_version",
                    "status",
                    "started_at",
                    "finished_at",
                    "n",
                    "correct",
                    "accuracy",
                    "low",
                    "high",
                    "passed",
                    "lead_time_seconds",
                    "valid_until",
                ),
            ),  # fmt: skip
            Table.from_queryset(
                "vetting.evidence",
                self._evidence(subject),
                Evidence.SHOWN_FIELDS,
            ),  # fmt: skip
        ]

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        evidence = self._evidence(subject)
        count = evidence.count()
        if not dry_run:
            evidence.delete()
        return {"vetting.evidence": count}
