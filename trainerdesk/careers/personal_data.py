"""The career self-assessment's personal data for the privacy registry (registered in
apps.py). A kept result holds no name, e-mail or IP address: it is found only through
its token (the link the visitor holds), which a request names as `careers_token`."""

from __future__ import annotations

from typing import Any

from trainerdesk.careers.models import CareerAssessmentResult
from trainerdesk.privacy.registry import PersonalDataHandler, Subject, Table


class CareersHandler(PersonalDataHandler):
    app = "careers"

    def _results(self, subject: Subject) -> Any:
        if not subject.careers_token:
            return CareerAssessmentResult.objects.none()
        return CareerAssessmentResult.objects.filter(token=subject.careers_token)

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        return {
            "careers.careerassessmentresult": list(
                self._results(subject).values_list("pk", flat=True)
            )
        }

    def export(self, subject: Subject) -> list[Table]:
        columns = (
            "id",
            "questionnaire_version",
            "answers",
            "score",
            "recommendation",
            "consented_at",
        )
        return [
            Table.from_queryset("careers.careerassessmentresult", self._results(subject), columns)
        ]

    def personal_values(self, subject: Subject) -> set[str]:
        return {subject.careers_token} if subject.careers_token else set()

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        results = self._results(subject)
        count = results.count()
        if not dry_run:
            results.delete()
        return {"careers.careerassessmentresult": count}
