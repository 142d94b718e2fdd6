"""The career self-assessment in the JSON API: public (no token), like the page."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trainerdesk.careers import services
from trainerdesk.careers.questionnaire import (
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    duration_label,
    reading_seconds,
    word_count,
)
from trainerdesk.careers.scoring import NO_OBLIGATION
from trainerdesk.lib.api_schemas import InputSchema

router = Router(tags=["careers"])


class OptionOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    key: str
    text: str
    options: list[OptionOut]


class QuestionnaireOut(Schema):
    version: int
    duration: str = Field(description='What the page says, e.g. "about 2 minutes".')
    reading_seconds: int = Field(
        description="Measured from the words of the intro, questions and options at 200 "
        "words a minute, plus 5 s per question."
    )
    words: int
    questions: list[QuestionOut]


class AssessmentIn(InputSchema):
    answers: dict[str, str] = Field(
        description="`{question key: option value}` for every question of the current version."
    )
    consent: bool = Field(
        False,
        description="true: keep the answers (no name, e-mail or IP address), returned "
        "`token`. false: nothing is stored; `signed_answers` carries them instead.",
    )


class AnswerLineOut(Schema):
    question_key: str
    question: str
    answer: str
    points: int
    max_points: int
    note: str = Field(description="What this answer means for the work.")


class GuideOut(Schema):
    code: str
    title: str


class AssessmentOut(Schema):
    version: int
    score: int
    max_score: int
    recommendation: str = Field(description="fits, fits_after_learning or probably_not_now.")
    title: str
    summary: str
    no_obligation: str
    explanation: list[AnswerLineOut]
    learn_first: list[GuideOut]
    stored: bool
    token: str | None = Field(description="The kept result's token (consent given), else null.")
    signed_answers: str | None = Field(
        description="Without consent: the answers, signed, for `?answers=` on the application."
    )
    apply_url: str = Field(description="The membership application carrying these answers.")


@router.get("/careers/questionnaire", response=QuestionnaireOut, auth=None)
def questionnaire(request: HttpRequest):
    """The current questions and options, and how long the page takes to read."""
    return {
        "version": QUESTIONNAIRE_VERSION,
        "duration": duration_label(),
        "reading_seconds": reading_seconds(),
        "words": word_count(),
        "questions": [
            {
                "key": q.key,
                "text": q.text,
                "options": [{"value": o.value, "label": o.label} for o in q.options],
            }
            for q in QUESTIONS
        ],
    }


@router.post("/careers/assessments", response={200: AssessmentOut, 201: AssessmentOut}, auth=None)
def create_assessment(request: HttpRequest, body: AssessmentIn):
    """Score a set of answers. 201 when kept (consent true), 200 when nothing was stored.
    An unanswered or unknown question is a 400 naming it."""
    by = request.user if request.user.is_authenticated else None
    recorded = services.record_career_assessment(answers=body.answers, consent=body.consent, by=by)
    scored = recorded.assessment
    out = {
        "version": scored.version,
        "score": scored.score,
        "max_score": scored.max_score,
        "recommendation": scored.recommendation,
        "title": scored.title,
        "summary": scored.summary,
        "no_obligation": NO_OBLIGATION,
        "explanation": [line.__dict__ for line in scored.lines],
        "learn_first": [{"code": code, "title": title} for code, title in scored.guides],
        "stored": recorded.result is not None,
        "token": recorded.result.token if recorded.result else None,
        "signed_answers": None if recorded.result else recorded.signed_answers,
        "apply_url": recorded.apply_url,
    }
    return Status(201 if recorded.result else 200, out)
