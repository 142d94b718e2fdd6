"""Inter-annotator agreement over coded annotations: percent agreement, Cohen's kappa
(unweighted, linear, quadratic), Fleiss' kappa and Krippendorff's alpha (nominal, ordinal,
interval, ratio, or any distance matrix) with missing data, and the breakdowns a data
manager filters by (per label, per annotator pair, per item).

Pure NumPy, no Django. Written here rather than taken from a library because the one
complete alpha implementation on PyPI (`krippendorff`) is GPL; NLTK's alpha is a Python
loop over items (2.6 s for 950,000 annotations against 0.04 s here, see
docs/benchmarks.md) with no ordinal level (its distances see two labels, not the
marginals the ordinal distance needs); statsmodels' fleiss_kappa is vectorised but takes
a ready count table with equal raters per item; and the breakdowns below all come from
one shared per-item count table. The tests check every number here against those
references to 1e-9 (see quality/tests/test_metrics.py).

Input format: a `Ratings` holds three parallel integer arrays, one entry per annotation —
`item` (0..n_items-1), `rater` (0..n_raters-1) and `code` (an index into `categories`, the
answer values in the schema's label order; the order is what ordinal distances and
weighted kappa use). Missing data is simply an absent entry. `Ratings.from_tuples` builds
one from (item, annotator, answer) rows with any hashable ids and answers;
`Ratings.from_matrix` from Krippendorff's reliability matrix (annotators x items, NaN or
None for missing).

Undefined results: every metric returns a `Result` whose `value` is a float in the usual
range, or None with `reason` saying why ("not enough data: ..." when there is too little
data, "undefined: ..." when the formula is 0/0 on the data given). Never NaN or inf.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = (None, "linear", "quadratic")

# Dense per-item count tables above this many cells would need hundreds of MB; such data
# (hundreds of categories over millions of items) is refused with a clear error instead.
_MAX_DENSE_CELLS = 60_000_000


@dataclass(frozen=True)
class Result:
    """One agreement figure. value is None exactly when reason says why."""

    value: float | None
    reason: str = ""
    n_items: int = 0  # items that entered the computation
    n_values: int = 0  # annotations (pairable values) that entered it

    @property
    def ok(self) -> bool:
        return self.value is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "reason": self.reason or None,
            "n_items": self.n_items,
            "n_values": self.n_values,
        }


def _none(reason: str, n_items: int = 0, n_values: int = 0) -> Result:
    return Result(None, reason, n_items, n_values)


def _value(x: float, n_items: int, n_values: int) -> Result:
    return Result(float(x), "", int(n_items), int(n_values))


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Ratings:
    """Coded annotations: one (item, rater, code) per annotation, at most one per
    item and rater. Build with from_arrays / from_tuples / from_matrix (they check)."""

    item: np.ndarray
    rater: np.ndarray
    code: np.ndarray
    categories: tuple
    n_items: int
    n_raters: int
    item_ids: tuple | None = None
    rater_ids: tuple | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def __len__(self) -> int:
        return int(self.item.size)

    @classmethod
    def from_arrays(
        cls,
        item: Any,
        rater: Any,
        code: Any,
        *,
        categories: Sequence,
        n_items: int | None = None,
        n_raters: int | None = None,
        item_ids: Sequence | None = None,
        rater_ids: Sequence | None = None,
    ) -> Ratings:
        item, rater, code = (np.asarray(a) for a in (item, rater, code))
        if not (item.shape == rater.shape == code.shape and item.ndim == 1):
            raise ValueError(
                f"item, rater and code must be 1-d arrays of one length, got shapes "
                f"{item.shape}, {rater.shape}, {code.shape}"
            )
        for name, arr in (("item", item), ("rater", rater), ("code", code)):
            if arr.size and not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"{name}: must hold integers, got dtype {arr.dtype}")
        item, rater, code = (a.astype(np.int64, copy=False) for a in (item, rater, code))
        categories = tuple(categories)
        k = len(categories)
        if len(set(categories)) != k:
            raise ValueError("categories: must be distinct")
        n_items = int(item.max()) + 1 if n_items is None and item.size else int(n_items or 0)
        n_raters = int(rater.max()) + 1 if n_raters is None and rater.size else int(n_raters or 0)
        for name, arr, bound in (
            ("item", item, n_items),
            ("rater", rater, n_raters),
            ("code", code, k),
        ):
            if arr.size and (arr.min() < 0 or arr.max() >= bound):
                bad = int(np.flatnonzero((arr < 0) | (arr >= bound))[0])
                raise ValueError(f"{name}[{bad}]: {int(arr[bad])} is outside 0..{bound - 1}")
        if item.size:
            key = item * max(n_raters, 1) + rater
            key.sort()
            dup = np.flatnonzero(key[1:] == key[:-1])
            if dup.size:
                k0 = int(key[dup[0]])
                raise ValueError(
                    f"annotation twice: rater {k0 % n_raters} on item {k0 // n_raters} "
                    "(keep one answer per annotator and item)"
                )
        return cls(
            item,
            rater,
            code,
            categories,
            n_items,
            n_raters,
            tuple(item_ids) if item_ids is not None else None,
            tuple(rater_ids) if rater_ids is not None else None,
        )

    @classmethod
    def from_tuples(
        cls, rows: Iterable[tuple[Hashable, Hashable, Hashable]], *, categories: Sequence = ()
    ) -> Ratings:
        """(item id, annotator id, answer) rows; answer None (or a float NaN, as in
        from_matrix and pandas) means missing. Without categories the distinct answers are
        used, sorted (in first-seen order if they do not sort); pass the schema's labels to
        fix the order and include unused ones."""
        items: dict = {}
        raters: dict = {}
        cats: dict = {c: i for i, c in enumerate(categories)}
        fixed = bool(categories)
        it, ra, raw = [], [], []
        for n, (i, r, v) in enumerate(rows):
            # NaN is missing: as a category it never equals itself, so every NaN became a
            # category of its own and alpha came out 0.0 instead of "not enough data".
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            if isinstance(v, (list, set, dict)):
                raise ValueError(
                    f"row {n}: answer {v!r} is not a single value (for multi-label answers "
                    "use label_presence or set_ratings)"
                )
            if fixed and v not in cats:
                raise ValueError(
                    f"row {n}: answer {v!r} is not one of the categories {list(categories)}"
                )
            it.append(items.setdefault(i, len(items)))
            ra.append(raters.setdefault(r, len(raters)))
            raw.append(v)
        if not fixed:
            seen: list[Any] = list(dict.fromkeys(raw))
            with contextlib.suppress(TypeError):  # unorderable answers keep first-seen order
                seen.sort()
            cats = {c: i for i, c in enumerate(seen)}
        code = np.fromiter((cats[v] for v in raw), dtype=np.int64, count=len(raw))
        return cls.from_arrays(
            np.asarray(it, dtype=np.int64),
            np.asarray(ra, dtype=np.int64),
            code,
            categories=tuple(cats),
            n_items=len(items),
            n_raters=len(raters),
            item_ids=tuple(items),
            rater_ids=tuple(raters),
        )

    @classmethod
    def from_matrix(cls, matrix: Any, *, categories: Sequence | None = None) -> Ratings:
        """Krippendorff's reliability data: one row per annotator, one column per item,
        NaN (or None) where an annotator left an item out."""
        m = np.asarray(matrix, dtype=float)
        if m.ndim != 2:
            raise ValueError(f"reliability matrix: must be 2-d, got shape {m.shape}")
        rater, item = np.nonzero(~np.isnan(m))
        values = m[rater, item]
        given = categories is not None and len(categories) > 0
        cats = np.asarray(categories, dtype=float) if given else np.unique(values)
        by_value = np.argsort(cats, kind="stable")  # categories may come in any order
        pos = np.minimum(np.searchsorted(cats[by_value], values), max(cats.size - 1, 0))
        if values.size and (cats.size == 0 or np.any(cats[by_value][pos] != values)):
            raise ValueError("reliability matrix: a value is not one of the categories")
        code = by_value[pos] if values.size else pos
        order = np.lexsort((rater, item))
        return cls.from_arrays(
            item[order],
            rater[order],
            code[order],
            categories=tuple(cats.tolist()),
            n_items=m.shape[1],
            n_raters=m.shape[0],
        )

    def select(self, mask: np.ndarray) -> Ratings:
        """The annotations where mask is true (same items, raters and categories)."""
        return Ratings(
            self.item[mask],
            self.rater[mask],
            self.code[mask],
            self.categories,
            self.n_items,
            self.n_raters,
            self.item_ids,
            self.rater_ids,
        )

    def counts(self) -> np.ndarray:
        """n_items x n_categories: how many annotators gave each item each category."""
        if "counts" not in self._cache:
            k = self.n_categories
            if self.n_items * k > _MAX_DENSE_CELLS:
                raise ValueError(
                    f"{self.n_items} items x {k} categories is too large for a count table"
                )
            flat = np.bincount(self.item * k + self.code, minlength=self.n_items * k)
            self._cache["counts"] = flat.reshape(self.n_items, k).astype(np.float64)
        return self._cache["counts"]

    def values(self) -> np.ndarray:
        """The categories as numbers (interval and ratio levels need numeric answers)."""
        try:
            v = np.asarray(self.categories, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"categories {list(self.categories)[:5]}...: interval and ratio levels need "
                "numeric answers"
            ) from None
        if v.ndim != 1 or not np.all(np.isfinite(v)):
            raise ValueError("categories: interval and ratio levels need finite numbers")
        return v


# --- distances --------------------------------------------------------------------------------


def distance_matrix(level: str, values: np.ndarray | None, marginals: np.ndarray) -> np.ndarray:
    """Krippendorff's (2011) difference functions delta^2 between categories c and k, as a
    K x K matrix. ordinal uses the categories' order and the pairable-value marginals n_g:
    (sum_{g=c..k} n_g - (n_c + n_k)/2)^2; interval (v_c - v_k)^2; ratio
    ((v_c - v_k)/(v_c + v_k))^2 (0 where both are 0)."""
    k = marginals.size
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        cs = np.cumsum(marginals)
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        between = cs[hi] - cs[lo] + marginals[lo]
        return (between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2
    if values is None:
        raise ValueError(f"level {level!r} needs numeric categories")
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        if np.any(values < 0):
            raise ValueError("ratio level: values must not be negative")
        s = values[:, None] + values[None, :]
        d = values[:, None] - values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(s > 0, d / np.where(s > 0, s, 1.0), 0.0) ** 2
        return out
    raise ValueError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")


# --- Krippendorff's alpha ---------------------------------------------------------------------


def coincidence_matrix(r: Ratings) -> tuple[np.ndarray, int]:
    """Krippendorff's (2011) coincidence matrix o_ck = sum_u n_uc n_uk' / (m_u - 1) over the
    items u with m_u >= 2 values (n_uk' = n_uk, minus 1 on the diagonal), and the number of
    such items. Built from the per-item count table with one matrix product."""
    n = r.counts()
    m = n.sum(axis=1)
    pairable = m >= 2
    np_ = n[pairable]
    w = np_ / (m[pairable] - 1.0)[:, None]
    o = w.T @ np_
    o[np.diag_indices_from(o)] -= w.sum(axis=0)
    return o, int(pairable.sum())


def krippendorff_alpha(
    r: Ratings, level: str = "nominal", *, distance: np.ndarray | None = None
) -> Result:
    """Krippendorff's alpha = 1 - D_o / D_e with the coincidence-matrix formulation of
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability" (Annenberg School for
    Communication, University of Pennsylvania): alpha = 1 - (n - 1) sum_ck o_ck delta_ck /
    sum_ck n_c n_k delta_ck, n = number of pairable values. Items with fewer than two values
    are unpairable and left out, as the paper does (that is how missing data is handled).

    distance: a K x K matrix of delta^2 (zero diagonal) instead of a level, e.g. 1 - Jaccard
    between label sets for multi-label answers.

    Defined results:
    - no item with two or more values (one annotator, all missing, a single annotation per
      item): "not enough data".
    - every pairable value the same (D_e = 0; e.g. everyone agrees on one label): alpha is
      0/0. Krippendorff's alpha measures agreement relative to the variation in the data and
      is not defined without variation, so value None, reason "undefined: no variation".
      (NLTK returns 1 here; the `krippendorff` package raises.)
    - labels nobody used do not change nominal, ordinal or interval alpha (their marginals
      are 0), as in the paper.
    """
    if distance is None and level not in LEVELS:
        raise ValueError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")
    if len(r) == 0:
        return _none("not enough data: no annotations")
    o, units = coincidence_matrix(r)
    nc = o.sum(axis=0)
    total = nc.sum()
    if units == 0:
        return _none("not enough data: no item has two or more annotations")
    if distance is None:
        values = r.values() if level in ("interval", "ratio") else None
        delta = distance_matrix(level, values, nc)
    else:
        delta = np.asarray(distance, dtype=float)
        if delta.shape != o.shape:
            raise ValueError(f"distance: must be {o.shape}, got {delta.shape}")
    observed = float((o * delta).sum())
    expected = float(nc @ delta @ nc)
    if expected <= 0.0:
        return _none(
            "undefined: no variation (every pairable annotation has the same value, so "
            "expected disagreement is 0)",
            units,
            int(total),
        )
    return _value(1.0 - (total - 1.0) * observed / expected, units, total)


# --- percent agreement and Fleiss' kappa ------------------------------------------------------


def _item_pair_shares(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per item: number of values m and the share of the m(m-1) ordered annotator pairs
    that agree (only meaningful where m >= 2)."""
    m = n.sum(axis=1)
    agree = (n * (n - 1.0)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(m >= 2, agree / np.where(m >= 2, m * (m - 1.0), 1.0), 0.0)
    return m, share


def percent_agreement(r: Ratings) -> Result:
    """Mean over items with two or more annotations of the share of annotator pairs on the
    item that gave the same answer. With every annotator on every item this equals the
    mean over annotator pairs of their share of agreeing items (NLTK's avg_Ao) and Fleiss'
    P-bar; with missing data each item counts once, whatever its number of annotators."""
    m, share = _item_pair_shares(r.counts())
    pairable = m >= 2
    if not pairable.any():
        return _none("not enough data: no item has two or more annotations")
    return _value(share[pairable].mean(), pairable.sum(), m[pairable].sum())


def fleiss_kappa(r: Ratings, *, raters: int | None = None, method: str = "fleiss") -> Result:
    """Fleiss' kappa (Fleiss 1971, as in statsmodels.stats.inter_rater.fleiss_kappa):
    (P-bar - P_e) / (1 - P_e) with P_e = sum_j p_j^2 (method="fleiss") or 1/K over the
    schema's K labels (method="randolph", Randolph's free-marginal kappa = Bennett's S).

    Fleiss' formula assumes the same number m of annotations on every item. Items with none
    are left out. If the rest differ in m, the result is "undefined" with a reason, unless
    raters=m is given, which keeps only the items with exactly m annotations (Krippendorff's
    alpha is the measure that uses every item with missing data).
    P_e = 1 (everyone used one label) makes kappa 0/0: "undefined: no variation"."""
    if method not in ("fleiss", "randolph"):
        raise ValueError(f"method: must be fleiss or randolph, got {method!r}")
    n = r.counts()
    m = n.sum(axis=1)
    if raters is not None:
        keep = m == raters
        if raters < 2:
            return _none("not enough data: Fleiss' kappa needs at least 2 annotators per item")
    else:
        keep = m > 0
        sizes = np.unique(m[keep])
        if sizes.size > 1:
            return _none(
                "undefined: items have different numbers of annotations "
                f"({int(sizes[0])} to {int(sizes[-1])}); Fleiss' kappa needs the same number "
                "on every item — use Krippendorff's alpha, or pass raters=m to use only the "
                "items with exactly m annotations",
                int(keep.sum()),
                int(m[keep].sum()),
            )
    table = n[keep]
    if table.shape[0] == 0:
        which = f" with {raters} annotations" if raters else ""
        return _none(f"not enough data: no items{which}")
    k = int(m[keep][0])
    if k < 2:
        return _none("not enough data: one annotation per item", table.shape[0], table.shape[0])
    total = table.sum()
    p_bar = float(((table * table).sum(axis=1) - k).mean() / (k * (k - 1.0)))
    if method == "fleiss":
        p = table.sum(axis=0) / total
        p_e = float(p @ p)
    else:
        p_e = 1.0 / r.n_categories
    if math.isclose(p_e, 1.0, rel_tol=0, abs_tol=1e-15):
        return _none(
            "undefined: no variation (every annotation has the same label)",
            table.shape[0],
            int(total),
        )
    return _value((p_bar - p_e) / (1.0 - p_e), table.shape[0], total)


# --- Cohen's kappa ----------------------------------------------------------------------------


def weight_matrix(k: int, weights: str | None) -> np.ndarray:
    """Disagreement weights between category indexes i, j (schema order): 1 - [i == j],
    |i - j| or (i - j)^2 — scikit-learn's cohen_kappa_score with labels=range(K)."""
    idx = np.arange(k)
    if weights is None:
        return 1.0 - np.eye(k)
    if weights == "linear":
        return np.abs(idx[:, None] - idx[None, :]).astype(float)
    if weights == "quadratic":
        return ((idx[:, None] - idx[None, :]) ** 2).astype(float)
    raise ValueError(f"weights: must be None, linear or quadratic, got {weights!r}")


def cohen_kappa_codes(a: Any, b: Any, k: int, *, weights: str | None = None) -> Result:
    """Cohen's (1960; weighted: 1968) kappa of two equal-length code arrays over K
    categories: 1 - sum w_ij O_ij / sum w_ij E_ij, E from the two raters' marginals.
    Unused categories change weighted kappa only through the index distances (the schema's
    order), as with scikit-learn given labels=range(K).
    Both raters using one and the same label makes kappa 0/0: "undefined: no variation"."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if a.shape != b.shape:
        raise ValueError(f"a and b: must have one length, got {a.size} and {b.size}")
    if a.size == 0:
        return _none("not enough data: no items annotated by both")
    if k < 1:
        raise ValueError(f"k: must be at least 1 category, got {k}")
    for name, arr in (("a", a), ("b", b)):
        outside = np.flatnonzero((arr < 0) | (arr >= k))
        if outside.size:
            bad = int(outside[0])
            raise ValueError(f"{name}[{bad}]: code {int(arr[bad])} is outside 0..{k - 1}")
    conf = np.bincount(a * k + b, minlength=k * k).reshape(k, k).astype(float)
    return _kappa_from_confusion(conf, weight_matrix(k, weights))


def _kappa_from_confusion(conf: np.ndarray, w: np.ndarray) -> Result:
    n = conf.sum()
    expected = np.outer(conf.sum(axis=1), conf.sum(axis=0)) / n
    denominator = float((w * expected).sum())
    if denominator <= 0.0:
        return _none(
            "undefined: no variation (both annotators gave every item the same label)",
            int(n),
            int(2 * n),
        )
    return _value(1.0 - float((w * conf).sum()) / denominator, n, 2 * n)


def _rater_columns(r: Ratings) -> np.ndarray:
    """n_items x n_raters codes, -1 where missing (dense: raters are few per project)."""
    if "columns" not in r._cache:
        if r.n_items * r.n_raters > _MAX_DENSE_CELLS:
            raise ValueError(f"{r.n_items} items x {r.n_raters} annotators is too large")
        dtype = np.int16 if r.n_categories < 2**15 else np.int32
        cols = np.full((r.n_items, r.n_raters), -1, dtype=dtype)
        cols[r.item, r.rater] = r.code
        r._cache["columns"] = cols
    return r._cache["columns"]


def cohen_kappa(r: Ratings, a: int, b: int, *, weights: str | None = None) -> Result:
    """Cohen's kappa of raters a and b (indexes) over the items both annotated."""
    cols = _rater_columns(r)
    both = (cols[:, a] >= 0) & (cols[:, b] >= 0)
    return cohen_kappa_codes(cols[both, a], cols[both, b], r.n_categories, weights=weights)


@dataclass(frozen=True)
class PairMatrix:
    """Per annotator pair over the items both annotated: co-annotated item counts,
    percent agreement and Cohen's kappa. Matrices are lists of lists (row a, column b),
    None on the diagonal and where a pair shares no item; reasons[(a, b)] says why a
    kappa is None."""

    raters: tuple
    n_items: list[list[int]]
    percent: list[list[float | None]]
    kappa: list[list[float | None]]
    reasons: dict[tuple[int, int], str]
    weights: str | None = None


def pair_matrix(r: Ratings, *, weights: str | None = None) -> PairMatrix:
    cols = _rater_columns(r)
    k, nr = r.n_categories, r.n_raters
    w = weight_matrix(k, weights)
    counts = [[0] * nr for _ in range(nr)]
    percent: list[list[float | None]] = [[None] * nr for _ in range(nr)]
    kappa: list[list[float | None]] = [[None] * nr for _ in range(nr)]
    reasons: dict[tuple[int, int], str] = {}
    present = cols >= 0
    for a in range(nr):
        for b in range(a + 1, nr):
            both = present[:, a] & present[:, b]
            ca, cb = cols[both, a].astype(np.int64), cols[both, b].astype(np.int64)
            n = int(ca.size)
            counts[a][b] = counts[b][a] = n
            if n == 0:
                reasons[(a, b)] = reasons[(b, a)] = "not enough data: no items annotated by both"
                continue
            conf = np.bincount(ca * k + cb, minlength=k * k).reshape(k, k).astype(float)
            percent[a][b] = percent[b][a] = float(np.trace(conf) / n)
            res = _kappa_from_confusion(conf, w)
            kappa[a][b] = kappa[b][a] = res.value
            if not res.ok:
                reasons[(a, b)] = reasons[(b, a)] = res.reason
    raters = r.rater_ids if r.rater_ids is not None else tuple(range(nr))
    return PairMatrix(raters, counts, percent, kappa, reasons, weights)


# --- per label and per item -------------------------------------------------------------------


@dataclass(frozen=True)
class LabelAgreement:
    label: Any
    n_values: int  # pairable annotations with this label
    specific_agreement: float | None  # share of this label's pairings that are agreeing
    alpha: Result  # nominal alpha of "this label" vs "any other label"


def per_label(r: Ratings) -> list[LabelAgreement]:
    """Per category c: nominal alpha of the binary recoding c vs rest (computed for all
    labels at once from the count table), and the proportion of specific agreement
    sum_u n_uc (n_uc - 1) / sum_u n_uc (m_u - 1) over items with two or more values —
    the chance that another annotator on the same item also said c, given one said c.
    A label nobody used: specific agreement None and alpha "not enough data"."""
    n = r.counts()
    m = n.sum(axis=1)
    keep = m >= 2
    n, m = n[keep], m[keep]
    out = []
    if n.shape[0] == 0:
        res = _none("not enough data: no item has two or more annotations")
        return [LabelAgreement(c, 0, None, res) for c in r.categories]
    w = 1.0 / (m - 1.0)
    total = float(m.sum())
    n1 = n.sum(axis=0)
    n0 = total - n1
    o01 = (n * (m[:, None] - n) * w[:, None]).sum(axis=0)
    same = (n * (n - 1.0)).sum(axis=0)
    paired = (n * (m[:, None] - 1.0)).sum(axis=0)
    units = int(keep.sum())
    for j, label in enumerate(r.categories):
        used = n1[j] > 0
        specific = float(same[j] / paired[j]) if used else None
        if not used:
            alpha = _none(f"not enough data: nobody used {label!r}", units, int(total))
        elif n0[j] == 0:
            alpha = _none(f"undefined: no variation (every annotation is {label!r})", units)
        else:
            # Binary alpha: 1 - (n-1) * 2 o_01 / (2 n_0 n_1).
            alpha = _value(1.0 - (total - 1.0) * o01[j] / (n0[j] * n1[j]), units, int(total))
        out.append(LabelAgreement(label, int(n1[j]), specific, alpha))
    return out


@dataclass(frozen=True, eq=False)
class ItemAgreement:
    """Per item (arrays of length n_items). pair_share and majority_share are meaningful
    only where pairable (two or more annotations); elsewhere they hold 1.0 / 0.0 (see
    rows() for a None-filled view)."""

    n_annotations: np.ndarray  # int
    pairable: np.ndarray  # bool
    pair_share: np.ndarray  # share of annotator pairs that agree
    majority_share: np.ndarray  # share of annotations on the most common answer
    majority_code: np.ndarray  # index of the most common answer (-1: none; ties: first)

    def low(self, threshold: float) -> np.ndarray:
        """Indexes of pairable items whose pair share is below threshold."""
        return np.flatnonzero(self.pairable & (self.pair_share < threshold))

    def rows(self, categories: Sequence) -> list[dict]:
        out = []
        for i in range(self.n_annotations.size):
            p = bool(self.pairable[i])
            c = int(self.majority_code[i])
            out.append(
                {
                    "n_annotations": int(self.n_annotations[i]),
                    "pair_share": float(self.pair_share[i]) if p else None,
                    "majority_share": float(self.majority_share[i]) if p else None,
                    "majority": categories[c] if c >= 0 else None,
                }
            )
        return out


def per_item(r: Ratings) -> ItemAgreement:
    n = r.counts()
    m, share = _item_pair_shares(n)
    pairable = m >= 2
    top = n.max(axis=1) if n.shape[1] else np.zeros(n.shape[0])
    code = np.where(m > 0, n.argmax(axis=1) if n.shape[1] else -1, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        majority = np.where(m > 0, top / np.where(m > 0, m, 1.0), 0.0)
    return ItemAgreement(
        m.astype(np.int64), pairable, np.where(pairable, share, 1.0), majority, code
    )


# --- multi-label ------------------------------------------------------------------------------


def label_presence(
    rows: Iterable[tuple[Hashable, Hashable, Iterable | None]], labels: Sequence
) -> dict[Any, Ratings]:
    """Multi-label answers (item, annotator, set of labels) as one binary Ratings per label
    (categories (False, True): the label absent / present), so every agreement measure
    above applies per label. A None answer is missing for every label."""
    items: dict = {}
    raters: dict = {}
    index = {lb: j for j, lb in enumerate(labels)}
    it, ra, sets = [], [], []
    for n, (i, r, answer) in enumerate(rows):
        if answer is None:
            continue
        present = np.zeros(len(labels), dtype=bool)
        for lb in answer:
            if lb not in index:
                raise ValueError(f"row {n}: label {lb!r} is not one of {list(labels)}")
            present[index[lb]] = True
        it.append(items.setdefault(i, len(items)))
        ra.append(raters.setdefault(r, len(raters)))
        sets.append(present)
    matrix = np.array(sets, dtype=np.int64).reshape(len(sets), len(labels))
    item = np.asarray(it, dtype=np.int64)
    rater = np.asarray(ra, dtype=np.int64)
    out = {}
    for j, lb in enumerate(labels):
        out[lb] = Ratings.from_arrays(
            item,
            rater,
            matrix[:, j],
            categories=(False, True),
            n_items=len(items),
            n_raters=len(raters),
            item_ids=tuple(items),
            rater_ids=tuple(raters),
        )
    return out


def jaccard(a: Iterable, b: Iterable) -> float:
    """|A & B| / |A | B|; two empty sets are identical (1.0)."""
    a, b = set(a), set(b)
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def item_jaccard(
    rows: Iterable[tuple[Hashable, Hashable, Iterable | None]],
) -> dict[Any, float | None]:
    """Per item: the mean Jaccard similarity of its annotators' label sets over all pairs
    (two empty sets count as identical, 1.0); None for items with fewer than two answers.
    A Python loop over items: multi-label projects hold few labels per answer and this is
    computed for the data manager's page, not over the whole project at once."""
    answers: dict[Any, list[frozenset]] = {}
    for i, _r, s in rows:
        entry = answers.setdefault(i, [])
        if s is not None:
            entry.append(frozenset(s))
    out: dict[Any, float | None] = {}
    for i, sets in answers.items():
        if len(sets) < 2:
            out[i] = None
            continue
        total, pairs = 0.0, 0
        for a in range(len(sets)):
            for b in range(a + 1, len(sets)):
                total += jaccard(sets[a], sets[b])
                pairs += 1
        out[i] = total / pairs
    return out


def set_ratings(
    rows: Iterable[tuple[Hashable, Hashable, Iterable | None]],
) -> tuple[Ratings, np.ndarray]:
    """Multi-label answers with each distinct label set as one category, and the matrix of
    Jaccard distances (1 - Jaccard) between those sets: krippendorff_alpha(r, distance=d)
    is alpha with a Jaccard distance (cf. Passonneau 2006, who uses MASI)."""
    prepared = [(i, r, None if s is None else frozenset(s)) for i, r, s in rows]
    r = Ratings.from_tuples(
        prepared, categories=tuple(dict.fromkeys(s for _, _, s in prepared if s is not None))
    )
    cats = r.categories
    d = np.array([[1.0 - jaccard(x, y) for y in cats] for x in cats]).reshape(len(cats), -1)
    return r, d
