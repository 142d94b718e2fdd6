"""The career self-assessment's writes and the public functions other apps use.

- `record_career_assessment`: score a visitor's answers; keep them only with consent.
- `result_for_token`: a kept result by its token (the membership application reads it).
- `sign_answers` / `answers_from_signed`: answers carried in a link when nothing was kept.
- `apply_url`: the one place that builds the "Apply for membership" link.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from trainerdesk.careers.models import CareerAssessmentResult
from trainerdesk.careers.questionnaire import QUESTIONNAIRE_VERSION, validate_answers
from trainerdesk.careers.scoring import Assessment, score_answers
from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput

# The audit log's actor for a visitor without an account (lib/audit: system=...).
PUBLIC_ACTOR = "public"
SIGNING_SALT = "trainerdesk.careers.answers"
# Where the membership application lives; the network app owns the URL name. Until it
# exists the link is the path it will have.
APPLY_URL_NAME = "network:apply"
APPLY_FALLBACK_PATH = "/network/apply/"
TOKEN_PARAM = "assessment"
SIGNED_PARAM = "answers"
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class RecordedAssessment:
    assessment: Assessment
    result: CareerAssessmentResult | None  # None: no consent, nothing stored
    signed_answers: str  # the answers for a link (sign_answers)

    @property
    def apply_url(self) -> str:
        if self.result is not None:
            return apply_url(token=self.result.token)
        return apply_url(signed_answers=self.signed_answers)


def record_career_assessment(
    *, answers: Mapping[str, Any], consent: bool, by: Any = None
) -> RecordedAssessment:
    """Score `answers`; with `consent`, store them (and only then write anything, with
    its audit event). Bad answers raise InvalidInput naming each question, storing
    nothing. `by`: the signed-in user who took it, or None for a visitor (the audit log
    then names the system actor "public")."""
    if not isinstance(consent, bool):
        raise InvalidInput(["consent: must be true or false"])
    assessment = score_answers(answers)
    signed = sign_answers(assessment.answers)
    if not consent:
        return RecordedAssessment(assessment, None, signed)
    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    with transaction.atomic():
        result = CareerAssessmentResult.objects.create(
            questionnaire_version=assessment.version,
            answers=assessment.answers,
            score=assessment.score,
            recommendation=assessment.recommendation,
            consented_at=timezone.now(),
            token=secrets.token_urlsafe(32),
        )
        audit.record(
            action="careers.assessment.record",
            obj=result,
            changes={
                "questionnaire_version": assessment.version,
                "score": assessment.score,
                "recommendation": assessment.recommendation,
            },
            by=actor,
            system=None if actor else PUBLIC_ACTOR,
        )
    return RecordedAssessment(assessment, result, signed)


def result_for_token(token: str | None) -> CareerAssessmentResult | None:
    """The kept result whose token is `token`, or None (unknown, malformed, or empty)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return CareerAssessmentResult.objects.filter(token=token).first()


def assessment_of(result: CareerAssessmentResult) -> Assessment | None:
    """A stored result scored again for its page, or None when it was answered under
    another questionnaire version (its stored score and recommendation still stand)."""
    if result.questionnaire_version != QUESTIONNAIRE_VERSION:
        return None
    return score_answers(result.answers)


def sign_answers(answers: Mapping[str, str]) -> str:
    """The answers with their questionnaire version, signed (SECRET_KEY) so a link can
    carry them without storing anything and nobody can alter them on the way."""
    payload = {"v": QUESTIONNAIRE_VERSION, "a": dict(answers)}
    return signing.dumps(payload, salt=SIGNING_SALT, compress=True)


def answers_from_signed(value: str | None) -> dict[str, str] | None:
    """The answers `sign_answers` put in `value`, or None when the signature is wrong, the
    value is damaged, or they belong to another questionnaire version."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return None
    try:
        payload = signing.loads(value, salt=SIGNING_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("v") != QUESTIONNAIRE_VERSION:
        return None
    try:
        return validate_answers(payload.get("a"))
    except InvalidInput:
        return None


def apply_url(*, token: str | None = None, signed_answers: str | None = None) -> str:
    """The membership application's address carrying a kept result's token
    (`?assessment=`) or, with nothing kept, the signed answers (`?answers=`)."""
    try:
        base = reverse(APPLY_URL_NAME)
    except NoReverseMatch:
        base = APPLY_FALLBACK_PATH
    if token:
        return f"{base}?{urlencode({TOKEN_PARAM: token})}"
    if signed_answers:
        return f"{base}?{urlencode({SIGNED_PARAM: signed_answers})}"
    return base
