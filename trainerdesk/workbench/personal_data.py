"""The workbench's personal data for the privacy registry (registered in apps.py): what a
user wrote (comments), what they were told (notifications), their project roles and
their annotations.

Annotations are work done for an organization's project: they stay, tied to the
anonymised login (pseudonymous; the agreement reports and exports keep adding up), and
are listed in an access request. Comments keep their place in the thread with the text
erased; notifications to the person are deleted."""

from __future__ import annotations

from typing import Any

from trainerdesk.privacy.registry import ERASED, PersonalDataHandler, Subject, Table
from trainerdesk.workbench.models import Annotation, Comment, Notification, ProjectMember


class WorkbenchHandler(PersonalDataHandler):
    app = "workbench"
    personal_fields = {"workbench.comment": frozenset({"body"})}

    def _by(self, model: Any, field: str, subject: Subject) -> Any:
        if not subject.user_id:
            return model.objects.none()
        return model.objects.filter(**{field: subject.user_id})

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        return {
            "workbench.annotation": ids(self._by(Annotation, "annotator_id", subject)),
            "workbench.comment": ids(self._by(Comment, "author_id", subject)),
            "workbench.notification": ids(self._by(Notification, "user_id", subject)),
            "workbench.projectmember": ids(self._by(ProjectMember, "user_id", subject)),
        }

    def export(self, subject: Subject) -> list[Table]:
        return [
            Table.from_queryset(
                "workbench.annotation",
                self._by(Annotation, "annotator_id", subject),
                (
                    "id",
                    "project_id",
                    "item_id",
                    "answer",
                    "skipped",
                    "skip_reason",
                    "lead_time",
                    "created_at",
                    "updated_at",
                ),
            ),  # fmt: skip
            Table.from_queryset(
                "workbench.comment",
                self._by(Comment, "author_id", subject),
                ("id", "project_id", "item_id", "body", "created_at", "edited_at"),
            ),
            Table.from_queryset(
                "workbench.projectmember",
                self._by(ProjectMember, "user_id", subject),
                ("id", "project_id", "role"),
            ),
        ]

    def personal_values(self, subject: Subject) -> set[str]:
        return set(self._by(Comment, "author_id", subject).values_list("body", flat=True))

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        comments = self._by(Comment, "author_id", subject).exclude(body=ERASED)
        notifications = self._by(Notification, "user_id", subject)
        counts = {
            "workbench.comment": comments.count(),
            "workbench.notification": notifications.count(),
        }
        if not dry_run:
            comments.update(body=ERASED)
            notifications.delete()
        return counts
