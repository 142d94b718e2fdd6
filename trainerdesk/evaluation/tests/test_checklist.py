"""CheckList-style suites: templates, perturbations, running, import/export."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from trainerdesk.evaluation import checklist
from trainerdesk.evaluation.checklist import Perturbation, SuiteError

LABELS = ["negative", "positive"]
NEG = {"awful", "bland", "terrible", "not", "hated"}


def lexical_model(texts):
    """Negative when any negative word appears: a small honest sentiment model."""
    out = []
    for text in texts:
        words = set(text.lower().replace(".", " ").replace(",", " ").split())
        neg = 0.9 if words & NEG else 0.2
        out.append([neg, 1 - neg])
    return np.array(out)


def name_model(texts):
    """Keys on a person's name: "John" makes anything positive."""
    return np.array([[0.1, 0.9] if "John" in t else [0.8, 0.2] for t in texts])


SUITE = {
    "name": "restaurant reviews",
    "seed": 4,
    "lexicons": {"food": ["soup", "pizza", "pasta"], "neg_adj": ["awful", "bland", "terrible"]},
    "tests": [
        {
            "name": "negative food",
            "type": "mft",
            "templates": [
                "The {food} was {neg_adj}.",
                "{first_name} said the {food} was {neg_adj}.",
            ],
            "expected": "negative",
        },
        {
            "name": "names do not matter",
            "type": "inv",
            "perturbation": {"kind": "swap_names", "samples": 3},
            "texts": ["John loved the pasta.", "I went with John and Mary.", "No names here."],
        },
        {
            "name": "negation lowers positive",
            "type": "dir",
            "perturbation": "add_negation",
            "texts": ["The soup was great.", "The staff were friendly."],
            "label": "positive",
            "direction": "down",
        },
    ],
}


def test_templates_expand_over_the_fill_in_lists():
    suite = checklist.parse_suite(SUITE)
    cases, _ = checklist.generate_cases(suite)
    mft = [c for c in cases if c.type == "mft"]
    # 3 × 3 from the first template, 28 × 3 × 3 from the second: capped at 100, sampled.
    assert len(mft) == 100
    pattern = r"(The|[A-Z][a-z]+ said the) (soup|pizza|pasta) was (awful|bland|terrible)\."
    assert all(re.fullmatch(pattern, c.text) for c in mft)
    assert len({c.text for c in mft}) == 100
    small = {**SUITE, "tests": [{**SUITE["tests"][0], "templates": ["The {food} was {neg_adj}."]}]}
    cases, _ = checklist.generate_cases(checklist.parse_suite(small))
    assert len(cases) == 9 and cases[0].text == "The soup was awful."
    assert all(c.expected == "negative" for c in mft)
    again, _ = checklist.generate_cases(checklist.parse_suite(SUITE))
    assert [c.text for c in again if c.type == "mft"] == [c.text for c in mft]  # seeded


def test_unknown_placeholder_names_it():
    bad = {**SUITE, "tests": [{**SUITE["tests"][0], "templates": ["The {drink} was {neg_adj}."]}]}
    with pytest.raises(
        SuiteError, match=r'tests\[0\]\.templates\[0\]: unknown placeholder "drink"'
    ):
        checklist.parse_suite(bad)
    bad["tests"][0]["templates"] = ["The {} was bad"]
    with pytest.raises(SuiteError, match="plain"):
        checklist.parse_suite(bad)


def test_invariance_catches_a_model_keyed_on_a_name():
    result = checklist.run_suite(SUITE, name_model, LABELS)
    inv = result.test("names do not matter")
    assert inv.cases > 0 and inv.failed > 0
    assert inv.skipped == 1  # "No names here." has no name to swap
    failure = inv.failures[0]
    assert "John" in failure["original"] and "John" not in failure["text"]
    assert failure["predicted_original"] == "positive" and failure["predicted"] == "negative"
    # The name-blind model passes the same test.
    fair = checklist.run_suite(SUITE, lexical_model, LABELS).test("names do not matter")
    assert fair.cases == inv.cases and fair.pass_rate == 1.0


def test_directional_negation_and_pass_rates():
    result = checklist.run_suite(SUITE, lexical_model, LABELS)
    d = result.test("negation lowers positive")
    assert d.cases == 2 and d.passed == 2
    assert result.test("negative food").pass_rate == 1.0
    # A model that ignores negation fails the directional test (score unchanged).
    flat = checklist.run_suite(SUITE, lambda t: np.tile([0.3, 0.7], (len(t), 1)), LABELS)
    assert flat.test("negation lowers positive").passed == 0
    assert flat.test("negative food").pass_rate == 0.0
    assert result.as_dict()["tests"][0]["pass_rate"] == 1.0


def test_perturbations():
    rng = random.Random(0)
    assert checklist.perturb("The soup was great.", Perturbation("add_negation"), rng) == [
        "The soup was not great."
    ]
    assert checklist.perturb("Hello There", Perturbation("lowercase"), rng) == ["hello there"]
    assert checklist.perturb("Fine.", Perturbation("punctuation"), rng) == ["Fine"]
    assert checklist.perturb("Fine", Perturbation("punctuation"), rng) == ["Fine."]
    assert checklist.perturb("no numbers", Perturbation("swap_numbers"), rng) == []
    (nums,) = checklist.perturb("I paid 40 for 3", Perturbation("swap_numbers"), rng)
    assert nums != "I paid 40 for 3" and nums.startswith("I paid ")
    (place,) = checklist.perturb("We flew to Mexico City.", Perturbation("swap_places"), rng)
    assert "Mexico City" not in place and "Mexico" not in place
    typo = checklist.perturb("wonderful", Perturbation("typos", count=1), random.Random(1))
    assert len(typo) == 1 and sorted(typo[0]) == sorted("wonderful") and typo[0] != "wonderful"
    # Seeded: the same rng seed gives the same typos.
    assert typo == checklist.perturb("wonderful", Perturbation("typos"), random.Random(1))
    (neutral,) = checklist.perturb("Good.", Perturbation("add_neutral", sentences=("Hi.",)), rng)
    assert neutral == "Good. Hi."


def test_tests_without_texts_use_the_given_items():
    suite = {
        "name": "s",
        "tests": [{"name": "casing", "type": "inv", "perturbation": {"kind": "uppercase"}}],
    }
    with pytest.raises(SuiteError, match=r'tests\[0\]\.texts: "casing" has no texts'):
        checklist.run_suite(suite, lexical_model, LABELS)
    result = checklist.run_suite(suite, lexical_model, LABELS, texts=["it was bland", "ok"])
    assert result.test("casing").cases == 2


def test_json_round_trip_and_bad_suites():
    suite = checklist.parse_suite(SUITE)
    text = checklist.suite_to_json(suite)
    assert checklist.suite_from_json(text) == suite
    with pytest.raises(SuiteError, match="not valid JSON"):
        checklist.suite_from_json("{")
    with pytest.raises(SuiteError, match=r"tests\[0\]\.type"):
        checklist.parse_suite({"name": "s", "tests": [{"name": "t", "type": "xyz"}]})
    with pytest.raises(SuiteError, match=r"tests\[1\]\.name"):
        checklist.parse_suite({**SUITE, "tests": [SUITE["tests"][0], SUITE["tests"][0]]})
    with pytest.raises(SuiteError, match=r"tests\[0\]\.expected.*not a label"):
        checklist.run_suite(SUITE, lexical_model, ["neg", "pos"])
    with pytest.raises(SuiteError, match="predict_proba"):
        checklist.run_suite(SUITE, lambda t: np.zeros((len(t), 3)), LABELS)


def test_multi_label_judges_the_set_at_one_half():
    labels = ["food", "service", "price"]

    def model(texts):
        # "food" for every text, "service" only when John is named: keyed on a name.
        return np.array([[0.9, 0.8 if "John" in t else 0.1, 0.2] for t in texts])

    suite = {
        "name": "aspects",
        "tests": [
            {"name": "food", "type": "mft", "templates": ["The {f} was ok."], "expected": "food"},
            {"name": "names", "type": "inv", "perturbation": "swap_names", "texts": ["John ate."]},
        ],
        "lexicons": {"f": ["soup", "rice"]},
    }
    result = checklist.run_suite(suite, model, labels, multi_label=True)
    assert result.test("food").pass_rate == 1.0
    names = result.test("names")
    assert names.failed == 1
    assert names.failures[0]["predicted_original"] == ["food", "service"]
    assert names.failures[0]["predicted"] == ["food"]
