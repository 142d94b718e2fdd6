"""evaluation/bootstrap.py: seeded and reproducible, the multinomial shortcut behaves like
resampling the items one by one, paired differences and McNemar against statsmodels."""

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from trainerdesk.evaluation import bootstrap, metrics


def case(n=2000, k=3, right=0.8, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < right, t, rng.integers(0, k, n))
    return t, p


def test_same_seed_same_interval_other_seed_other_draws():
    t, p = case()
    cm = metrics.confusion(t, p, 3)
    a = bootstrap.confusion_intervals(cm, resamples=500, seed=4)
    b = bootstrap.confusion_intervals(cm, resamples=500, seed=4)
    c = bootstrap.confusion_intervals(cm, resamples=500, seed=5)
    assert a == b
    assert a["accuracy"] != c["accuracy"]
    assert a["resamples"] == 500 and a["seed"] == 4
    for name in ("accuracy", "error_rate", "macro_f1"):
        assert a[name]["low"] <= a[name]["value"] <= a[name]["high"]
    assert np.isclose(a["error_rate"]["value"], 1 - a["accuracy"]["value"])


def test_multinomial_shortcut_matches_resampling_items():
    """The interval drawn from cell counts is the item bootstrap's, within Monte Carlo
    noise: both against scipy.stats.bootstrap's percentile interval of accuracy."""
    from scipy import stats

    t, p = case(n=1500)
    ours = bootstrap.confusion_intervals(metrics.confusion(t, p, 3), resamples=4000, seed=1)
    correct = (t == p).astype(float)
    ref = stats.bootstrap(
        (correct,), np.mean, n_resamples=4000, method="percentile",
        random_state=np.random.default_rng(2),
    ).confidence_interval  # fmt: skip
    assert ours["accuracy"]["low"] == pytest.approx(ref.low, abs=0.004)
    assert ours["accuracy"]["high"] == pytest.approx(ref.high, abs=0.004)


def test_paired_difference_sees_a_real_gain_and_not_a_tie():
    t, a = case(n=3000, right=0.7, seed=3)
    _, better = case(n=3000, right=0.85, seed=3)
    gain = bootstrap.paired_difference(
        bootstrap.joint_counts(t, a, better, 3), resamples=1000, seed=0
    )
    assert gain["difference"] == pytest.approx((better == t).mean() - (a == t).mean())
    assert gain["difference"] > 0 and gain["beyond_noise"]
    same = bootstrap.paired_difference(bootstrap.joint_counts(t, a, a, 3), seed=0)
    assert same["difference"] == 0 and not same["beyond_noise"]
    f1 = bootstrap.paired_difference(
        bootstrap.joint_counts(t, a, better, 3), statistic="macro_f1", seed=0
    )
    expect = (
        metrics.classification(t, better, 3)["macro"]["f1"]
        - metrics.classification(t, a, 3)["macro"]["f1"]
    )
    assert f1["difference"] == pytest.approx(expect, abs=1e-12)


@pytest.mark.parametrize(("n", "exact"), [(40, True), (3000, False)])
def test_mcnemar_equals_statsmodels(n, exact):
    t, a = case(n=n, right=0.7, seed=9)
    _, b = case(n=n, right=0.8, seed=10)
    ac, bc = a == t, b == t
    got = bootstrap.mcnemar(ac, bc, exact=exact)
    table = [[int((ac & bc).sum()), int((ac & ~bc).sum())],
             [int((~ac & bc).sum()), int((~ac & ~bc).sum())]]  # fmt: skip
    ref = sm_mcnemar(table, exact=exact, correction=True)
    assert got["statistic"] == pytest.approx(ref.statistic, abs=1e-9)
    assert got["p_value"] == pytest.approx(ref.pvalue, abs=1e-9)
