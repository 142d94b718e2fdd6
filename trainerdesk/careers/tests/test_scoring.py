"""Scoring: every recommendation is reachable, every answer is explained, bad answers are
refused naming the question (pure Python, no database)."""

import itertools
import math
import re

import pytest

from trainerdesk.careers import questionnaire, scoring
from trainerdesk.careers.questionnaire import GUIDES, QUESTIONS, validate_answers
from trainerdesk.careers.scoring import score_answers
from trainerdesk.careers.tests.conftest import AFTER_LEARNING, FITS, LOW, NO_TIME
from trainerdesk.lib.errors import InvalidInput


def test_strong_answers_fit_with_nothing_to_learn_first():
    result = score_answers(FITS)

    assert result.recommendation == scoring.FITS
    assert result.score == result.max_score == 18
    assert result.learn_first == []
    assert "fits" in result.title.lower()


def test_gaps_point_at_the_guides_that_cover_them():
    result = score_answers(AFTER_LEARNING)

    assert result.recommendation == scoring.FITS_AFTER_LEARNING
    assert result.score == 14
    # Never recruited -> sourcing; unsure about personal data -> GDPR; in question order.
    assert result.learn_first == ["sourcing", "gdpr"]
    assert [title for _, title in result.guides] == [GUIDES["sourcing"], GUIDES["gdpr"]]
    assert "guides below" in result.summary


def test_a_middling_score_without_zeros_names_the_weakest_areas():
    middling = {q.key: next(o.value for o in q.options if o.points == 1) for q in QUESTIONS
                if any(o.points == 1 for o in q.options)}  # fmt: skip
    middling["hours"] = "3to10"

    result = score_answers(middling)

    assert result.recommendation == scoring.FITS_AFTER_LEARNING
    assert len(result.learn_first) == scoring.LEARN_AT_MOST


def test_too_little_time_is_not_now_whatever_else_fits():
    result = score_answers(NO_TIME)

    assert result.recommendation == scoring.PROBABLY_NOT_NOW
    assert result.score == 16
    assert "under 3 hours" in result.summary.lower()


def test_a_low_score_is_not_now_and_says_where_to_start():
    result = score_answers(LOW)

    assert result.recommendation == scoring.PROBABLY_NOT_NOW
    assert result.score < scoring.NOT_NOW_BELOW
    assert set(result.learn_first) == {"sourcing", "scorecard", "network_rules", "gdpr"}
    assert "come back" in result.summary


def test_every_recommendation_is_reachable_over_all_answer_sets():
    seen = set()
    for values in itertools.product(*[[o.value for o in q.options] for q in QUESTIONS]):
        seen.add(
            score_answers(dict(zip([q.key for q in QUESTIONS], values, strict=True))).recommendation
        )
        if len(seen) == 3:
            break
    assert seen == set(scoring.RECOMMENDATIONS)


@pytest.mark.parametrize("answers", [FITS, AFTER_LEARNING, NO_TIME, LOW])
def test_the_explanation_mentions_each_answer(answers):
    result = score_answers(answers)

    assert [line.question_key for line in result.lines] == [q.key for q in QUESTIONS]
    for question, line in zip(QUESTIONS, result.lines, strict=True):
        option = question.option(answers[question.key])
        assert line.answer == option.label
        assert line.note == option.note
        assert line.points == option.points
    assert sum(line.points for line in result.lines) == result.score
    assert "not a decision" in scoring.NO_OBLIGATION


def test_same_answers_same_result():
    assert score_answers(AFTER_LEARNING) == score_answers(dict(AFTER_LEARNING))


def test_every_option_has_its_own_note_and_every_guide_exists():
    for question in QUESTIONS:
        notes = [o.note for o in question.options]
        assert len(set(notes)) == len(notes), question.key
        assert len({o.value for o in question.options}) == len(question.options)
        assert question.guide is None or question.guide in GUIDES
    assert 8 <= len(QUESTIONS) <= 10


@pytest.mark.parametrize(
    ("answers", "messages"),
    [
        ({**FITS, "hours": ""}, ["hours: please answer “Hours a week you could give it?”"]),
        ({k: v for k, v in FITS.items() if k != "sales"}, ["sales: please answer"]),
        ({**FITS, "languages": "twelve"}, ["languages: 'twelve' is not one of one, two, more"]),
        ({**FITS, "languages": 2}, ["languages: 2 is not one of"]),
        ({**FITS, "age": "40"}, ["age: no such question"]),
        (["background"], ["answers: must be an object"]),
    ],
)
def test_bad_answers_are_refused_naming_the_question(answers, messages):
    with pytest.raises(InvalidInput) as caught:
        validate_answers(answers)

    assert len(caught.value.errors) == len(messages)
    for error, expected in zip(caught.value.errors, messages, strict=True):
        assert error.startswith(expected), error


def test_every_missing_question_is_named_at_once():
    with pytest.raises(InvalidInput) as caught:
        score_answers({})

    assert [e.split(":")[0] for e in caught.value.errors] == [q.key for q in QUESTIONS]


def test_the_page_reads_in_two_minutes():
    """Counted here on its own: every word of the intro, questions and options at 200
    words a minute, plus 5 seconds a question to choose."""
    texts = [questionnaire.INTRO]
    for question in QUESTIONS:
        texts += [question.text, *(option.label for option in question.options)]
    words = len(" ".join(texts).split())
    seconds = words / 200 * 60 + 5 * len(QUESTIONS)

    assert seconds <= 120, f"{words} words and {len(QUESTIONS)} questions take {seconds:.0f} s"
    assert math.isclose(questionnaire.reading_seconds(), seconds, abs_tol=3)
    assert questionnaire.duration_label() == "about 2 minutes"


def test_the_duration_label_follows_the_count(monkeypatch):
    monkeypatch.setattr(questionnaire, "WORDS_PER_MINUTE", 60)

    assert questionnaire.duration_label() != "about 2 minutes"
    assert re.fullmatch(r"about \d+ minutes", questionnaire.duration_label())
