"""Seeded bootstrap intervals and paired comparisons of two runs, pure NumPy/SciPy.

Accuracy, error rate and F1 depend on the items only through the confusion matrix, so
resampling N items with replacement is the same as drawing the K x K cell counts from a
multinomial with the observed cell shares: each resample costs O(K^2), not O(N), which is
what lets a million predictions take 1,000 resamples in well under a second. Likewise a
paired comparison of two runs on the same items resamples the joint (true, A, B) cells.
The interval is the percentile interval of the resampled statistic; the number of
resamples, the seed and the method are returned with every interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trainerdesk.evaluation import metrics

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95


def _accuracy(cm: np.ndarray) -> np.ndarray:
    """Accuracy of one matrix (K x K) or of a stack of them (R x K x K)."""
    n = cm.sum(axis=(-2, -1))
    return metrics._div(np.trace(cm, axis1=-2, axis2=-1), n)


def _error_rate(cm: np.ndarray) -> np.ndarray:
    n = cm.sum(axis=(-2, -1))
    return np.where(n > 0, 1.0 - _accuracy(cm), 0.0)


def _macro_f1(cm: np.ndarray) -> np.ndarray:
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    f1 = metrics._div(2 * tp, cm.sum(axis=-2) + cm.sum(axis=-1))
    return f1.mean(axis=-1)


# Each takes one confusion matrix or a stack of them (the resamples) at once.
STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "accuracy": _accuracy,
    "error_rate": _error_rate,
    "macro_f1": _macro_f1,
}


def _resample_cells(counts: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """`resamples` x cells counts: each row one bootstrap resample of the items."""
    flat = counts.ravel().astype(np.int64)
    n = int(flat.sum())
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, flat / n, size=resamples)


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def confusion_intervals(
    cm: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    statistics: tuple[str, ...] = ("accuracy", "error_rate", "macro_f1"),
) -> dict[str, Any]:
    """{statistic: {"value", "low", "high"}} plus how they were drawn, for a confusion
    matrix (rows true, columns predicted)."""
    cm = np.asarray(cm, dtype=np.int64)
    k = cm.shape[0]
    out: dict[str, Any] = {
        "resamples": resamples,
        "seed": seed,
        "confidence": confidence,
        "method": "percentile bootstrap over items (multinomial on the confusion cells)",
    }
    if cm.sum() == 0:
        for name in statistics:
            out[name] = {"value": None, "low": None, "high": None}
        return out
    draws = _resample_cells(cm, resamples, seed).reshape(resamples, k, k)
    for name in statistics:
        fn = STATISTICS[name]
        low, high = _interval(fn(draws), confidence)
        out[name] = {"value": float(fn(cm)), "low": low, "high": high}
    return out


def joint_counts(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, k: int) -> np.ndarray:
    """K x K x K counts of (true, A's prediction, B's prediction) on the same items."""
    t = np.asarray(y_true, dtype=np.int64)
    a = np.asarray(pred_a, dtype=np.int64)
    b = np.asarray(pred_b, dtype=np.int64)
    return np.bincount((t * k + a) * k + b, minlength=k**3).reshape(k, k, k)


def paired_difference(
    joint: np.ndarray,
    *,
    statistic: str = "accuracy",
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, Any]:
    """B minus A of `statistic` with a paired bootstrap interval over the shared items;
    `beyond_noise` when the interval leaves out 0."""
    joint = np.asarray(joint, dtype=np.int64)
    fn = STATISTICS[statistic]

    def diff(j: np.ndarray) -> np.ndarray:
        # j[..., true, a, b]: B's confusion sums A out (axis -2), A's sums B out.
        return fn(j.sum(axis=-2)) - fn(j.sum(axis=-1))

    k = joint.shape[0]
    value = float(diff(joint))
    draws = _resample_cells(joint, resamples, seed).reshape(resamples, k, k, k)
    low, high = _interval(diff(draws), confidence)
    return {
        "statistic": statistic,
        "difference": value,
        "low": low,
        "high": high,
        "beyond_noise": bool(low > 0 or high < 0),
        "resamples": resamples,
        "seed": seed,
        "confidence": confidence,
        "method": "paired percentile bootstrap over the shared items",
    }


def mcnemar(a_correct: np.ndarray, b_correct: np.ndarray, *, exact: bool | None = None) -> dict:
    """McNemar's test on the items one run got right and the other wrong. Exact (binomial)
    when the discordant count is under 25 or `exact`; else chi-squared with continuity
    correction (statsmodels' `mcnemar` gives the same statistics)."""
    from scipy import stats

    a = np.asarray(a_correct, dtype=bool)
    b = np.asarray(b_correct, dtype=bool)
    only_a = int((a & ~b).sum())
    only_b = int((~a & b).sum())
    discordant = only_a + only_b
    use_exact = discordant < 25 if exact is None else exact
    if discordant == 0:
        statistic, p = 0.0, 1.0
    elif use_exact:
        statistic = float(min(only_a, only_b))
        p = float(stats.binomtest(only_a, discordant, 0.5).pvalue)
    else:
        statistic = (abs(only_a - only_b) - 1) ** 2 / discordant
        p = float(stats.chi2.sf(statistic, 1))
    return {
        "only_a_right": only_a,
        "only_b_right": only_b,
        "statistic": float(statistic),
        "p_value": min(p, 1.0),
        "exact": use_exact,
    }
