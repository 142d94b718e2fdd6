"""Bradley–Terry ranking against choix, Wilson win rates, seeded bootstrap."""

from __future__ import annotations

import choix
import numpy as np
import pytest

from trainerdesk.evaluation import ranking
from trainerdesk.quality.metrics import wilson_interval

NAMES = ["alpha", "bravo", "charlie", "delta", "echo"]


def simulate(n=800, seed=3):
    rng = np.random.default_rng(seed)
    true = np.array([1.0, 0.3, 0.0, -0.5, -1.2])
    wins = []
    for _ in range(n):
        i, j = rng.choice(len(NAMES), 2, replace=False)
        p = 1 / (1 + np.exp(true[j] - true[i]))
        wins.append((NAMES[i], NAMES[j]) if rng.random() < p else (NAMES[j], NAMES[i]))
    return wins


def strengths_by_name(result):
    return np.array([next(s.strength for s in result.strengths if s.model == m) for m in NAMES])


@pytest.mark.parametrize("reference", ["ilsr", "mm"])
def test_strengths_equal_choix(reference):
    wins = simulate()
    result = ranking.rank_models(wins, models=NAMES, resamples=0)
    data = [(NAMES.index(a), NAMES.index(b)) for a, b in wins]
    if reference == "ilsr":
        expected = choix.ilsr_pairwise(len(NAMES), data, tol=1e-12, max_iter=1000)
    else:
        expected = choix.mm_pairwise(len(NAMES), data, tol=1e-12, max_iter=100000)
    expected = expected - expected.mean()
    np.testing.assert_allclose(strengths_by_name(result), expected, atol=1e-7)
    assert [s.model for s in result.strengths] == NAMES  # the simulated order
    assert [s.rank for s in result.strengths] == [1, 2, 3, 4, 5]


def test_win_rates_with_wilson_intervals():
    wins = [("a", "b")] * 7 + [("b", "a")] * 3 + [("b", "c")] * 4 + [("c", "b")] * 2 + [("c", "a")]
    wins += [("a", "c")] * 2
    result = ranking.rank_models(wins, ties=[("a", "b")], resamples=0)
    rate = {w.model: w for w in result.win_rates}
    assert (rate["a"].wins, rate["a"].losses, rate["a"].ties) == (9, 4, 1)
    assert rate["a"].rate == pytest.approx(9 / 13)
    assert rate["a"].interval == wilson_interval(9, 13)
    assert result.comparisons == len(wins) + 1


def test_bootstrap_is_seeded_and_covers_the_estimate():
    wins = simulate(400)
    a = ranking.rank_models(wins, resamples=200, seed=7)
    b = ranking.rank_models(wins, resamples=200, seed=7)
    c = ranking.rank_models(wins, resamples=200, seed=8)
    assert a.as_dict() == b.as_dict()
    assert a.as_dict() != c.as_dict()
    for s in a.strengths:
        assert s.interval is not None and s.interval[0] <= s.strength <= s.interval[1]
    assert a.resamples == 200 and a.failed_resamples == 0


def test_ties_count_half_in_the_fit():
    # Only ties between a and b plus a beating and losing to c equally: a and b equal.
    wins = [("a", "c"), ("c", "a"), ("b", "c"), ("c", "b")]
    result = ranking.rank_models(wins, ties=[("a", "b")] * 3, resamples=0)
    s = {x.model: x.strength for x in result.strengths}
    assert s["a"] == pytest.approx(s["b"]) == pytest.approx(s["c"])


def test_a_model_that_never_lost_is_refused_unless_a_prior_is_given():
    wins = [("a", "b"), ("a", "c"), ("b", "c"), ("c", "b")]
    with pytest.raises(ranking.NotRankable, match='"a"'):
        ranking.rank_models(wins, resamples=0)
    result = ranking.rank_models(wins, resamples=0, prior=0.5)
    assert result.strengths[0].model == "a"


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match='wins\\[0\\]: unknown model "zulu"'):
        ranking.rank_models([("zulu", "a")], models=["a", "b"])
    with pytest.raises(ValueError, match="compared with itself"):
        ranking.rank_models([("a", "a")])
    with pytest.raises(ranking.NotRankable, match="two models"):
        ranking.rank_models([], models=["a"])
