"""Final-label rules (pure): majority vote and Dawid–Skene."""

import numpy as np
import pytest

from trainerdesk.quality.review import (
    agreeing_count,
    dawid_skene,
    dawid_skene_fit,
    dawid_skene_labels,
    disagree,
    majority_vote,
)


def test_majority_picks_the_most_common_value_per_field():
    answers = [
        {"topic": "sport", "tags": ["a", "b"]},
        {"topic": "sport", "tags": ["b", "a"]},
        {"topic": "tech", "tags": ["a", "b"]},
    ]
    result = majority_vote(answers)
    assert result.answer == {"topic": "sport", "tags": ["a", "b"]}
    assert result.ties == []


def test_majority_tie_gives_no_final_value_and_says_so():
    result = majority_vote([{"topic": "sport", "n": 1}, {"topic": "tech", "n": 1}])
    assert result.answer == {"n": 1}
    assert result.ties == ["topic"]
    assert majority_vote([{"topic": "sport"}, {"topic": "tech"}]).answer is None


def test_majority_compares_objects_regardless_of_key_order():
    a = {"pref": {"preferred": 0, "strength": 2}}
    b = {"pref": {"strength": 2, "preferred": 0}}
    assert majority_vote([a, b, {"pref": {"preferred": 1}}]).answer == a
    assert not disagree([a, b])
    assert agreeing_count([a, b, {"pref": 1}]) == 2


def test_majority_of_nothing_is_nothing():
    assert majority_vote([]).answer is None
    assert agreeing_count([]) == 0


def _synthetic(seed=7, n_items=400, n_classes=3, good=0.95, noisy=0.3, n_noisy=4):
    """One careful annotator and several careless ones who each lean to one wrong class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_items)
    items, annotators, labels = [], [], []
    for j in range(1 + n_noisy):
        accuracy = good if j == 0 else noisy
        favourite = (j % n_classes) if j else None
        for i in range(n_items):
            if rng.random() < accuracy:
                label = truth[i]
            elif favourite is not None and rng.random() < 0.7:
                label = favourite
            else:
                label = rng.integers(0, n_classes)
            items.append(i)
            annotators.append(j)
            labels.append(int(label))
    return truth, np.array(items), np.array(annotators), np.array(labels)


def test_dawid_skene_beats_majority_with_one_good_annotator():
    truth, items, annotators, labels = _synthetic()
    n_items, n_classes = len(truth), 3
    votes = np.zeros((n_items, n_classes))
    np.add.at(votes, (items, labels), 1)
    majority_accuracy = (votes.argmax(axis=1) == truth).mean()
    result = dawid_skene(
        items, annotators, labels, n_items=n_items, n_annotators=5, n_classes=n_classes
    )
    ds_accuracy = (result.labels() == truth).mean()
    assert result.converged
    assert ds_accuracy > majority_accuracy + 0.1, (ds_accuracy, majority_accuracy)
    assert ds_accuracy > 0.9
    # The careful annotator is recognised as the most accurate one.
    assert result.accuracy.argmax() == 0
    assert result.accuracy[0] > 0.9
    np.testing.assert_allclose(result.posterior.sum(axis=1), 1.0)
    np.testing.assert_allclose(result.confusion.sum(axis=2), 1.0)


def test_dawid_skene_is_deterministic():
    _truth, items, annotators, labels = _synthetic(seed=3)
    a = dawid_skene(items, annotators, labels, n_items=400, n_annotators=5, n_classes=3)
    b = dawid_skene(items, annotators, labels, n_items=400, n_annotators=5, n_classes=3)
    np.testing.assert_array_equal(a.posterior, b.posterior)


def test_dawid_skene_with_one_annotator_keeps_their_labels():
    labels = [0, 1, 2, 1, 0]
    result = dawid_skene(range(5), [0] * 5, labels, n_items=5, n_annotators=1, n_classes=3)
    assert result.labels().tolist() == labels
    assert np.isfinite(result.posterior).all()


def test_dawid_skene_class_nobody_used_stays_finite_and_unchosen():
    result = dawid_skene(
        [0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1], n_items=2, n_annotators=2, n_classes=4
    )
    assert result.labels().tolist() == [0, 1]
    assert np.isfinite(result.posterior).all() and np.isfinite(result.confusion).all()
    assert result.priors[2] < 0.05 and result.priors[3] < 0.05


def test_dawid_skene_all_agree():
    items = np.repeat(np.arange(6), 3)
    annotators = np.tile(np.arange(3), 6)
    labels = np.repeat([0, 1, 0, 1, 1, 0], 3)
    result = dawid_skene(items, annotators, labels, n_items=6, n_annotators=3, n_classes=2)
    assert result.labels().tolist() == [0, 1, 0, 1, 1, 0]
    assert (result.posterior.max(axis=1) > 0.99).all()
    assert (result.accuracy > 0.99).all()


def test_dawid_skene_item_without_labels_gets_the_priors():
    result = dawid_skene([0, 1], [0, 0], [1, 1], n_items=3, n_annotators=1, n_classes=2)
    np.testing.assert_allclose(result.posterior[2], result.priors)


def test_dawid_skene_rejects_out_of_range_indexes():
    with pytest.raises(ValueError, match="labels: indexes must lie in 0..1"):
        dawid_skene([0], [0], [2], n_items=1, n_annotators=1, n_classes=2)


def test_dawid_skene_labels_by_keys_and_values():
    observations = [
        (10, "ann", "sport"),
        (10, "bob", "sport"),
        (11, "ann", "tech"),
        (11, "bob", "tech"),
        (12, "ann", "removed-label"),
    ]
    finals, accuracy = dawid_skene_labels(observations, ["business", "sport", "tech"])
    assert {k: v[0] for k, v in finals.items()} == {10: "sport", 11: "tech"}
    assert set(accuracy) == {"ann", "bob"}
    assert dawid_skene_labels([], ["a"]) == ({}, {})


def test_dawid_skene_reports_non_convergence():
    _truth, items, annotators, labels = _synthetic(seed=3)
    result = dawid_skene(
        items, annotators, labels, n_items=400, n_annotators=5, n_classes=3, max_iter=2
    )
    assert not result.converged and result.iterations == 2
    assert result.note.startswith("did not converge: stopped after 2 rounds")
    observations = [
        (int(i), int(a), "xyz"[int(v)]) for i, a, v in zip(items, annotators, labels, strict=True)
    ]
    fit = dawid_skene_fit(observations, ["x", "y", "z"], max_iter=2)
    assert not fit.converged and "did not converge" in fit.note
    settled = dawid_skene_fit([(0, "a", "x"), (0, "b", "x")], ["x", "y"])
    assert settled.converged and settled.note == ""


def test_dawid_skene_annotator_without_labels_is_an_error_not_nan():
    with pytest.raises(ValueError, match=r"1 of n_annotators=3 gave no label \(index 1\)"):
        dawid_skene([0, 0], [0, 2], [1, 1], n_items=1, n_annotators=3, n_classes=2)
    with pytest.raises(ValueError, match="max_iter: must be at least 1"):
        dawid_skene([0], [0], [1], n_items=1, n_annotators=1, n_classes=2, max_iter=0)
