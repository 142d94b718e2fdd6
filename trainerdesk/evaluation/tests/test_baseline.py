"""The baseline trainer: seeded reproducibility, digests, the held-out split, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from trainerdesk.evaluation import baseline
from trainerdesk.lib.digest import lines_digest

WORDS = {
    "sport": "match goal team player league win score coach",
    "tech": "computer software phone chip internet data code",
    "politics": "election vote minister party government law",
}


def corpus(n_per: int = 8, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in WORDS.items():
        vocab = words.split()
        for _ in range(n_per):
            texts.append(" ".join(rng.choice(vocab, size=6)))
            labels.append(label)
    return texts, labels


ORDER = ["politics", "sport", "tech"]


def test_learns_and_predicts_in_label_order():
    texts, labels = corpus()
    model = baseline.train(texts, labels, labels_order=ORDER, seed=0)
    proba = model.predict_proba(["goal goal team", "vote party law", "software chip"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert [ORDER[i] for i in proba.argmax(axis=1)] == ["sport", "politics", "tech"]


def test_same_data_in_another_order_gives_same_model_and_predictions():
    texts, labels = corpus()
    ids = list(range(100, 100 + len(texts)))
    a = baseline.train(texts, labels, labels_order=ORDER, seed=3, item_ids=ids)
    perm = np.random.default_rng(1).permutation(len(texts))
    b = baseline.train(
        [texts[i] for i in perm],
        [labels[i] for i in perm],
        labels_order=ORDER,
        seed=3,
        item_ids=[ids[i] for i in perm],
    )
    assert a.training_digest == b.training_digest
    assert a.model_digest == b.model_digest
    probe = ["team score data", "minister phone"]
    assert np.array_equal(a.predict_proba(probe), b.predict_proba(probe))


def test_training_digest_is_the_lib_digest_of_id_label_lines():
    texts, labels = corpus(5)
    ids = [f"item-{i:03d}" for i in range(len(texts))]
    model = baseline.train(texts, labels, labels_order=ORDER, item_ids=ids)
    assert model.training_digest == lines_digest(sorted(zip(ids, labels, strict=True)))
    other = baseline.train(texts, labels[::-1], labels_order=ORDER, item_ids=ids)
    assert other.training_digest != model.training_digest
    record = model.record()
    assert record["items"] == len(texts) and "scikit-learn" in record["library_versions"]
    assert record["training_seconds"] >= 0


def test_never_trains_on_the_held_out_split():
    texts, labels = corpus()
    ids = list(range(len(texts)))
    with pytest.raises(baseline.HeldOutLeak) as info:
        baseline.train(texts, labels, labels_order=ORDER, item_ids=ids, held_out={3, 17, 999})
    assert info.value.ids == [3, 17]
    assert "3, 17" in str(info.value)
    # Without the leaked ids it trains.
    keep = [i for i in ids if i not in {3, 17}]
    baseline.train(
        [texts[i] for i in keep],
        [labels[i] for i in keep],
        labels_order=ORDER,
        item_ids=keep,
        held_out={3, 17, 999},
    )


def test_refuses_too_few_labels_saying_how_many():
    texts, labels = corpus(8)
    texts, labels = texts[:8] + texts[8:11], labels[:8] + labels[8:11]  # 3 tech
    with pytest.raises(baseline.NotEnoughLabels, match=r'"tech" has 3.*at least 5'):
        baseline.train(texts, labels, labels_order=ORDER)
    with pytest.raises(baseline.NotEnoughLabels, match="two labels"):
        baseline.train(texts[:8], labels[:8], labels_order=ORDER)
    with pytest.raises(baseline.NotEnoughLabels):
        baseline.train([], [], labels_order=ORDER)


def test_unused_label_gets_probability_zero():
    texts, labels = corpus(8)
    model = baseline.train(texts[:16], labels[:16], labels_order=ORDER)  # no politics
    assert model.absent_labels == ("politics",)
    proba = model.predict_proba(["goal", "chip"])
    assert (proba[:, 0] == 0).all()


def test_bad_input_names_the_field():
    texts, labels = corpus(5)
    with pytest.raises(ValueError, match='unknown label "weather"'):
        baseline.train(texts, labels[:-1] + ["weather"], labels_order=ORDER)
    with pytest.raises(ValueError, match="params.depth"):
        baseline.train(texts, labels, labels_order=ORDER, params={"depth": 3})
    with pytest.raises(ValueError, match="params.C"):
        baseline.train(texts, labels, labels_order=ORDER, params={"C": -1})
    with pytest.raises(ValueError, match="item_ids: repeated"):
        baseline.train(texts, labels, labels_order=ORDER, item_ids=[1] * len(texts))


def test_predicts_in_batches_from_an_iterator():
    texts, labels = corpus()
    model = baseline.train(texts, labels, labels_order=ORDER)
    batches = list(model.iter_predict_proba((t for t in texts), batch_size=7))
    assert [len(b) for b in batches] == [7, 7, 7, 3]
    assert np.allclose(np.vstack(batches), model.predict_proba(texts, batch_size=1000))


def test_multi_label_one_vs_rest():
    texts, labels = corpus(10)
    pairs = zip(texts, labels, strict=True)
    multi = [sorted({label, *(["sport"] if "vote" in text else [])}) for text, label in pairs]
    model = baseline.train(texts, multi, labels_order=ORDER, multi_label=True, seed=1)
    proba = model.predict_proba(["goal team score match", "vote law party"])
    assert proba.shape == (2, 3)
    assert proba[0, ORDER.index("sport")] > 0.5 and proba[1, ORDER.index("politics")] > 0.5
    again = baseline.train(texts, multi, labels_order=ORDER, multi_label=True, seed=1)
    assert again.model_digest == model.model_digest
    with pytest.raises(ValueError, match="list of labels"):
        baseline.train(texts, labels, labels_order=ORDER, multi_label=True)
