"""Quality metrics with no Django: accuracy against gold with its Wilson interval and the
pass/fail rule, the per-task-type notion of a correct answer, and agreement for structured
answers (span F1 for NER, IoU and matched boxes, pairwise preferences). The agreement
coefficients over coded answers (kappa, alpha, breakdowns) live in quality/agreement.py
and are re-exported here, so callers import from one place.

Every function returns a defined value: a float in [0, 1] (or the coefficient's range),
or None with a reason — never NaN or inf.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from .agreement import (  # noqa: F401 - re-exported
    LEVELS,
    WEIGHTS,
    ItemAgreement,
    LabelAgreement,
    PairMatrix,
    Ratings,
    Result,
    cohen_kappa,
    cohen_kappa_codes,
    coincidence_matrix,
    distance_matrix,
    fleiss_kappa,
    item_jaccard,
    jaccard,
    krippendorff_alpha,
    label_presence,
    pair_matrix,
    per_item,
    per_label,
    percent_agreement,
    set_ratings,
    weight_matrix,
)

NOT_ENOUGH_DATA = "not_enough_data"
PASS = "pass"
FAIL = "fail"


# --- accuracy on gold -------------------------------------------------------------------------


def _assignment(gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The one-to-one pairing with the largest total gain (Hungarian algorithm). SciPy's
    optimize package is imported on first use: it costs a web process 0.3 s to load."""
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment(gain, maximize=True)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    confidence: float


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval | None:
    """Wilson's (1927) score interval for a binomial proportion — the interval
    statsmodels' proportion_confint(method="wilson") gives — with z the normal quantile 1 - a/2.
    Unlike the normal (Wald) interval it stays inside [0, 1] and is sensible at 0/n and
    n/n. None when n = 0 (there is no proportion to bound)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be between 0 and 1, got {confidence}")
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"successes: must be within 0..n, got {successes} of {n}")
    if n == 0:
        return None
    # The standard library's inverse normal (Wichura's AS241, ~1e-16): importing
    # scipy.stats here cost every web process about half a second at start-up.
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # At 0/n and n/n the bound is exactly 0 or 1; computed, it can miss by a rounding error.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high, confidence)


@dataclass(frozen=True)
class GoldVerdict:
    status: str  # "pass", "fail" or "not_enough_data"
    n: int  # gold items answered
    correct: int
    accuracy: float | None  # None when n == 0
    interval: Interval | None
    threshold: float
    min_items: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "low": self.interval.low if self.interval else None,
            "high": self.interval.high if self.interval else None,
            "confidence": self.interval.confidence if self.interval else None,
            "threshold": self.threshold,
            "min_items": self.min_items,
            "reason": self.reason,
        }


def gold_verdict(
    correct: int | Iterable[bool],
    n: int | None = None,
    *,
    threshold: float = 0.95,
    min_items: int = 20,
    confidence: float = 0.95,
) -> GoldVerdict:
    """Pass when the Wilson lower bound of accuracy on gold is >= threshold over at least
    min_items gold items; fail when it is below; "not_enough_data" under min_items (the
    interval is still given, so the UI can show how uncertain the estimate is).
    correct: the number right (with n) or an iterable of booleans, one per gold item."""
    if n is None:
        if not isinstance(correct, Iterable):
            raise TypeError("gold_verdict: a count of correct answers needs n, the total")
        flags = [bool(x) for x in correct]
        right, n = sum(flags), len(flags)
    elif isinstance(correct, Iterable):
        raise TypeError("gold_verdict: n goes with a count, not with one flag per item")
    else:
        right = int(correct)
    interval = wilson_interval(right, n, confidence=confidence)
    accuracy = right / n if n else None
    if n < min_items or interval is None:
        status = NOT_ENOUGH_DATA
        plural = "s" if n != 1 else ""
        reason = f"not enough data: {n} gold item{plural} answered, {min_items} needed"
    elif interval.low >= threshold:
        status, reason = PASS, f"lower bound {interval.low:.3f} >= {threshold}"
    else:
        status, reason = FAIL, f"lower bound {interval.low:.3f} < {threshold}"
    return GoldVerdict(status, n, right, accuracy, interval, threshold, min_items, reason)


# --- spans (NER) ------------------------------------------------------------------------------


def _span_tuples(spans: Iterable) -> list[tuple[int, int, Any]]:
    out = []
    for s in spans or ():
        if isinstance(s, Mapping):
            out.append((int(s["start"]), int(s["end"]), s.get("label")))
        else:
            start, end, label = s
            out.append((int(start), int(end), label))
    return out


def span_matches(a: Iterable, b: Iterable, *, mode: str = "exact") -> int:
    """How many spans of a pair one-to-one with spans of b.

    exact: same start, end and label (multiset intersection).
    overlap: same label and at least one character in common ([start, end) offsets
    intersect). Pairs are chosen by the Hungarian algorithm to maximise first the number of
    matched spans, then their total character overlap, so nested or crossing spans never
    match twice."""
    a, b = _span_tuples(a), _span_tuples(b)
    if mode == "exact":
        return sum((Counter(a) & Counter(b)).values())
    if mode != "overlap":
        raise ValueError(f"mode: must be exact or overlap, got {mode!r}")
    if not a or not b:
        return 0
    sa = np.array([(s, e) for s, e, _ in a], dtype=float)
    sb = np.array([(s, e) for s, e, _ in b], dtype=float)
    same = np.array([[la == lb for *_, lb in b] for *_, la in a], dtype=bool)
    ov = np.minimum(sa[:, 1:2], sb[None, :, 1]) - np.maximum(sa[:, 0:1], sb[None, :, 0])
    ok = same & (ov > 0)
    if not ok.any():
        return 0
    # 1 per match plus an overlap tie-break summing to < 1 (total overlap < sum of lengths).
    scale = float((sa[:, 1] - sa[:, 0]).sum() + (sb[:, 1] - sb[:, 0]).sum() + 1.0)
    gain = np.where(ok, 1.0 + np.maximum(ov, 0) / scale, 0.0)
    rows, cols = _assignment(gain)
    return int(ok[rows, cols].sum())


@dataclass(frozen=True)
class F1:
    """Micro-averaged match counts. precision/recall take b as the reference."""

    matched: int
    n_a: int
    n_b: int

    @property
    def f1(self) -> float | None:
        total = self.n_a + self.n_b
        return 2.0 * self.matched / total if total else None

    @property
    def precision(self) -> float | None:
        return self.matched / self.n_a if self.n_a else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.n_b if self.n_b else None

    def result(self, what: str = "spans") -> Result:
        if self.n_a + self.n_b == 0:
            return Result(None, f"not enough data: no {what} from either annotator")
        return Result(self.f1, "", 0, self.n_a + self.n_b)


def span_f1(pairs: Iterable[tuple[Iterable, Iterable]], *, mode: str = "exact") -> F1:
    """Pairwise span F1 between two annotators, micro-averaged: matched spans and span
    counts summed over the items both annotated (one (a_spans, b_spans) per item), then
    F1 = 2 matched / (n_a + n_b), which is symmetric in a and b. Items where neither marked
    a span add nothing; if no item has a span F1 is None ("not enough data")."""
    matched = n_a = n_b = 0
    for a, b in pairs:
        a, b = _span_tuples(a), _span_tuples(b)
        matched += span_matches(a, b, mode=mode)
        n_a += len(a)
        n_b += len(b)
    return F1(matched, n_a, n_b)


# --- boxes ------------------------------------------------------------------------------------


def _box_array(boxes: Iterable) -> tuple[np.ndarray, list]:
    rows, labels = [], []
    for b in boxes or ():
        if isinstance(b, Mapping):
            rows.append((b["x"], b["y"], b["width"], b["height"]))
            labels.append(b.get("label"))
        else:
            *xywh, label = b
            rows.append(tuple(xywh))
            labels.append(label)
    return np.asarray(rows, dtype=float).reshape(-1, 4), labels


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of a with every box of b, boxes as rows of
    (x, y, width, height) — the schema's format (percent of the image). A NaN or infinite
    coordinate is a ValueError (it used to give IoU 0.0, a silent "no overlap")."""
    a, b = np.asarray(a, dtype=float).reshape(-1, 4), np.asarray(b, dtype=float).reshape(-1, 4)
    for name, m in (("a", a), ("b", b)):
        bad = np.argwhere(~np.isfinite(m))
        if bad.size:
            n, k = (int(v) for v in bad[0])
            key = ("x", "y", "width", "height")[k]
            raise ValueError(f"{name}[{n}]: {key} is {m[n, k]}, not a finite number")
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.minimum(ax2[:, None], bx2[None, :]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(ay2[:, None], by2[None, :]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def iou(a: Mapping, b: Mapping) -> float:
    return float(iou_matrix(_box_array([a])[0], _box_array([b])[0])[0, 0])


@dataclass(frozen=True)
class BoxMatch:
    matched: int
    n_a: int
    n_b: int
    iou_sum: float  # over the matched pairs

    @property
    def mean_iou(self) -> float | None:
        return self.iou_sum / self.matched if self.matched else None

    @property
    def f1(self) -> float | None:
        total = self.n_a + self.n_b
        return 2.0 * self.matched / total if total else None


def match_boxes(a: Iterable, b: Iterable, *, threshold: float = 0.5) -> BoxMatch:
    """One-to-one matching of a's boxes to b's: a pair may match if the labels are equal
    and IoU >= threshold (IoU > 0 when threshold is 0). The Hungarian algorithm
    (scipy.optimize.linear_sum_assignment) maximises the number of matches, then their
    total IoU (a tie-break that sums to < 1)."""
    xa, la = _box_array(a)
    xb, lb = _box_array(b)
    if not la or not lb:
        return BoxMatch(0, len(la), len(lb), 0.0)
    m = iou_matrix(xa, xb)
    same = np.array([[p == q for q in lb] for p in la], dtype=bool)
    ok = same & ((m >= threshold) if threshold > 0 else (m > 0))
    if not ok.any():
        return BoxMatch(0, len(la), len(lb), 0.0)
    gain = np.where(ok, 1.0 + m / (min(len(la), len(lb)) + 1.0), 0.0)
    rows, cols = _assignment(gain)
    hit = ok[rows, cols]
    return BoxMatch(int(hit.sum()), len(la), len(lb), float(m[rows[hit], cols[hit]].sum()))


def box_agreement(
    pairs: Iterable[tuple[Iterable, Iterable]], *, threshold: float = 0.5
) -> BoxMatch:
    """Two annotators' boxes over the items both annotated, micro-averaged: matches,
    box counts and matched IoU summed over items. mean_iou is the mean IoU of matched
    boxes, f1 = 2 matched / (n_a + n_b)."""
    matched = n_a = n_b = 0
    total = 0.0
    for a, b in pairs:
        m = match_boxes(a, b, threshold=threshold)
        matched, n_a, n_b, total = (
            matched + m.matched,
            n_a + m.n_a,
            n_b + m.n_b,
            total + m.iou_sum,
        )
    return BoxMatch(matched, n_a, n_b, total)


# --- spans and boxes per annotator pair and per item ----------------------------------------


@dataclass(frozen=True)
class StructuredAgreement:
    """Span or box agreement between every annotator pair over their co-annotated items.
    f1[a][b]: micro F1 of the pair (None when neither marked anything on shared items or
    they share no item); mean_iou[a][b]: mean IoU of matched boxes (boxes only);
    overall: matches and counts pooled over every pair; per_item: item -> mean F1 over the
    pairs on that item that marked anything (None with fewer than two answers or nothing
    marked) — for the data manager's "low agreement" filter."""

    raters: tuple
    n_items: list[list[int]]
    f1: list[list[float | None]]
    mean_iou: list[list[float | None]] | None
    overall: Result
    per_item: dict[Any, float | None]


def structured_agreement(
    rows: Iterable[tuple[Any, Any, Any]],
    kind: str,
    *,
    mode: str = "exact",
    threshold: float = 0.5,
) -> StructuredAgreement:
    """rows: (item, annotator, spans or boxes); None is a missing answer (an empty list is
    an answer: nothing to mark). kind "spans" uses span_matches(mode=...), "boxes"
    match_boxes(threshold=...). A Python loop over items and pairs: structured answers
    hold a handful of objects each, and the matching itself is per item."""
    if kind not in ("spans", "boxes"):
        raise ValueError(f"kind: must be spans or boxes, got {kind!r}")
    by_item: dict[Any, dict[Any, Any]] = {}
    raters: dict[Any, int] = {}
    for i, r, answer in rows:
        if answer is None:
            continue
        raters.setdefault(r, len(raters))
        by_item.setdefault(i, {})[r] = answer
    nr = len(raters)
    matched = np.zeros((nr, nr), dtype=np.int64)
    sizes = np.zeros((nr, nr), dtype=np.int64)  # n_a + n_b
    shared = np.zeros((nr, nr), dtype=np.int64)
    iou_sum = np.zeros((nr, nr))
    item_f1: dict[Any, float | None] = {}
    for i, answers in by_item.items():
        scores = []
        for (ra, a), (rb, b) in _pairs(list(answers.items())):
            x, y = raters[ra], raters[rb]
            if kind == "spans":
                a_, b_ = _span_tuples(a), _span_tuples(b)
                m, na, nb, s = span_matches(a_, b_, mode=mode), len(a_), len(b_), 0.0
            else:
                bm = match_boxes(a, b, threshold=threshold)
                m, na, nb, s = bm.matched, bm.n_a, bm.n_b, bm.iou_sum
            for p, q in ((x, y), (y, x)):
                matched[p, q] += m
                sizes[p, q] += na + nb
                shared[p, q] += 1
                iou_sum[p, q] += s
            if na + nb:
                scores.append(2.0 * m / (na + nb))
        item_f1[i] = sum(scores) / len(scores) if scores else None
    f1 = [
        [
            float(2.0 * matched[a, b] / sizes[a, b]) if a != b and sizes[a, b] else None
            for b in range(nr)
        ]
        for a in range(nr)
    ]
    mean_iou = None
    if kind == "boxes":
        mean_iou = [
            [
                float(iou_sum[a, b] / matched[a, b]) if a != b and matched[a, b] else None
                for b in range(nr)
            ]
            for a in range(nr)
        ]
    upper = np.triu_indices(nr, 1)
    total_m, total_n = int(matched[upper].sum()), int(sizes[upper].sum())
    if total_n:
        overall = Result(2.0 * total_m / total_n, "", int(shared[upper].sum()), total_n)
    else:
        what = "spans" if kind == "spans" else "boxes"
        overall = Result(
            None, f"not enough data: no co-annotated item with {what}", int(shared[upper].sum())
        )
    return StructuredAgreement(tuple(raters), shared.tolist(), f1, mean_iou, overall, item_f1)


def _pairs(seq: list) -> Iterable[tuple[Any, Any]]:
    for a in range(len(seq)):
        for b in range(a + 1, len(seq)):
            yield seq[a], seq[b]


# --- pairwise preferences (LLM evaluation) ----------------------------------------------------

PREFERENCE_CATEGORIES = (0, "tie", 1)
STRENGTH_CATEGORIES = (-3, -2, -1, 0, 1, 2, 3)


def preference_code(answer: Mapping | None, *, strength: bool = False) -> Any:
    """A pairwise answer ({"preferred": 0 | 1 | "tie", "strength": 1..3}) as one ordered
    category: without strength 0 < "tie" < 1 (PREFERENCE_CATEGORIES); with strength a
    signed scale -3..3 (response 0 preferred with strength s is -s, a tie 0, response 1 +s;
    an answer without strength counts as strength 1). Use with Ratings.from_tuples(...,
    categories=...) and any agreement measure: percent agreement for "same preference",
    ordinal or interval alpha to credit near misses in strength."""
    if answer is None:
        return None
    preferred = answer.get("preferred")
    if preferred not in (0, 1, "tie") or isinstance(preferred, bool):
        raise ValueError(f"preferred: must be 0, 1 or 'tie', got {preferred!r}")
    if not strength:
        return preferred
    if preferred == "tie":
        return 0
    s = int(answer.get("strength") or 1)
    return s if preferred == 1 else -s


def preference_ratings(
    rows: Iterable[tuple[Any, Any, Mapping | None]], *, strength: bool = False
) -> Ratings:
    cats = STRENGTH_CATEGORIES if strength else PREFERENCE_CATEGORIES
    return Ratings.from_tuples(
        ((i, r, preference_code(a, strength=strength)) for i, r, a in rows), categories=cats
    )


# --- correctness against a reference answer ---------------------------------------------------


@dataclass(frozen=True)
class Correctness:
    score: float  # in [0, 1]
    correct: bool


def _ranking_score(answer: Sequence, reference: Sequence) -> float:
    """1 - normalised Kendall tau distance: the share of response pairs in the same order."""
    n = len(reference)
    if n < 2:
        return 1.0 if list(answer) == list(reference) else 0.0
    pos_a = {v: i for i, v in enumerate(answer)}
    pos_r = np.array([pos_a.get(v, -1) for v in reference])
    if (pos_r < 0).any():
        return 0.0
    i, j = np.triu_indices(n, 1)
    return float((pos_r[i] < pos_r[j]).mean())


def _rating_pairs(answer: Any, reference: Any) -> list[tuple[Any, Any]]:
    if isinstance(reference, Mapping):
        answer = answer if isinstance(answer, Mapping) else {}
        return [(answer.get(k), v) for k, v in reference.items() if v is not None]
    if isinstance(reference, Sequence):
        answer = list(answer) if isinstance(answer, Sequence) else []
        answer += [{}] * (len(reference) - len(answer))
        return [p for a, r in zip(answer, reference, strict=False) for p in _rating_pairs(a, r)]
    return [(answer, reference)]


def score_answer(
    kind: str,
    answer: Any,
    reference: Any,
    *,
    jaccard_threshold: float = 1.0,
    span_mode: str = "exact",
    span_threshold: float = 1.0,
    iou_threshold: float = 0.5,
    strength: bool = False,
    tolerance: float = 0.0,
) -> Correctness:
    """How right one field's answer is against the reference (gold) answer, by field type:

    - choice, one label: exact label (score 1 or 0).
    - choice, multiple labels: Jaccard of the label sets (two empty sets: 1); correct when
      >= jaccard_threshold (default 1.0: the same set).
    - spans: span F1 against the reference, exact or overlap matching (span_matches);
      correct when F1 >= span_threshold (default 1.0: every span found, none extra). No
      spans in either: 1.
    - boxes: F1 of boxes matched at IoU >= iou_threshold with the same label; correct when
      every reference box is matched and there is no extra box.
    - pairwise: same preferred response (or tie); with strength=True the strength must
      match too, and the score is 1 - |difference| / 6 on the signed -3..3 scale.
    - rating: each criterion score within tolerance of the reference; score = share of
      the reference's criteria within tolerance, correct when all are.
    - ranking: 1 - normalised Kendall tau distance; correct when the order is identical.
    - text: the same text after stripping surrounding whitespace.
    """
    if kind == "choice":
        if isinstance(reference, (list, tuple, set, frozenset)):
            s = jaccard(answer or (), reference)
            return Correctness(s, s >= jaccard_threshold)
        s = 1.0 if answer == reference else 0.0
        return Correctness(s, bool(s))
    if kind == "spans":
        f = span_f1([(answer, reference)], mode=span_mode).f1
        s = 1.0 if f is None else f
        return Correctness(s, s >= span_threshold)
    if kind == "boxes":
        m = match_boxes(answer or (), reference or (), threshold=iou_threshold)
        s = 1.0 if m.f1 is None else m.f1
        return Correctness(s, m.matched == m.n_a == m.n_b)
    if kind == "pairwise":
        if answer is None:
            return Correctness(0.0, False)
        if strength:
            a, r = preference_code(answer, strength=True), preference_code(reference, strength=True)
            return Correctness(1.0 - abs(a - r) / 6.0, a == r)
        same = answer.get("preferred") == reference.get("preferred")
        return Correctness(float(same), same)
    if kind == "rating":
        pairs = _rating_pairs(answer, reference)
        if not pairs:
            return Correctness(1.0, True)
        ok = [a is not None and abs(a - r) <= tolerance for a, r in pairs]
        return Correctness(sum(ok) / len(ok), all(ok))
    if kind == "ranking":
        s = _ranking_score(answer or [], reference)
        return Correctness(s, list(answer or []) == list(reference))
    if kind == "text":
        same = (answer or "").strip() == (reference or "").strip()
        return Correctness(float(same), same)
    raise ValueError(f"kind: no notion of correct for {kind!r} fields")


def score_answers(
    kinds: Mapping[str, str], answer: Mapping, reference: Mapping, **options: Any
) -> Correctness:
    """A whole answer (field name -> value) against the reference: the mean of the field
    scores over the reference's fields, correct when every field is. Fields the reference
    leaves empty (None) are not judged."""
    judged = [
        score_answer(kinds[name], (answer or {}).get(name), ref, **options)
        for name, ref in reference.items()
        if ref is not None and name in kinds
    ]
    if not judged:
        return Correctness(1.0, True)
    return Correctness(sum(c.score for c in judged) / len(judged), all(c.correct for c in judged))
