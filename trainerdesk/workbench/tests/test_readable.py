from types import SimpleNamespace

from trainerdesk.workbench.readable import readable_answer

FIELDS = {
    "topic": SimpleNamespace(name="topic", type="choice", source="text"),
    "better": SimpleNamespace(name="better", type="pairwise", source=None),
}


def _field(name):
    return FIELDS[name]


def test_empty_answers_read_the_same_for_reviewers_and_gold_feedback():
    # The review page wrote "—" for None and "" for [], gold feedback "(none)" for both.
    assert readable_answer(_field("topic"), None, {}) == ["(none)"]
    assert readable_answer(_field("topic"), [], {}) == ["(none)"]


def test_an_unanswered_preference_is_not_a_tie():
    # Gold feedback showed an unanswered preference as "tie".
    assert readable_answer(_field("better"), {"preferred": None}, {}) == ["(none)"]
    assert readable_answer(_field("better"), {"preferred": "tie"}, {}) == ["tie"]
    assert readable_answer(_field("better"), {"preferred": 1, "strength": 2}, {}) == [
        "B is better (strength 2)"
    ]
