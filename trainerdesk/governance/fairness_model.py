"""Model fairness for the bias audit (issue 13): a model's predictions against the final
labels, per group selection rate, TPR, FPR and accuracy and the aggregate gaps, computed by
fairlearn (`MetricFrame` and its metric functions), reported also in AIF360's signed
convention, with seeded bootstrap intervals. Pure Python, no Django; the conventions, the
group rules and the shared input checks are fairness.py's (its docstring)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainerdesk.governance.fairness import (
    CONFIDENCE,
    DEFAULT_N_BOOT,
    FOUR_FIFTHS,
    SMALL_GROUP_MIN,
    FairnessInputError,
    _binary,
    _check_length,
    _need_two_groups,
    _order,
    _positive_json,
    _privileged,
    group_keys,
)

# --- model fairness -------------------------------------------------------------------------

GROUP_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
BOOTSTRAP_METHOD = (
    "Percentile bootstrap, stratified: each replicate resamples rows with replacement "
    "within each (group, final label) cell, so every group keeps its size and its count of "
    "positive and negative labels (its TPR and FPR stay defined); numpy's default_rng(seed), "
    "so the same seed gives the same intervals. A replicate is drawn as its confusion "
    "counts (a binomial draw per cell, the same distribution as resampling rows)."
)


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None = None
    high: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class GroupPerformance:
    group: str
    n: int
    label_positives: int  # final labels that are favourable
    predicted_positives: int
    small: bool
    metrics: Mapping[str, Estimate]  # GROUP_METRICS

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "n": self.n,
            "label_positives": self.label_positives,
            "predicted_positives": self.predicted_positives,
            "small": self.small,
            **{k: v.as_dict() for k, v in self.metrics.items()},
        }


@dataclass(frozen=True)
class SignedComparison:
    """One unprivileged group against the privileged, AIF360's ClassificationMetric
    convention (unprivileged − privileged; ratio unprivileged / privileged)."""

    group: str
    metrics: Mapping[str, Estimate]
    four_fifths_flag: bool  # disparate impact below 0.8

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            **{k: v.as_dict() for k, v in self.metrics.items()},
            "four_fifths_flag": self.four_fifths_flag,
        }


@dataclass(frozen=True)
class ModelFairnessReport:
    attributes: tuple[str, ...]
    positive: Any
    privileged: str
    privileged_source: str
    groups: tuple[GroupPerformance, ...]
    overall: Mapping[str, float]
    # fairlearn's aggregates: demographic_parity_difference/ratio,
    # equalized_odds_difference/ratio, equal_opportunity_difference/ratio.
    fairlearn: Mapping[str, Estimate]
    aif360: tuple[SignedComparison, ...]
    n_boot: int
    seed: int
    confidence: float
    bootstrap_method: str
    small_group_min: int
    warnings: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "attributes": list(self.attributes),
            "positive": _positive_json(self.positive),
            "privileged": self.privileged,
            "privileged_source": self.privileged_source,
            "groups": [g.as_dict() for g in self.groups],
            "overall": dict(self.overall),
            "fairlearn": {k: v.as_dict() for k, v in self.fairlearn.items()},
            "aif360": [c.as_dict() for c in self.aif360],
            "n_boot": self.n_boot,
            "seed": self.seed,
            "confidence": self.confidence,
            "bootstrap_method": self.bootstrap_method,
            "small_group_min": self.small_group_min,
            "warnings": list(self.warnings),
        }


def _metric_functions() -> dict[str, Callable[..., float]]:
    from fairlearn.metrics import false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    # pos_label=1 pins fairlearn's rates to our 0/1 coding, even in a group where only
    # one value occurs (fairlearn would otherwise guess the positive label).
    def sr(t: Any, p: Any, sample_weight: Any = None) -> float:
        return float(selection_rate(t, p, pos_label=1, sample_weight=sample_weight))

    def tpr(t: Any, p: Any, sample_weight: Any = None) -> float:
        return float(true_positive_rate(t, p, pos_label=1, sample_weight=sample_weight))

    def fpr(t: Any, p: Any, sample_weight: Any = None) -> float:
        return float(false_positive_rate(t, p, pos_label=1, sample_weight=sample_weight))

    def acc(t: Any, p: Any, sample_weight: Any = None) -> float:
        return float(accuracy_score(t, p, sample_weight=sample_weight))

    return {
        "selection_rate": sr,
        "true_positive_rate": tpr,
        "false_positive_rate": fpr,
        "accuracy": acc,
    }


def metric_frame(cells: Mapping[tuple[str, int, int], int]) -> Any:
    """fairlearn's MetricFrame of GROUP_METRICS for 0/1 labels and predictions.

    These rates depend on a row only through its (group, label, prediction), so the frame
    is given each distinct triple once, weighted by how many rows have it (fairlearn's
    sample weights): the same numbers (the tests compare with fairlearn on the raw rows),
    without fairlearn's per-row cost (it np.stack()s every value: 5 s for 100,000 rows)."""
    from fairlearn.metrics import MetricFrame

    keys = sorted(cells)
    weight = {"sample_weight": np.array([cells[k] for k in keys], dtype=float)}
    return MetricFrame(
        metrics=_metric_functions(),
        y_true=np.array([k[1] for k in keys]),
        y_pred=np.array([k[2] for k in keys]),
        sensitive_features=[k[0] for k in keys],
        sample_params=dict.fromkeys(GROUP_METRICS, weight),
    )


def fairlearn_aggregates(frame: Any) -> dict[str, float]:
    """fairlearn's six aggregates from one MetricFrame of GROUP_METRICS, by its own
    difference() and ratio() (between groups), combined as its functions combine them
    (fairlearn/metrics/_fairness_metrics.py: demographic parity on the selection rate;
    equalized odds the max() of the TPR and FPR differences and the min() of their
    ratios, in that order; equal opportunity on the TPR). One frame instead of the six
    functions' six: fairlearn's cost is per row and frame (about 0.2 s per 100,000 rows
    each); the tests check the values equal the functions'."""
    d, q = frame.difference(), frame.ratio()
    tpr, fpr, sr = "true_positive_rate", "false_positive_rate", "selection_rate"
    return {
        "demographic_parity_difference": float(d[sr]),
        "demographic_parity_ratio": float(q[sr]),
        "equalized_odds_difference": float(max(d[[tpr, fpr]])),
        "equalized_odds_ratio": float(min(q[[tpr, fpr]])),
        "equal_opportunity_difference": float(d[tpr]),
        "equal_opportunity_ratio": float(q[tpr]),
    }


def _signed(by_group: Any, priv: str, group: str) -> dict[str, float]:
    """AIF360's ClassificationMetric names, from per-group rates (a row per group)."""
    u, p = by_group.loc[group], by_group.loc[priv]

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    tpr_d = u["true_positive_rate"] - p["true_positive_rate"]
    fpr_d = u["false_positive_rate"] - p["false_positive_rate"]
    return {
        "statistical_parity_difference": u["selection_rate"] - p["selection_rate"],
        "disparate_impact": ratio(u["selection_rate"], p["selection_rate"]),
        "equal_opportunity_difference": tpr_d,
        "false_positive_rate_difference": fpr_d,
        "average_odds_difference": 0.5 * (fpr_d + tpr_d),
        "average_abs_odds_difference": 0.5 * (abs(fpr_d) + abs(tpr_d)),
        "accuracy_difference": u["accuracy"] - p["accuracy"],
    }


def _num(x: Any) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def confusion_cells(
    y_true: np.ndarray, y_pred: np.ndarray, groups: Sequence[str]
) -> Counter[tuple[str, int, int]]:
    """How many rows have each (group, label, prediction), labels and predictions 0/1."""
    return Counter(zip(groups, y_true.tolist(), y_pred.tolist(), strict=True))


def bootstrap_counts(
    cells: Mapping[tuple[str, int, int], int],
    groups: Sequence[str],
    *,
    n_boot: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Confusion counts of every bootstrap replicate: arrays "tp", "fp", "fn", "tn" of
    shape (len(groups), n_boot), from the `confusion_cells` of the data.

    Resampling the n rows of a (group, final label) cell with replacement only matters
    through how many of the drawn rows the model predicted positive, and that count is
    Binomial(n, the cell's predicted-positive share): drawing it is the same bootstrap as
    drawing row indices, without materialising n_boot copies of the data."""
    rng = np.random.default_rng(seed)
    shape = (len(groups), n_boot)
    counts = {k: np.zeros(shape, dtype=np.int64) for k in ("tp", "fp", "fn", "tn")}
    for i, g in enumerate(groups):
        for label, hit, miss in ((1, "tp", "fn"), (0, "fp", "tn")):
            predicted = cells.get((g, label, 1), 0)
            size = predicted + cells.get((g, label, 0), 0)
            drawn = rng.binomial(size, predicted / size, size=n_boot) if size else 0
            counts[hit][i] = drawn
            counts[miss][i] = size - drawn
    return counts


def replicate_values(
    counts: Mapping[str, np.ndarray], groups: Sequence[str], *, priv: str, others: Sequence[str]
) -> dict[str, np.ndarray]:
    """Every reported number for each replicate, from its confusion counts: group rates
    as "group|metric", fairlearn's aggregates by name, AIF360's as "aif360|group|name".

    The rates and aggregates follow fairlearn's definitions (its _fairness_metrics.py:
    demographic parity on the selection rate, equalized odds the worse of the TPR and
    FPR gaps, equal opportunity the TPR gap; difference max − min, ratio min / max); the
    tests check each replicate against fairlearn's MetricFrame and functions run with the
    replicate's counts as sample weights. fairlearn itself is not run per replicate: its
    per-group overhead made 1,000 replicates of 2,000 rows take two minutes."""
    tp, fp, fn, tn = (counts[k].astype(float) for k in ("tp", "fp", "fn", "tn"))
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {
            "selection_rate": (tp + fp) / n,
            "true_positive_rate": tp / (tp + fn),
            "false_positive_rate": fp / (fp + tn),
            "accuracy": (tp + tn) / n,
        }

        def difference(m: str) -> np.ndarray:
            return rates[m].max(axis=0) - rates[m].min(axis=0)

        def ratio(m: str) -> np.ndarray:
            return rates[m].min(axis=0) / rates[m].max(axis=0)

        out: dict[str, np.ndarray] = {
            "demographic_parity_difference": difference("selection_rate"),
            "demographic_parity_ratio": ratio("selection_rate"),
            "equalized_odds_difference": np.maximum(
                difference("true_positive_rate"), difference("false_positive_rate")
            ),
            # fmin: a 0/0 ratio (no false positives in any group) is left out, as
            # fairlearn's min() over its two ratios leaves the FPR one out.
            "equalized_odds_ratio": np.fmin(
                ratio("true_positive_rate"), ratio("false_positive_rate")
            ),
            "equal_opportunity_difference": difference("true_positive_rate"),
            "equal_opportunity_ratio": ratio("true_positive_rate"),
        }
        index = {g: i for i, g in enumerate(groups)}
        for g in groups:
            for m in GROUP_METRICS:
                out[f"{g}|{m}"] = rates[m][index[g]]
        p = index[priv]
        for g in others:
            u = index[g]
            tpr_d = rates["true_positive_rate"][u] - rates["true_positive_rate"][p]
            fpr_d = rates["false_positive_rate"][u] - rates["false_positive_rate"][p]
            signed = {
                "statistical_parity_difference": rates["selection_rate"][u]
                - rates["selection_rate"][p],
                "disparate_impact": rates["selection_rate"][u] / rates["selection_rate"][p],
                "equal_opportunity_difference": tpr_d,
                "false_positive_rate_difference": fpr_d,
                "average_odds_difference": 0.5 * (fpr_d + tpr_d),
                "average_abs_odds_difference": 0.5 * (np.abs(fpr_d) + np.abs(tpr_d)),
                "accuracy_difference": rates["accuracy"][u] - rates["accuracy"][p],
            }
            for k, v in signed.items():
                out[f"aif360|{g}|{k}"] = v
    return out


def _estimate(value: Any, samples: np.ndarray | None, confidence: float) -> Estimate:
    v = _num(value)
    if samples is None or not np.isfinite(samples).any():
        return Estimate(v)
    tail = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(samples[np.isfinite(samples)], [tail, 1.0 - tail])
    return Estimate(v, float(low), float(high))


def model_fairness(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    sensitive: Mapping[str, Sequence[Any]],
    *,
    positive: Any,
    privileged: Any = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    small_group_min: int = SMALL_GROUP_MIN,
) -> ModelFairnessReport:
    """A model's predictions against the final labels, per group and in aggregate.

    Point values are fairlearn's (`MetricFrame` per group, its aggregate functions); the
    AIF360 values are the same per-group rates, signed against `privileged` (by default
    the group with the highest selection rate). `n_boot=0` skips the intervals.
    (See `metric_frame` for how the rows reach fairlearn.)
    Every group needs a favourable and an unfavourable final label: otherwise its TPR or
    FPR does not exist and the error says which group lacks which."""

    n = len(y_true)
    _check_length("y_pred", y_pred, n, "y_true")
    if n_boot < 0:
        raise FairnessInputError("n_boot", f"must be 0 or more, got {n_boot}")
    if not 0 < confidence < 1:
        raise FairnessInputError("confidence", f"must be between 0 and 1, got {confidence}")
    yt = _binary("y_true", y_true, positive)
    yp = _binary("y_pred", y_pred, positive)
    names, key_list = group_keys(sensitive, n=n, reference="y_true")
    cells = confusion_cells(yt, yp, key_list)
    counts: Counter[str] = Counter()
    label_pos: Counter[str] = Counter()
    for (g, t, _), c in cells.items():
        counts[g] += c
        label_pos[g] += c * t
    _need_two_groups(names, counts)
    for g in _order(counts):
        pos = label_pos[g]
        if pos == 0 or pos == counts[g]:
            missing = "favourable" if pos == 0 else "unfavourable"
            rate = "true positive" if pos == 0 else "false positive"
            raise FairnessInputError(
                "y_true",
                f"group {g} has no {missing} final label among its {counts[g]} rows, so its "
                f"{rate} rate is undefined; merge it with another group or leave it out",
            )
    frame = metric_frame(cells)
    by_group = frame.by_group
    selection = {g: float(by_group.loc[g, "selection_rate"]) for g in counts}
    priv, source = _privileged(names, privileged, selection, counts)
    others = [g for g in _order(counts) if g != priv]
    order = _order(counts)
    samples = (
        replicate_values(
            bootstrap_counts(cells, order, n_boot=n_boot, seed=seed),
            order,
            priv=priv,
            others=others,
        )
        if n_boot
        else {}
    )
    groups = tuple(
        GroupPerformance(
            group=g,
            n=counts[g],
            label_positives=label_pos[g],
            predicted_positives=cells[g, 0, 1] + cells[g, 1, 1],
            small=counts[g] < small_group_min,
            metrics={
                m: _estimate(by_group.loc[g, m], samples.get(f"{g}|{m}"), confidence)
                for m in GROUP_METRICS
            },
        )
        for g in _order(counts)
    )
    aggregates = {
        k: _estimate(v, samples.get(k), confidence) for k, v in fairlearn_aggregates(frame).items()
    }
    signed = []
    for g in others:
        values = _signed(by_group, priv, g)
        metrics = {
            k: _estimate(v, samples.get(f"aif360|{g}|{k}"), confidence) for k, v in values.items()
        }
        di = metrics["disparate_impact"].value
        signed.append(SignedComparison(g, metrics, di is not None and di < FOUR_FIFTHS))
    warnings = [
        f"group {g.group} has {g.n} rows, fewer than {small_group_min}: its rates are "
        "imprecise (see the intervals)"
        for g in groups
        if g.small
    ]
    return ModelFairnessReport(
        attributes=names,
        positive=positive,
        privileged=priv,
        privileged_source=source,
        groups=groups,
        overall={m: float(frame.overall[m]) for m in GROUP_METRICS},
        fairlearn=aggregates,
        aif360=tuple(signed),
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        bootstrap_method=BOOTSTRAP_METHOD,
        small_group_min=small_group_min,
        warnings=tuple(warnings),
    )
