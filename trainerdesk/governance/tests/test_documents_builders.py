"""The pure document builders on hand-made facts (no database): the numbers they print,
"not available" for what the facts lack, and the content hash's independence from the
order inputs were gathered in."""

from trainerdesk.governance.doc_annex_iv import build_annex_iv
from trainerdesk.governance.doc_content import content_sha256, person_fields_of
from trainerdesk.governance.doc_model_card import build_model_card

RUN = {
    "id": 7, "version": "m1", "field": "topic", "scope": "split", "against": "gold",
    "items": 1200, "left_out": 0, "digest": "e" * 64, "computed_at": "2026-11-30T10:00:00+00:00",
    "created_by": "ana", "kappa": 0.8123, "probabilities": True, "method": "bootstrap",
    "resamples": 1000, "seed": 0,
    "dataset_version": {"id": 3, "name": "v3", "version_id": "f" * 64},
    "accuracy": {"value": 0.9125, "low": 0.8950, "high": 0.9283},
    "error_rate": {"value": 0.0875, "low": 0.0717, "high": 0.105},
    "macro_f1": {"value": None, "low": None, "high": None},
    "slices": [
        {"key": "source", "value": "web", "n": 12, "small": True,
         "error_rate": {"value": 0.25, "low": None, "high": None}, "accuracy": None},
    ],
}  # fmt: skip
VERSION = {
    "id": 5, "name": "m1", "model": "m1", "source": "Imported (file or API)",
    "created_at": "2026-11-29T09:00:00+00:00", "created_by": "ana", "notes": "",
    "training": {}, "training_digest": "", "runs": [RUN],
}  # fmt: skip
PROJECT = {"id": 1, "name": "News", "description": "", "overlap": 1, "fields": []}
AUDIT = {
    "id": 2, "attributes": ["sex"], "field": "topic", "positive": "sport", "items": 12,
    "max_difference": 0.5, "min_ratio": 0.4, "flag": True,
    "groups": [{"group": "F", "n": 6, "rate": 0.3333, "low": 0.0968, "high": 0.7000}],
}  # fmt: skip


def card(inputs=None):
    facts = {
        "project": PROJECT, "model": {"id": 4, "name": "m1"}, "version": VERSION, "runs": [RUN],
        "split": None, "bias_audits": [AUDIT],
        "inputs": inputs or [{"type": "b", "id": 1, "sha256": "x"}, {"type": "a", "id": 2}],
    }  # fmt: skip
    return build_model_card(facts, {"intended_use": "Sorting news."})


def test_model_card_prints_the_facts_and_says_what_is_missing():
    c = card()
    text = repr(c)
    assert c["title"] == "Model card: m1"
    assert "0.912 (95% interval 0.895–0.928)" in text
    assert "not available: not computed" in text  # macro F1 has no value
    assert "0.250 (no interval: too few items)" in text
    assert "dataset version v3 (#3, ffffffffffff…)" in text
    assert "F: 0.333 (95% interval 0.097–0.700) (n=6)" in text
    assert "fails" in text and "not available: an imported version" in text
    (written,) = [f for f in person_fields_of(c) if f["text"]]
    assert written == {"type": "person", "key": "intended_use", "label": written["label"],
                       "text": "Sorting news."}  # fmt: skip


def test_hash_ignores_the_order_inputs_were_gathered_in():
    a = card([{"type": "b", "id": 1, "sha256": "x"}, {"type": "a", "id": 2, "sha256": "y"}])
    b = card([{"type": "a", "id": 2, "sha256": "y"}, {"type": "b", "id": 1, "sha256": "x"}])
    assert content_sha256(a) == content_sha256(b)
    assert content_sha256(a) != content_sha256(card([{"type": "a", "id": 2, "sha256": "z"}]))


def test_annex_iv_without_data_lists_what_needs_a_person():
    facts = {
        "project": PROJECT, "versions": [VERSION], "datasheets": [], "bias_audits": [],
        "gaps": [], "split": None, "inputs": [],
        "labelling": {"annotations": 0, "annotators": 0, "guidelines": 0, "reviewed": 0,
                      "rule": ""},
    }  # fmt: skip
    c = build_annex_iv(facts, {})
    (art10,) = [s for s in c["sections"] if s["key"] == "art10"]
    rows = {r[0]: r[2] for r in art10["blocks"][0]["rows"]}
    assert rows["10(2)(a)"] == "needs a person's text"
    assert rows["10(2)(c)"].startswith("needs data (not available: no records yet)")
    assert rows["10(2)(h)"].startswith("needs data")
    assert all(not f["text"] for f in person_fields_of(c))
