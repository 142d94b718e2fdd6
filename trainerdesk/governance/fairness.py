"""The bias audit's computations (issue 13), pure Python: no Django, no database.

The governance services gather the rows (final labels, annotations, a model version's
predictions, the items' metadata) and hand plain sequences to these functions; the results
are frozen dataclasses with `as_dict()` for pages, JSON and the documents.

Three parts:
- `label_parity`: the data alone, model-free, as AIF360's `BinaryLabelDatasetMetric`
  (favourable-label rate per group, statistical parity difference, disparate impact and
  the four-fifths rule), with counts and Wilson intervals; `annotator_parity` asks whether
  one annotator labels a group differently from the other annotators on that group.
- `model_fairness`: a model's predictions against the final labels, per group selection
  rate, TPR, FPR and accuracy and the aggregate gaps, computed by fairlearn (`MetricFrame`
  and its metric functions: a maintained library, not our arithmetic), reported also in
  AIF360's signed convention, with seeded bootstrap intervals.
- `representation`: counts and shares of each group in each split, with small-group
  warnings.

Conventions auditors meet in the two libraries, both reported:
- fairlearn: unsigned, over all groups: difference = max − min, ratio = min / max.
- AIF360: signed, one unprivileged group against the privileged one: difference =
  unprivileged − privileged (negative = the unprivileged group gets the favourable outcome
  less often), ratio = unprivileged / privileged (disparate impact; below 0.8 fails the
  four-fifths rule of the US EEOC Uniform Guidelines, 29 CFR 1607.4(D)).

Groups: one attribute gives its values as groups; two or more give their intersections,
labelled "a=x, b=y". A missing value (None or "") is its own group, `MISSING`, so that the
audit shows the gap rather than silently dropping it.

fairlearn (with pandas) and scipy.stats are imported on first use: they cost a web process
seconds at start-up and only the audit needs them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.quality.metrics import Interval, wilson_interval

# EEOC four-fifths rule: a group's rate below 4/5 of the reference group's is evidence of
# adverse impact.
FOUR_FIFTHS = 0.8
# A group with fewer rows than this gets a warning: a rate from under 30 rows has a 95%
# Wilson interval about ±0.17 wide at p = 0.5, too wide to call a gap. Callers may pass
# their own `small_group_min`.
SMALL_GROUP_MIN = 30
# Annotator tests: family-wise error rate (Holm) and the fewest labels an annotator must
# have given in a group before that group is tested.
ALPHA = 0.05
ANNOTATOR_MIN_N = 10
DEFAULT_N_BOOT = 1000
CONFIDENCE = 0.95
MISSING = "(missing)"


class FairnessInputError(InvalidInput):
    """Bad input to an audit, naming the field at fault (`field`); an `InvalidInput`, so
    views and the API answer it with a 400 naming the problem."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__([f"{field}: {message}"])


# --- inputs ---------------------------------------------------------------------------------


def column(rows: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
    """One field of dict rows (as `fairness_data` loads them); a row without it is an
    error naming the field and the row."""
    out = []
    for i, row in enumerate(rows):
        if name not in row:
            raise FairnessInputError(name, f"row {i} has no such field")
        out.append(row[name])
    return out


def _check_length(name: str, values: Sequence[Any], n: int, reference: str) -> None:
    if len(values) != n:
        raise FairnessInputError(
            name, f"{len(values)} values but {reference} has {n}: they must pair up row by row"
        )


def _is_missing(value: Any) -> bool:
    return value is None or value == ""


def group_keys(
    sensitive: Mapping[str, Sequence[Any]], *, n: int, reference: str = "labels"
) -> tuple[tuple[str, ...], list[str]]:
    """The attribute names and each row's group label: the value itself for one
    attribute, "a=x, b=y" for an intersection (the attributes in the given order)."""
    if not sensitive:
        raise FairnessInputError("sensitive", "name at least one attribute")
    names = tuple(sensitive)
    for name in names:
        _check_length(name, sensitive[name], n, reference)
    if n == 0:
        raise FairnessInputError(reference, "no rows to audit")
    columns = [[MISSING if _is_missing(v) else str(v) for v in sensitive[name]] for name in names]
    if len(names) == 1:
        keys = columns[0]
    else:
        # One label per distinct combination, not per row: a million rows take a second.
        labels: dict[tuple[str, ...], str] = {}
        keys = []
        for combo in zip(*columns, strict=True):
            label = labels.get(combo)
            if label is None:
                label = labels[combo] = ", ".join(
                    f"{name}={v}" for name, v in zip(names, combo, strict=True)
                )
            keys.append(label)
    return names, keys


def _group_label(names: tuple[str, ...], group: Any) -> str:
    """A caller's privileged group (a value, or a tuple of values for an intersection) as
    its group label."""
    if len(names) == 1:
        return MISSING if _is_missing(group) else str(group)
    if not isinstance(group, tuple | list) or len(group) != len(names):
        raise FairnessInputError(
            "privileged", f"an intersection of {len(names)} attributes needs one value for each"
        )
    return ", ".join(
        f"{name}={MISSING if _is_missing(v) else v}" for name, v in zip(names, group, strict=True)
    )


def _positive_test(positive: Any) -> Callable[[Any], bool]:
    """`positive` is the favourable label, or a set of labels that all count as favourable
    (a multi-class label audited as favourable / not)."""
    if isinstance(positive, set | frozenset):
        chosen = frozenset(positive)
        return lambda v: v in chosen
    return lambda v: v == positive


def _binary(name: str, values: Sequence[Any], positive: Any) -> np.ndarray:
    is_positive = _positive_test(positive)
    out = np.zeros(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if v is None:
            raise FairnessInputError(name, f"row {i} has no value")
        out[i] = 1 if is_positive(v) else 0
    return out


def _order(counts: Mapping[str, int]) -> list[str]:
    # Largest group first, then by name: a stable order for tables and digests.
    return sorted(counts, key=lambda g: (-counts[g], g))


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _positive_json(positive: Any) -> Any:
    return sorted(positive, key=str) if isinstance(positive, set | frozenset) else positive


def _interval_dict(interval: Interval | None) -> dict[str, float | None]:
    return {
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
    }


# --- label parity (the data alone) ----------------------------------------------------------


@dataclass(frozen=True)
class GroupRate:
    """A group's favourable-label rate with its Wilson interval."""

    group: str
    n: int
    positives: int
    rate: float
    interval: Interval | None
    share: float  # of all audited rows
    small: bool  # n < small_group_min

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "n": self.n,
            "positives": self.positives,
            "rate": self.rate,
            **_interval_dict(self.interval),
            "share": self.share,
            "small": self.small,
        }


@dataclass(frozen=True)
class ParityComparison:
    """One group against the privileged group, in AIF360's signed convention."""

    group: str
    statistical_parity_difference: float  # rate(group) − rate(privileged)
    disparate_impact: float | None  # rate(group) / rate(privileged); None when that is 0
    four_fifths_flag: bool  # disparate impact below 0.8

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "statistical_parity_difference": self.statistical_parity_difference,
            "disparate_impact": self.disparate_impact,
            "four_fifths_flag": self.four_fifths_flag,
        }


@dataclass(frozen=True)
class ParityReport:
    attributes: tuple[str, ...]
    positive: Any
    privileged: str
    privileged_source: str  # "given", or "highest rate" when the caller named none
    groups: tuple[GroupRate, ...]
    comparisons: tuple[ParityComparison, ...]  # every other group against the privileged
    max_difference: float  # highest − lowest rate over all groups (fairlearn's convention)
    min_ratio: float | None  # lowest / highest rate; None when the highest is 0
    four_fifths_flag: bool  # min_ratio below 0.8: the EEOC rule, against the highest group
    confidence: float
    small_group_min: int
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "attributes": list(self.attributes),
            "positive": _positive_json(self.positive),
            "privileged": self.privileged,
            "privileged_source": self.privileged_source,
            "groups": [g.as_dict() for g in self.groups],
            "comparisons": [c.as_dict() for c in self.comparisons],
            "max_difference": self.max_difference,
            "min_ratio": self.min_ratio,
            "four_fifths_flag": self.four_fifths_flag,
            "confidence": self.confidence,
            "small_group_min": self.small_group_min,
            "warnings": list(self.warnings),
        }


def _rates(
    keys: Sequence[str], y: np.ndarray, *, confidence: float, small_group_min: int
) -> dict[str, GroupRate]:
    counts = Counter(keys)
    positives: Counter[str] = Counter()
    for key, value in zip(keys, y, strict=True):
        positives[key] += int(value)
    total = len(keys)
    return {
        g: GroupRate(
            group=g,
            n=counts[g],
            positives=positives[g],
            rate=positives[g] / counts[g],
            interval=wilson_interval(positives[g], counts[g], confidence=confidence),
            share=counts[g] / total,
            small=counts[g] < small_group_min,
        )
        for g in _order(counts)
    }


def _need_two_groups(names: tuple[str, ...], groups: Collection[str]) -> None:
    if len(groups) < 2:
        only = next(iter(groups))
        raise FairnessInputError(
            ", ".join(names),
            f"every row is in one group ({only}): a bias audit compares groups, so it needs "
            "at least two",
        )


def _privileged(
    names: tuple[str, ...], privileged: Any, rates: Mapping[str, float], groups: Collection[str]
) -> tuple[str, str]:
    if privileged is None:
        # The most favoured group is the reference, as the four-fifths rule compares each
        # group with the one selected most often.
        return max(groups, key=lambda g: (rates[g], g)), "highest rate"
    label = _group_label(names, privileged)
    if label not in groups:
        raise FairnessInputError(
            "privileged", f"no row is in group {label!r} (groups: {', '.join(sorted(groups))})"
        )
    return label, "given"


def _small_warnings(groups: Sequence[GroupRate], small_group_min: int) -> list[str]:
    return [
        f"group {g.group} has {g.n} rows, fewer than {small_group_min}: its rate is imprecise "
        f"(see its interval) and gaps involving it are weak evidence"
        for g in groups
        if g.small
    ]


def label_parity(
    labels: Sequence[Any],
    sensitive: Mapping[str, Sequence[Any]],
    *,
    positive: Any,
    privileged: Any = None,
    confidence: float = CONFIDENCE,
    small_group_min: int = SMALL_GROUP_MIN,
) -> ParityReport:
    """Favourable-label rates per group of the (final) labels, model-free.

    `sensitive` maps attribute names to one value per label; two attributes audit their
    intersections. `positive` is the favourable label (or a set of them). `privileged` is
    the reference group (a value, or a tuple for an intersection); by default the group
    with the highest rate."""
    y = _binary("labels", labels, positive)
    names, keys = group_keys(sensitive, n=len(labels))
    rates = _rates(keys, y, confidence=confidence, small_group_min=small_group_min)
    _need_two_groups(names, rates)
    priv, source = _privileged(names, privileged, {g: r.rate for g, r in rates.items()}, rates)
    p_rate = rates[priv].rate
    comparisons = []
    for g, r in rates.items():
        if g == priv:
            continue
        di = _ratio(r.rate, p_rate)
        comparisons.append(
            ParityComparison(
                group=g,
                statistical_parity_difference=r.rate - p_rate,
                disparate_impact=di,
                four_fifths_flag=di is not None and di < FOUR_FIFTHS,
            )
        )
    values = [r.rate for r in rates.values()]
    min_ratio = _ratio(min(values), max(values))
    warnings = _small_warnings(list(rates.values()), small_group_min)
    if p_rate == 0:
        warnings.append(
            f"the privileged group {priv} has no favourable labels: disparate impact is undefined"
        )
    return ParityReport(
        attributes=names,
        positive=positive,
        privileged=priv,
        privileged_source=source,
        groups=tuple(rates.values()),
        comparisons=tuple(comparisons),
        max_difference=max(values) - min(values),
        min_ratio=min_ratio,
        four_fifths_flag=min_ratio is not None and min_ratio < FOUR_FIFTHS,
        confidence=confidence,
        small_group_min=small_group_min,
        warnings=tuple(warnings),
    )


# --- annotator-level parity -----------------------------------------------------------------

ANNOTATOR_TEST = (
    "For each annotator and group: Fisher's exact test (two-sided, scipy.stats.fisher_exact) "
    "of the 2x2 table favourable/other x this annotator/all other annotators, on the labels "
    "given to items of that group; so a group's own base rate, shared by all annotators, is "
    "not held against anyone. p-values adjusted by Holm's step-down method over all tests "
    "run; flagged when the adjusted p-value is below alpha. Groups where the annotator gave "
    "fewer than min_n labels, or where no other annotator labelled, are not tested."
)


@dataclass(frozen=True)
class AnnotatorGroupTest:
    annotator: str
    group: str
    n: int
    positives: int
    rate: float
    peers_n: int
    peers_positives: int
    peers_rate: float | None
    odds_ratio: float | None  # scipy's sample odds ratio; inf/0 when a cell is empty
    p_value: float | None  # None when not tested
    p_adjusted: float | None
    flagged: bool
    status: str  # "tested", "too_few_labels" or "no_peers"

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class AnnotatorParity:
    annotator: str
    n: int
    rates: tuple[GroupRate, ...]  # this annotator's own rate per group, with intervals
    tests: tuple[AnnotatorGroupTest, ...]
    flagged: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "annotator": self.annotator,
            "n": self.n,
            "rates": [r.as_dict() for r in self.rates],
            "tests": [t.as_dict() for t in self.tests],
            "flagged": self.flagged,
        }


@dataclass(frozen=True)
class AnnotatorParityReport:
    attributes: tuple[str, ...]
    positive: Any
    method: str
    alpha: float
    min_n: int
    annotators: tuple[AnnotatorParity, ...]

    @property
    def flagged(self) -> list[str]:
        return [a.annotator for a in self.annotators if a.flagged]

    def as_dict(self) -> dict[str, Any]:
        return {
            "attributes": list(self.attributes),
            "method": self.method,
            "alpha": self.alpha,
            "min_n": self.min_n,
            "annotators": [a.as_dict() for a in self.annotators],
            "flagged": self.flagged,
        }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's (1979) step-down adjusted p-values, in the input order (the same values as
    statsmodels' multipletests(method="holm"))."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def annotator_parity(
    annotators: Sequence[Any],
    labels: Sequence[Any],
    sensitive: Mapping[str, Sequence[Any]],
    *,
    positive: Any,
    alpha: float = ALPHA,
    min_n: int = ANNOTATOR_MIN_N,
    confidence: float = CONFIDENCE,
) -> AnnotatorParityReport:
    """Does an annotator's favourable-label rate on a group differ from the other
    annotators' rate on the same group beyond the noise? One row per annotation: who
    gave it, its label, and the item's attributes. The test is `ANNOTATOR_TEST`."""
    from scipy.stats import fisher_exact

    n = len(labels)
    _check_length("annotators", annotators, n, "labels")
    y = _binary("labels", labels, positive)
    names, keys = group_keys(sensitive, n=n)
    _need_two_groups(names, set(keys))
    who = [str(a) for a in annotators]
    cell_n: Counter[tuple[str, str]] = Counter()
    cell_pos: Counter[tuple[str, str]] = Counter()
    group_n: Counter[str] = Counter()
    group_pos: Counter[str] = Counter()
    for a, g, v in zip(who, keys, y, strict=True):
        cell_n[a, g] += 1
        cell_pos[a, g] += int(v)
        group_n[g] += 1
        group_pos[g] += int(v)
    people = sorted(set(who))
    rows_of: dict[str, list[int]] = {a: [] for a in people}
    for i, a in enumerate(who):
        rows_of[a].append(i)
    groups = _order(group_n)
    raw: list[dict[str, Any]] = []
    for a in people:
        for g in groups:
            if not cell_n[a, g]:
                continue
            k, m = cell_pos[a, g], cell_n[a, g]
            pk, pm = group_pos[g] - k, group_n[g] - m
            entry: dict[str, Any] = {
                "annotator": a,
                "group": g,
                "n": m,
                "positives": k,
                "rate": k / m,
                "peers_n": pm,
                "peers_positives": pk,
                "peers_rate": pk / pm if pm else None,
                "odds_ratio": None,
                "p_value": None,
            }
            if m < min_n:
                entry["status"] = "too_few_labels"
            elif pm == 0:
                entry["status"] = "no_peers"
            else:
                result = fisher_exact(
                    np.array([[k, m - k], [pk, pm - pk]]), alternative="two-sided"
                )
                entry["status"] = "tested"
                entry["odds_ratio"] = float(result.statistic)
                entry["p_value"] = float(result.pvalue)
            raw.append(entry)
    tested = [e for e in raw if e["status"] == "tested"]
    for e, p in zip(tested, holm([e["p_value"] for e in tested]), strict=True):
        e["p_adjusted"] = p
    results = []
    for a in people:
        tests = tuple(
            AnnotatorGroupTest(
                **{**e, "p_adjusted": e.get("p_adjusted")},
                flagged=e.get("p_adjusted") is not None and e["p_adjusted"] < alpha,
            )
            for e in raw
            if e["annotator"] == a
        )
        mine = rows_of[a]
        own = _rates([keys[i] for i in mine], y[mine], confidence=confidence, small_group_min=min_n)
        results.append(
            AnnotatorParity(
                annotator=a,
                n=len(mine),
                rates=tuple(own.values()),
                tests=tests,
                flagged=any(t.flagged for t in tests),
            )
        )
    return AnnotatorParityReport(
        attributes=names,
        positive=positive,
        method=ANNOTATOR_TEST,
        alpha=alpha,
        min_n=min_n,
        annotators=tuple(results),
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


# --- representation -------------------------------------------------------------------------


@dataclass(frozen=True)
class RepresentationCell:
    split: str
    group: str
    count: int
    share: float  # of the split's rows

    def as_dict(self) -> dict[str, Any]:
        return {"split": self.split, "group": self.group, "count": self.count, "share": self.share}


@dataclass(frozen=True)
class RepresentationTable:
    attributes: tuple[str, ...]
    splits: tuple[str, ...]  # largest first
    groups: tuple[str, ...]  # largest overall first
    cells: tuple[RepresentationCell, ...]  # every split x group, zeros included
    split_totals: Mapping[str, int]
    group_totals: Mapping[str, int]
    small_group_min: int
    warnings: tuple[str, ...]

    def cell(self, split: str, group: str) -> RepresentationCell:
        for c in self.cells:
            if c.split == split and c.group == group:
                return c
        raise KeyError((split, group))

    def as_dict(self) -> dict[str, Any]:
        return {
            "attributes": list(self.attributes),
            "splits": list(self.splits),
            "groups": list(self.groups),
            "cells": [c.as_dict() for c in self.cells],
            "split_totals": dict(self.split_totals),
            "group_totals": dict(self.group_totals),
            "small_group_min": self.small_group_min,
            "warnings": list(self.warnings),
        }


def representation(
    splits: Sequence[Any],
    sensitive: Mapping[str, Sequence[Any]],
    *,
    small_group_min: int = SMALL_GROUP_MIN,
) -> RepresentationTable:
    """Counts and shares of each group in each split (one split name per row; None or ""
    is the split `MISSING`). Warns of every group under `small_group_min` rows in a split,
    and of a group that is absent from a split although present in another."""
    names, keys = group_keys(sensitive, n=len(splits), reference="splits")
    split_names = [MISSING if _is_missing(s) else str(s) for s in splits]
    pair = Counter(zip(split_names, keys, strict=True))
    split_totals = Counter(split_names)
    group_totals = Counter(keys)
    split_order, group_order = _order(split_totals), _order(group_totals)
    cells = []
    warnings = []
    for s in split_order:
        for g in group_order:
            c = pair[s, g]
            cells.append(RepresentationCell(s, g, c, c / split_totals[s]))
            if c == 0:
                warnings.append(f"split {s} has no rows of group {g}")
            elif c < small_group_min:
                warnings.append(
                    f"split {s} has {c} rows of group {g}, fewer than {small_group_min}"
                )
    return RepresentationTable(
        attributes=names,
        splits=tuple(split_order),
        groups=tuple(group_order),
        cells=tuple(cells),
        split_totals=dict(split_totals),
        group_totals=dict(group_totals),
        small_group_min=small_group_min,
        warnings=tuple(warnings),
    )
