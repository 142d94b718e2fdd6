"""evaluation/metrics.py against scikit-learn to 1e-9, on fixed random cases and
hypothesis-drawn ones (labels nobody predicted, classes nobody has, one class only)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from trainerdesk.evaluation import metrics

TOL = 1e-9


def close(a, b):
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    return np.allclose(a, b, atol=TOL, rtol=0)


def check_classification(t, p, k, proba=None):
    labels = list(range(k))
    got = metrics.classification(t, p, k, proba=proba)
    assert close(got["accuracy"], sk.accuracy_score(t, p))
    assert got["confusion"] == sk.confusion_matrix(t, p, labels=labels).tolist()
    prec, rec, f1, sup = sk.precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    assert close(got["per_class"]["precision"], prec)
    assert close(got["per_class"]["recall"], rec)
    assert close(got["per_class"]["f1"], f1)
    assert got["per_class"]["support"] == sup.tolist()
    for average in ("macro", "micro", "weighted"):
        ap, ar, af, _ = sk.precision_recall_fscore_support(
            t, p, labels=labels, average=average, zero_division=0
        )
        assert close(got[average]["precision"], ap), average
        assert close(got[average]["recall"], ar), average
        assert close(got[average]["f1"], af), average
    with np.errstate(all="ignore"):
        assert close(got["kappa"], float(sk.cohen_kappa_score(t, p, labels=labels)))
    if proba is not None:
        assert close(got["log_loss"], sk.log_loss(t, proba, labels=labels))
        if k == 2:
            ref = sk.brier_score_loss(t, proba[:, 1], pos_label=1)
        else:
            ref = sk.brier_score_loss(t, proba, labels=labels)
        assert close(got["brier"], ref)
        confidence = proba.max(axis=1)
        correct = (np.asarray(t) == np.asarray(p)).astype(int)
        if len(set(correct)) == 2:
            true, pred = calibration_curve(correct, confidence, n_bins=10)
            bins = got["calibration"]["bins"]
            assert close([b["accuracy"] for b in bins], true)
            assert close([b["confidence"] for b in bins], pred)
            ece = sum(b["n"] / len(t) * abs(b["accuracy"] - b["confidence"]) for b in bins)
            assert close(got["calibration"]["ece"], ece)


@pytest.mark.parametrize("seed", range(12))
def test_classification_equals_sklearn_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    n = int(rng.integers(5, 400))
    t = rng.integers(0, k, n)
    # Predictions right ~60% of the time, so every metric is far from its edge.
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, k, n))
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), p] += 1.0
    proba /= proba.sum(axis=1, keepdims=True)
    p = proba.argmax(axis=1)
    check_classification(t.tolist(), p.tolist(), k, proba)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1,
                     max_size=60),
        )
    )
)  # fmt: skip
def test_classification_equals_sklearn_drawn(case):
    k, pairs = case
    t = [a for a, _ in pairs]
    p = [b for _, b in pairs]
    check_classification(t, p, k)


def test_calibration_bin_rule_puts_an_edge_in_the_lower_bin():
    got = metrics.calibration(np.array([1, 0, 1]), np.array([0.0, 0.1, 1.0]), bins=10)
    assert [(b["low"], b["n"]) for b in got["bins"]] == [(0.0, 2), (0.9, 1)]
    assert "i/10 < p <= (i+1)/10" in got["bin_rule"]


@pytest.mark.parametrize("seed", range(6))
def test_multilabel_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    n, labels = int(rng.integers(3, 200)), int(rng.integers(2, 6))
    t = rng.random((n, labels)) < 0.4
    p = np.where(rng.random((n, labels)) < 0.75, t, ~t)
    got = metrics.multilabel(t, p)
    prec, rec, f1, sup = sk.precision_recall_fscore_support(t, p, zero_division=0)
    assert close(got["per_class"]["precision"], prec)
    assert close(got["per_class"]["recall"], rec)
    assert close(got["per_class"]["f1"], f1)
    assert got["per_class"]["support"] == sup.tolist()
    for average in ("macro", "micro", "weighted"):
        ap, ar, af, _ = sk.precision_recall_fscore_support(t, p, average=average, zero_division=0)
        assert close([got[average][m] for m in ("precision", "recall", "f1")], [ap, ar, af])
    assert close(got["hamming_loss"], sk.hamming_loss(t, p))
    assert close(got["subset_accuracy"], sk.accuracy_score(t, p))
