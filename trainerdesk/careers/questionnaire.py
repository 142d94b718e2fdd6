"""The career self-assessment's questions, defined in code and versioned (no Django).

Anyone changing a question's wording, an option or its points raises
`QUESTIONNAIRE_VERSION`: stored results keep the version they were answered under, and a
signed set of answers from another version is not carried over (`careers.services`).

Every question is one choice among a few short options, so the whole page reads in under
two minutes (`reading_seconds`, checked by a test) and works on a phone without scripts.
Each option says, in one sentence, what the answer means for recruiting AI trainers: the
result page shows that sentence next to the answer, so the score is never a bare number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainerdesk.lib.errors import InvalidInput

QUESTIONNAIRE_VERSION = 1

# The kinds of onboarding guides a new member works through (issue 10, "Member"); a weak
# answer points at the guide that covers it. Code -> title shown to the visitor.
GUIDES: dict[str, str] = {
    "sourcing": "Sourcing AI trainers: where to find annotators, evaluators and labelers",
    "scorecard": "Reading a scorecard: accuracy, agreement and lead time from real work",
    "gdpr": "Consent and GDPR basics: handling candidates' personal data",
    "network_rules": "The network's rules: talking to clients, what the platform signs for you",
}

INTRO = (
    "Nine quick questions about your background, network and time. You get a score and an "
    "honest recommendation. No login, no obligation."
)

# Reading speed used to state the page's length: a common figure for reading plain text
# on screen, plus a pause per question to choose an answer.
WORDS_PER_MINUTE = 200
SECONDS_PER_QUESTION = 5


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: int
    note: str  # what this answer means, shown on the result page


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[Option, ...]
    # GUIDES key for a weak answer; None where no guide helps (time is not learnt).
    guide: str | None

    @property
    def max_points(self) -> int:
        return max(option.points for option in self.options)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "background",
        "Your main work background?",
        (
            Option(
                "recruiting",
                "Recruiting or HR",
                2,
                "Recruiting or HR: you know interviews, offers and candidate care.",
            ),
            Option(
                "tech",
                "Tech, data or AI",
                2,
                "Tech, data or AI: you can judge the work and talk shop with clients.",
            ),
            Option(
                "domain",
                "A specialist field (health, law, finance…)",
                2,
                "Specialist field: clients need domain experts as AI trainers.",
            ),
            Option(
                "other", "Something else", 1, "Another background: fine, many members start here."
            ),
        ),
        "sourcing",
    ),
    Question(
        "recruiting",
        "Have you hired or recruited people?",
        (
            Option("never", "Never", 0, "Never recruited: start with how sourcing works."),
            Option(
                "some",
                "For my own team",
                1,
                "You have hired for a team: you know what a good candidate looks like.",
            ),
            Option(
                "job",
                "As part of my job",
                2,
                "Recruiting is your job: the steps will feel familiar.",
            ),
        ),
        "sourcing",
    ),
    Question(
        "ai_work",
        "Do you know AI-training work (labeling, LLM evaluation)?",
        (
            Option(
                "no",
                "Not yet",
                0,
                "New to AI-training work: learn what clients measure before you recruit.",
            ),
            Option(
                "heard",
                "I know what it is",
                1,
                "You know the work: a scorecard will show you how it is measured.",
            ),
            Option(
                "done",
                "I have done or managed it",
                2,
                "You have done the work: you can tell candidates what to expect.",
            ),
        ),
        "scorecard",
    ),
    Question(
        "network",
        "How many people could you ask to do such work?",
        (
            Option(
                "few",
                "Hardly anyone",
                0,
                "A small network: you will need to learn where to find candidates.",
            ),
            Option("some", "Up to 20", 1, "Some contacts: a start to build on."),
            Option(
                "many",
                "More than 20, or I run a community",
                2,
                "A wide network: your first candidates are already in reach.",
            ),
        ),
        "sourcing",
    ),
    Question(
        "hours",
        "Hours a week you could give it?",
        (
            Option(
                "lt3",
                "Under 3",
                0,
                "Under 3 hours: too little to follow candidates through a placement.",
            ),
            Option("3to10", "3 to 10", 2, "3 to 10 hours: enough for a few placements a year."),
            Option("gt10", "More than 10", 2, "Over 10 hours: room to grow a steady practice."),
        ),
        None,
    ),
    Question(
        "sales",
        "Calling companies about their hiring needs?",
        (
            Option(
                "avoid",
                "I would rather not",
                0,
                "Calls feel hard: learn what you may offer clients first.",
            ),
            Option(
                "practice",
                "With some practice",
                1,
                "Calls with practice: most members start like this.",
            ),
            Option("enjoy", "I enjoy it", 2, "You enjoy calls: clients are won this way."),
        ),
        "network_rules",
    ),
    Question(
        "languages",
        "Languages you work in?",
        (
            Option("one", "One", 1, "One language: plenty of roles need just that."),
            Option("two", "Two", 2, "Two languages: more roles and candidates open up."),
            Option(
                "more", "Three or more", 2, "Several languages: multilingual roles are in demand."
            ),
        ),
        "sourcing",
    ),
    Question(
        "privacy",
        "Handling CVs and personal data with consent?",
        (
            Option(
                "unsure",
                "Not sure what it involves",
                0,
                "New to data protection: learn consent and GDPR before the first CV.",
            ),
            Option(
                "basics",
                "I know the basics",
                1,
                "You know the basics: the guide shows the network's consent records.",
            ),
            Option(
                "daily",
                "I do it at work",
                2,
                "You handle personal data already: you know why consent matters.",
            ),
        ),
        "gdpr",
    ),
    Question(
        "interest",
        "How interested are you in AI and how it is trained?",
        (
            Option(
                "low", "Not much", 0, "Little interest in AI: candidates and clients will notice."
            ),
            Option("curious", "Curious", 1, "Curious: a good start."),
            Option("keen", "Very", 2, "Very interested: that carries you through."),
        ),
        "scorecard",
    ),
)

QUESTIONS_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}
MAX_SCORE = sum(q.max_points for q in QUESTIONS)


def validate_answers(answers: Any) -> dict[str, str]:
    """`answers` as `{question key: option value}` for every question, or InvalidInput
    naming each question that is missing, unknown or answered with no such option."""
    if not isinstance(answers, Mapping):
        raise InvalidInput(["answers: must be an object of question keys to option values"])
    errors = []
    for question in QUESTIONS:
        value = answers.get(question.key)
        if value is None or value == "":
            errors.append(f"{question.key}: please answer “{question.text}”")
        elif not isinstance(value, str) or question.option(value) is None:
            allowed = ", ".join(o.value for o in question.options)
            errors.append(f"{question.key}: {value!r} is not one of {allowed}")
    errors += [f"{key}: no such question" for key in answers if key not in QUESTIONS_BY_KEY]
    if errors:
        raise InvalidInput(errors)
    return {q.key: answers[q.key] for q in QUESTIONS}


def word_count() -> int:
    """Words a visitor reads on the page: the intro, every question and every option."""
    texts = [INTRO]
    for question in QUESTIONS:
        texts.append(question.text)
        texts.extend(option.label for option in question.options)
    return sum(len(re.findall(r"[\w’'-]+", text)) for text in texts)


def reading_seconds() -> int:
    """Time to read and answer the page, from its measured words (rounded up)."""
    return math.ceil(word_count() * 60 / WORDS_PER_MINUTE + SECONDS_PER_QUESTION * len(QUESTIONS))


def duration_label() -> str:
    """What the page promises: "about 2 minutes" only while the count supports it."""
    minutes = max(1, math.ceil(reading_seconds() / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"
