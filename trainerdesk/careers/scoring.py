"""The career self-assessment's score and recommendation, explained answer by answer
(pure Python, no Django).

Three outcomes:
- `fits`: a high score and no answer at zero points: recruiting AI trainers fits now.
- `fits_after_learning`: it can fit, once the guides named for the weak answers are read.
- `probably_not_now`: under 3 hours a week (too little to carry a candidate from first call
  to placement, whatever else fits) or a low score; it says what to learn to come back.

The thresholds are out of `MAX_SCORE` (18 for version 1): `FITS_FROM` is about 70% with no
gaps, `NOT_NOW_BELOW` under 45%. They are a first judgement, not a measured prediction:
the page says so, and nobody is refused membership by this score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trainerdesk.careers.questionnaire import (
    GUIDES,
    MAX_SCORE,
    QUESTIONNAIRE_VERSION,
    QUESTIONS,
    validate_answers,
)

FITS = "fits"
FITS_AFTER_LEARNING = "fits_after_learning"
PROBABLY_NOT_NOW = "probably_not_now"

RECOMMENDATIONS: dict[str, str] = {
    FITS: "Recruiting AI trainers fits you",
    FITS_AFTER_LEARNING: "It can fit you, after some learning first",
    PROBABLY_NOT_NOW: "Probably not right now",
}

FITS_FROM = 13
NOT_NOW_BELOW = 8
# Below this many hours a week a placement cannot be followed through (see module doc).
TOO_LITTLE_TIME = ("hours", "lt3")
# With no zero answers but a middling score, name this many of the weakest areas.
LEARN_AT_MOST = 2

NO_OBLIGATION = (
    "This is a self-check, not a decision: you may apply for membership whatever it says, "
    "and nothing is sent to anyone unless you choose to."
)


@dataclass(frozen=True)
class AnswerLine:
    question_key: str
    question: str
    answer: str
    points: int
    max_points: int
    note: str


@dataclass(frozen=True)
class Assessment:
    version: int
    answers: dict[str, str]
    score: int
    max_score: int
    recommendation: str
    lines: list[AnswerLine]
    learn_first: list[str] = field(default_factory=list)  # GUIDES keys

    @property
    def title(self) -> str:
        return RECOMMENDATIONS[self.recommendation]

    @property
    def summary(self) -> str:
        return _summary(self)

    @property
    def guides(self) -> list[tuple[str, str]]:
        return [(code, GUIDES[code]) for code in self.learn_first]


def _unique(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _summary(assessment: Assessment) -> str:
    score = f"You scored {assessment.score} of {assessment.max_score}."
    if assessment.recommendation == FITS:
        return (
            f"{score} Your answers show the background, time and network to start placing "
            "AI trainers; the onboarding guides will show you the network's way of working."
        )
    if assessment.recommendation == FITS_AFTER_LEARNING:
        return (
            f"{score} Most of what the work needs is there. Read the guides below first: "
            "they cover the answers that scored lowest."
        )
    if assessment.answers.get(TOO_LITTLE_TIME[0]) == TOO_LITTLE_TIME[1]:
        reason = (
            "With under 3 hours a week you could not follow candidates through to a "
            "placement, which takes a few calls and checks every week."
        )
    else:
        reason = "Several of the things the work needs are not there yet."
    return f"{score} {reason} If you want to come back to it later, start with the guides below."


def score_answers(answers: Mapping[str, object]) -> Assessment:
    """The assessment of one set of answers (validated first: InvalidInput names each bad
    question). Same answers, same result: nothing here depends on time or chance."""
    valid = validate_answers(answers)
    lines: list[AnswerLine] = []
    zero_guides: list[str] = []
    weak_guides: list[tuple[int, int, str]] = []  # (points short, position, guide)
    for position, question in enumerate(QUESTIONS):
        option = question.option(valid[question.key])
        assert option is not None  # validate_answers checked it
        lines.append(
            AnswerLine(
                question.key,
                question.text,
                option.label,
                option.points,
                question.max_points,
                option.note,
            )
        )
        if question.guide is None:
            continue
        if option.points == 0:
            zero_guides.append(question.guide)
        if option.points < question.max_points:
            weak_guides.append((option.points - question.max_points, position, question.guide))
    score = sum(line.points for line in lines)

    too_little_time = valid[TOO_LITTLE_TIME[0]] == TOO_LITTLE_TIME[1]
    if too_little_time or score < NOT_NOW_BELOW:
        recommendation = PROBABLY_NOT_NOW
    elif score >= FITS_FROM and not zero_guides:
        recommendation = FITS
    else:
        recommendation = FITS_AFTER_LEARNING

    if recommendation == FITS:
        learn_first: list[str] = []
    elif zero_guides:
        learn_first = _unique(zero_guides)
    else:
        learn_first = _unique([guide for _, _, guide in sorted(weak_guides)])[:LEARN_AT_MOST]
    return Assessment(
        version=QUESTIONNAIRE_VERSION,
        answers=valid,
        score=score,
        max_score=MAX_SCORE,
        recommendation=recommendation,
        lines=lines,
        learn_first=learn_first,
    )
