"""Active-learning ordering of the annotation queue: the current model's most uncertain
items first, with a share of random items interleaved so the labels collected stay usable
as unbiased evaluation data (uncertainty sampling alone over-samples the class border).

Pure Python with no Django imports. The result depends only on the set of (item id,
probability vector) pairs, the strategy, the seed and the share: the input is put in
item-id order first, so a re-order logged with its seed can be reproduced exactly.

Uncertainty (higher = asked sooner), for a probability vector p sorted descending:
- least confidence: 1 - p[0]
- margin: 1 - (p[0] - p[1])   (a small gap between the two best classes is uncertain)
- entropy: -Σ p log p   (natural log, 0 log 0 = 0)
Multi-label (independent per-label probabilities): each label is the two-class vector
(q, 1 - q) and the item's uncertainty is the mean over its labels.

Random share: exactly k = floor(n × share + 0.5) items are drawn uniformly (seeded, without
replacement) and placed evenly: position i (0-based) holds a random item iff
floor((i + 1) k / n) > floor(i k / n), so every prefix of length m holds floor(m k / n) of
them — the share holds for any first m items served, not only for the whole queue.
Ties in uncertainty keep item-id order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

STRATEGIES = ("least_confidence", "margin", "entropy")
DEFAULT_RANDOM_SHARE = 0.10
SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ActiveOrder:
    item_ids: list[Any]  # the queue order, first = served first
    is_random: np.ndarray  # bool per position: drawn at random rather than by uncertainty
    scores: np.ndarray  # the uncertainty of each item in `item_ids` order
    strategy: str
    seed: int
    random_share: float
    n_random: int

    def parameters(self) -> dict[str, Any]:
        """What a logged re-ordering keeps beside the model version and time."""
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "random_share": self.random_share,
            "items": len(self.item_ids),
            "random_items": self.n_random,
        }


def uncertainty(
    probabilities: np.ndarray | Sequence[Sequence[float]],
    *,
    strategy: str,
    multi_label: bool = False,
) -> np.ndarray:
    """One uncertainty score per row (see the module docstring for the definitions)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    p = _check_probabilities(probabilities, multi_label=multi_label)
    if multi_label:
        # Each label as its own two-class problem; the item's score is the mean over labels.
        pair = np.stack([p, 1.0 - p], axis=-1)  # n × labels × 2
        return _scores(pair.reshape(-1, 2), strategy).reshape(p.shape).mean(axis=1)
    return _scores(p, strategy)


def _scores(p: np.ndarray, strategy: str) -> np.ndarray:
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log(p), 0.0)
        return -terms.sum(axis=1)
    top2 = -np.partition(-p, 1, axis=1)[:, :2]  # the two largest, descending
    if strategy == "least_confidence":
        return 1.0 - top2[:, 0]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def _check_probabilities(
    probabilities: np.ndarray | Sequence[Sequence[float]], *, multi_label: bool
) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < (1 if multi_label else 2):
        raise ValueError(
            "probabilities: one vector per item with a probability per label"
            + ("" if multi_label else " (at least 2 labels)")
        )
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        row = int(
            np.nonzero(~np.isfinite(p).all(axis=1) | (p < 0).any(axis=1) | (p > 1).any(axis=1))[0][
                0
            ]
        )
        raise ValueError(f"probabilities[{row}]: every probability must be within 0..1")
    if not multi_label and len(p):
        off = np.abs(p.sum(axis=1) - 1.0) > SUM_TOLERANCE
        if off.any():
            row = int(np.nonzero(off)[0][0])
            raise ValueError(
                f"probabilities[{row}]: sums to {p[row].sum():.6g}, not 1 (single-label "
                "vectors must sum to 1)"
            )
    return p


def random_count(n: int, share: float) -> int:
    """How many of n items are random: n × share rounded half up."""
    return math.floor(n * share + 0.5)


def order(
    item_ids: Sequence[Any],
    probabilities: np.ndarray | Sequence[Sequence[float]],
    *,
    strategy: str,
    seed: int,
    random_share: float = DEFAULT_RANDOM_SHARE,
    multi_label: bool = False,
) -> ActiveOrder:
    """The queue order: uncertain first, `random_share` of random items interleaved."""
    if not 0.0 <= random_share <= 1.0:
        raise ValueError(f"random_share: must be within 0..1, got {random_share}")
    n = len(item_ids)
    p = _check_probabilities(probabilities, multi_label=multi_label) if n else np.zeros((0, 2))
    if len(p) != n:
        raise ValueError(f"probabilities: {len(p)} vectors for {n} items")
    ids = np.empty(n, dtype=object)
    ids[:] = list(item_ids)
    canonical = _id_order(ids)
    ids = ids[canonical]
    p = p[canonical]
    _check_unique(ids)
    scores = uncertainty(p, strategy=strategy, multi_label=multi_label) if n else np.zeros(0)

    k = random_count(n, random_share)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(n, size=k, replace=False) if k else np.zeros(0, dtype=np.int64)
    rest_mask = np.ones(n, dtype=bool)
    rest_mask[drawn] = False
    rest = np.nonzero(rest_mask)[0]
    # Most uncertain first; stable, so ties keep item-id order.
    rest = rest[np.argsort(-scores[rest], kind="stable")]

    positions = np.arange(n, dtype=np.int64)
    slot_random = ((positions + 1) * k // n > positions * k // n) if n else np.zeros(0, bool)
    result = np.empty(n, dtype=np.int64)
    result[slot_random] = drawn
    result[~slot_random] = rest
    return ActiveOrder(
        item_ids=ids[result].tolist(),
        is_random=slot_random,
        scores=scores[result],
        strategy=strategy,
        seed=seed,
        random_share=random_share,
        n_random=k,
    )


def _id_order(ids: np.ndarray) -> np.ndarray:
    values = ids.tolist()
    try:
        return np.asarray(sorted(range(len(values)), key=values.__getitem__), dtype=np.int64)
    except TypeError:  # mixed id types: by type name, then value
        return np.asarray(
            sorted(range(len(values)), key=lambda i: (type(values[i]).__name__, str(values[i]))),
            dtype=np.int64,
        )


def _check_unique(sorted_ids: np.ndarray) -> None:
    values = sorted_ids.tolist()
    for a, b in zip(values, values[1:], strict=False):
        if a == b:
            repeated = [v for v, c in Counter(values).items() if c > 1]
            raise ValueError(f"item_ids: repeated ids {repeated[:10]}")
