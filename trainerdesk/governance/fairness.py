"""The bias audit's computations (issue 13), pure Python: no Django, no database.

The governance services gather the rows (final labels, annotations, a model version's
predictions, the items' metadata) and hand plain sequences to these functions; the results
are frozen dataclasses with `as_dict()` for pages, JSON and the documents.

Three parts:
- `label_parity`: the data alone, model-free, as AIF360's `BinaryLabelDatasetMetric`
  (favourable-label rate per group, statistical parity difference, disparate impact and
  the four-fifths rule), with counts and Wilson intervals; `annotator_parity` asks whether
  one annotator labels a group differently from the other annotators on that group.
- `model_fairness` (in fairness_model.py): a model's predictions against the final
  labels, per group selection rate, TPR, FPR and accuracy and the aggregate gaps,
  computed by fairlearn (`MetricFrame` and its metric functions: a maintained library,
  not our arithmetic), reported also in AIF360's signed convention, with seeded bootstrap
  intervals.
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
from dataclasses import dataclass
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
