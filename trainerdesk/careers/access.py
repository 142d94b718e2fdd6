"""The one place the career assessment's pages answer 404: a kept result is reached only
by its token, carried answers only by a valid signature."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.careers import services
from trainerdesk.careers.models import CareerAssessmentResult


def get_result_or_404(token: str) -> CareerAssessmentResult:
    result = services.result_for_token(token)
    if result is None:
        raise Http404("No such assessment result")
    return result


def signed_answers_or_404(value: str) -> dict[str, str]:
    answers = services.answers_from_signed(value)
    if answers is None:
        raise Http404("This result link is damaged or from an older questionnaire")
    return answers
