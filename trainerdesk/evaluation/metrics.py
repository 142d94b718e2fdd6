"""Evaluation metrics, pure NumPy (no Django): classification and multi-label.

Inputs are class indices 0..K-1 (the field's labels in schema order) so a label nobody
predicted still has its row and column. Every number equals scikit-learn's function of the
same name to 1e-9 (tests/test_metrics.py), with `zero_division=0`: a class never predicted
has precision 0, one never true has recall 0.

Calibration uses the top-label confidence (the highest probability) against whether the
prediction was right. **Bin rule**: B equal-width bins over [0, 1] with edges
`linspace(0, 1, B + 1)`; a confidence p falls in bin i when edge_i < p <= edge_(i+1), the
first bin also takes p = 0 (scikit-learn's `calibration_curve(strategy="uniform")` rule).
ECE = sum over non-empty bins of (n_bin / N) * |accuracy_bin - mean confidence_bin|.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_BINS = 10
BIN_RULE = (
    "{bins} equal-width bins over [0, 1]; a confidence p is in bin i when "
    "i/{bins} < p <= (i+1)/{bins} (the first bin also takes 0); ECE weighs each non-empty "
    "bin's |accuracy - mean confidence| by its share of items"
)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """K x K counts, rows the true class, columns the predicted one."""
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def prf_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, Any]:
    """Per-class and averaged precision/recall/F1 from per-class counts."""
    support = tp + fn
    precision = _div(tp, tp + fp)
    recall = _div(tp, support)
    f1 = _div(2 * tp, 2 * tp + fp + fn)
    total = support.sum()
    weights = support / total if total else np.zeros_like(support, dtype=float)
    stp, sfp, sfn = tp.sum(), fp.sum(), fn.sum()
    micro_p = float(_div(stp, stp + sfp))
    micro_r = float(_div(stp, stp + sfn))
    micro_f = float(_div(2 * stp, 2 * stp + sfp + sfn))
    return {
        "per_class": {
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "support": support.astype(int).tolist(),
        },
        "macro": {
            "precision": float(precision.mean()),
            "recall": float(recall.mean()),
            "f1": float(f1.mean()),
        },
        "micro": {"precision": micro_p, "recall": micro_r, "f1": micro_f},
        "weighted": {
            "precision": float((precision * weights).sum()),
            "recall": float((recall * weights).sum()),
            "f1": float((f1 * weights).sum()),
        },
    }


def from_confusion(cm: np.ndarray) -> dict[str, Any]:
    """Accuracy, P/R/F1 (per class, macro, micro, weighted) and Cohen's kappa of a
    confusion matrix (what the bootstrap recomputes on each resample)."""
    n = cm.sum()
    tp = np.diag(cm)
    out = prf_from_counts(tp, cm.sum(axis=0) - tp, cm.sum(axis=1) - tp)
    out["accuracy"] = float(tp.sum() / n) if n else 0.0
    out["kappa"] = kappa_from_confusion(cm)
    return out


def kappa_from_confusion(cm: np.ndarray) -> float:
    """Cohen's kappa (unweighted) between the references (rows) and the model (columns)."""
    n = cm.sum()
    if not n:
        return 0.0
    observed = np.trace(cm) / n
    expected = float((cm.sum(axis=0) * cm.sum(axis=1)).sum()) / (n * n)
    if expected == 1.0:
        # scikit-learn answers NaN (0/0) when both sides use one and the same class.
        return float("nan")
    return float((observed - expected) / (1 - expected))


def log_loss(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log probability of the true class, clipped to [eps, 1 - eps] (eps the
    float64 machine epsilon), as scikit-learn does."""
    eps = np.finfo(proba.dtype).eps
    p = np.clip(proba, eps, 1 - eps)
    return float(-np.log(p[np.arange(len(y_true)), y_true]).mean())


def brier(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Two classes: mean (p(class 1) - y)^2, scikit-learn's binary `brier_score_loss` with
    class 1 positive; more: mean over items of the sum over classes of (p - one-hot)^2
    (scikit-learn's multiclass form)."""
    k = proba.shape[1]
    if k == 2:
        return float(((proba[:, 1] - (y_true == 1)) ** 2).mean())
    onehot = np.eye(k)[y_true]
    return float(((proba - onehot) ** 2).sum(axis=1).mean())


def calibration(
    correct: np.ndarray, confidence: np.ndarray, bins: int = DEFAULT_BINS
) -> dict[str, Any]:
    """Reliability bins and expected calibration error (module docstring: the bin rule)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], confidence)
    count = np.bincount(ids, minlength=bins)
    hits = np.bincount(ids, weights=correct.astype(float), minlength=bins)
    conf = np.bincount(ids, weights=confidence, minlength=bins)
    rows = []
    ece = 0.0
    n = len(correct)
    for i in range(bins):
        if not count[i]:
            continue
        accuracy = hits[i] / count[i]
        mean_conf = conf[i] / count[i]
        ece += count[i] / n * abs(accuracy - mean_conf)
        rows.append(
            {
                "low": float(edges[i]),
                "high": float(edges[i + 1]),
                "n": int(count[i]),
                "accuracy": float(accuracy),
                "confidence": float(mean_conf),
            }
        )
    return {"bins": rows, "ece": float(ece), "bin_rule": BIN_RULE.format(bins=bins)}


def classification(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    k: int,
    proba: np.ndarray | None = None,
    bins: int = DEFAULT_BINS,
) -> dict[str, Any]:
    """Every single-label classification metric; `proba` (N x K, rows summing to 1) adds
    log loss, Brier score and calibration."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    cm = confusion(t, p, k)
    out = from_confusion(cm)
    out["n"] = int(len(t))
    out["error_rate"] = 1.0 - out["accuracy"] if len(t) else 0.0
    out["confusion"] = cm.astype(int).tolist()
    if proba is not None and len(t):
        proba = np.asarray(proba, dtype=np.float64)
        out["log_loss"] = log_loss(t, proba)
        out["brier"] = brier(t, proba)
        out["calibration"] = calibration(p == t, proba.max(axis=1), bins)
    return out


def multilabel(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Per-label P/R/F1 (macro, micro, weighted), Hamming loss and subset accuracy of N x L
    0/1 indicator matrices."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    tp = (t & p).sum(axis=0)
    fp = (~t & p).sum(axis=0)
    fn = (t & ~p).sum(axis=0)
    out = prf_from_counts(tp, fp, fn)
    n = t.shape[0]
    out["n"] = int(n)
    out["hamming_loss"] = float((t != p).mean()) if t.size else 0.0
    out["subset_accuracy"] = float((t == p).all(axis=1).mean()) if n else 0.0
    return out
