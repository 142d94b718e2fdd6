"""Active-learning order: strategy definitions, exact random share, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainerdesk.evaluation import active

P = [[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]


def test_least_confidence_by_hand():
    assert active.uncertainty(P, strategy="least_confidence") == pytest.approx([0.3, 0.6, 0.0, 0.5])


def test_margin_by_hand():
    assert active.uncertainty(P, strategy="margin") == pytest.approx([0.5, 0.95, 0.0, 1.0])


def test_entropy_by_hand():
    def h(ps):
        return -sum(p * math.log(p) for p in ps if p > 0)

    expected = [h(row) for row in P]
    assert expected[2] == 0
    assert active.uncertainty(P, strategy="entropy") == pytest.approx(expected)


def test_multi_label_mean_of_binary_uncertainty():
    got = active.uncertainty(
        [[0.9, 0.5], [0.0, 1.0]], strategy="least_confidence", multi_label=True
    )
    assert got == pytest.approx([(0.1 + 0.5) / 2, 0.0])


def test_uncertain_first_without_random_share():
    result = active.order(
        ["a", "b", "c", "d"], P, strategy="least_confidence", seed=0, random_share=0
    )
    assert result.item_ids == ["b", "d", "a", "c"]
    assert not result.is_random.any()


def random_probs(n, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(4), size=n)


@pytest.mark.parametrize("n,share", [(1000, 0.1), (997, 0.1), (50, 0.33), (10, 0.0), (7, 1.0)])
def test_random_share_is_exact_and_spread_over_every_prefix(n, share):
    result = active.order(
        list(range(n)), random_probs(n), strategy="entropy", seed=5, random_share=share
    )
    k = math.floor(n * share + 0.5)
    assert result.n_random == k == int(result.is_random.sum())
    prefix = np.cumsum(result.is_random)
    m = np.arange(1, n + 1)
    assert (prefix == m * k // n).all()
    assert sorted(result.item_ids) == list(range(n))
    # The non-random items are in decreasing uncertainty.
    rest = result.scores[~result.is_random]
    assert (np.diff(rest) <= 0).all()


def test_reproducible_with_the_seed_and_independent_of_input_order():
    n = 2000
    ids = [f"i{j}" for j in range(n)]
    probs = random_probs(n, seed=2)
    a = active.order(ids, probs, strategy="margin", seed=11)
    b = active.order(ids, probs, strategy="margin", seed=11)
    perm = np.random.default_rng(0).permutation(n)
    c = active.order([ids[j] for j in perm], probs[perm], strategy="margin", seed=11)
    assert a.item_ids == b.item_ids == c.item_ids
    d = active.order(ids, probs, strategy="margin", seed=12)
    assert d.item_ids != a.item_ids
    assert set(np.array(d.item_ids)[d.is_random]) != set(np.array(a.item_ids)[a.is_random])
    assert a.parameters() == {
        "strategy": "margin",
        "seed": 11,
        "random_share": 0.1,
        "items": n,
        "random_items": 200,
    }


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="strategy"):
        active.order([1], [[0.5, 0.5]], strategy="bald", seed=0)
    with pytest.raises(ValueError, match=r"probabilities\[1\]: sums to"):
        active.order([1, 2], [[0.5, 0.5], [0.5, 0.6]], strategy="entropy", seed=0)
    with pytest.raises(ValueError, match="2 vectors for 3 items"):
        active.order([1, 2, 3], [[0.5, 0.5], [0.5, 0.5]], strategy="entropy", seed=0)
    with pytest.raises(ValueError, match="repeated ids"):
        active.order([1, 1], [[0.5, 0.5], [0.5, 0.5]], strategy="entropy", seed=0)
    with pytest.raises(ValueError, match="random_share"):
        active.order([1], [[0.5, 0.5]], strategy="entropy", seed=0, random_share=1.5)
    with pytest.raises(ValueError, match=r"probabilities\[0\]: every probability"):
        active.order([1], [[1.5, -0.5]], strategy="entropy", seed=0)


def test_empty_queue():
    result = active.order([], [], strategy="entropy", seed=0)
    assert result.item_ids == [] and result.n_random == 0
