"""Ranking compared models (LLM pairwise judgements) from pairwise outcomes: win rates with
Wilson intervals and a Bradley–Terry ranking with seeded bootstrap intervals.

Pure Python with no Django imports. Bradley–Terry: P(i beats j) = s_i / (s_i + s_j); the
strengths are fitted by Hunter's (2004) MM algorithm, the same fixed point as
`choix.mm_pairwise`, and reported as log-strengths centred on mean 0 (choix's convention),
so they compare with choix directly. A tie counts as half a win for each side in the fit;
win rates count wins against wins + losses (ties reported beside them, not in the rate),
so the Wilson interval is over whole trials.

The maximum-likelihood strengths exist only when every model has beaten and lost to the
others through some chain of comparisons (the "who beat whom" graph strongly connected):
otherwise the fit diverges, so it is refused naming the models, unless a `prior` (virtual
wins of each model over every other, choix's `alpha`-style smoothing) is given.

Bootstrap: comparisons resampled with replacement (one multinomial draw over the distinct
outcomes, the same distribution), refitted each time with the same prior, percentile
intervals; resamples whose graph is not connected cannot be fitted and are counted in
`failed_resamples` (left out) rather than silently smoothed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainerdesk.quality.metrics import Interval, wilson_interval

DEFAULT_RESAMPLES = 1000
MAX_ITER = 10_000
TOLERANCE = 1e-10


class NotRankable(ValueError):
    """The comparisons cannot give Bradley–Terry strengths; the message names the models."""

    field = "comparisons"


@dataclass(frozen=True)
class WinRate:
    model: str
    wins: int
    losses: int
    ties: int
    rate: float | None  # wins / (wins + losses); None without decided comparisons
    interval: Interval | None  # Wilson, over wins + losses


@dataclass(frozen=True)
class Strength:
    model: str
    rank: int  # 1 = strongest
    strength: float  # log-strength, mean 0 over the models
    interval: tuple[float, float] | None  # bootstrap percentile interval


@dataclass(frozen=True)
class Ranking:
    models: tuple[str, ...]
    strengths: list[Strength]  # strongest first
    win_rates: list[WinRate]  # in `models` order
    comparisons: int
    resamples: int
    failed_resamples: int
    confidence: float
    seed: int
    prior: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "strengths": [
                {
                    "model": s.model,
                    "rank": s.rank,
                    "strength": s.strength,
                    "interval": list(s.interval) if s.interval else None,
                }
                for s in self.strengths
            ],
            "win_rates": [
                {
                    "model": w.model,
                    "wins": w.wins,
                    "losses": w.losses,
                    "ties": w.ties,
                    "rate": w.rate,
                    "interval": [w.interval.low, w.interval.high] if w.interval else None,
                }
                for w in self.win_rates
            ],
            "comparisons": self.comparisons,
            "resamples": self.resamples,
            "failed_resamples": self.failed_resamples,
            "confidence": self.confidence,
            "seed": self.seed,
            "prior": self.prior,
        }


def outcome_matrix(
    wins: Iterable[tuple[str, str]],
    ties: Iterable[tuple[str, str]] = (),
    *,
    models: Sequence[str] | None = None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(models, W, T): W[i, j] = times i beat j, T[i, j] = ties between i and j (symmetric)."""
    wins, ties = list(wins), list(ties)
    names = (
        tuple(models)
        if models is not None
        else tuple(sorted({m for pair in wins + ties for m in pair}))
    )
    if len(set(names)) != len(names):
        raise ValueError("models: repeated model names")
    index = {name: i for i, name in enumerate(names)}
    w = np.zeros((len(names), len(names)))
    t = np.zeros((len(names), len(names)))
    for what, pairs, matrix in (("wins", wins, w), ("ties", ties, t)):
        for position, (a, b) in enumerate(pairs):
            for name in (a, b):
                if name not in index:
                    raise ValueError(f'{what}[{position}]: unknown model "{name}"')
            if a == b:
                raise ValueError(f'{what}[{position}]: "{a}" compared with itself')
            matrix[index[a], index[b]] += 1
            if matrix is t:
                t[index[b], index[a]] += 1
    return names, w, t


def _connected(wins: np.ndarray) -> list[int]:
    """Models outside the largest strongly connected part of the "beat" graph (empty: the
    graph is connected and the strengths exist). Small n (models), so reachability per node."""
    n = len(wins)
    beat = wins > 0

    def reach(adj: np.ndarray, start: int) -> np.ndarray:
        seen = np.zeros(n, dtype=bool)
        seen[start] = True
        frontier = [start]
        while frontier:
            node = frontier.pop()
            for nxt in np.nonzero(adj[node] & ~seen)[0]:
                seen[nxt] = True
                frontier.append(int(nxt))
        return seen

    best = np.zeros(n, dtype=bool)
    for start in range(n):
        part = reach(beat, start) & reach(beat.T, start)
        if part.sum() > best.sum():
            best = part
        if best.all():
            return []
    return [i for i in range(n) if not best[i]]


def fit_strengths(
    wins: np.ndarray,
    *,
    prior: float = 0.0,
    initial: np.ndarray | None = None,
    max_iter: int = MAX_ITER,
    tol: float = TOLERANCE,
) -> np.ndarray:
    """Bradley–Terry log-strengths (mean 0) by MM from a win matrix (ties already split as
    halves into it). Raises NotRankable when the MLE does not exist."""
    n = len(wins)
    if n < 2:
        raise NotRankable("At least two models need comparing")
    w = wins + prior * (1.0 - np.eye(n))
    if _connected(w):
        raise NotRankable("not connected")
    games = w + w.T  # comparisons between each pair
    won = w.sum(axis=1)
    # A bootstrap resample starts from the full fit's strengths: far fewer iterations.
    p = np.exp(initial) / np.exp(initial).sum() if initial is not None else np.ones(n) / n
    for _ in range(max_iter):
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)
        new = won / denom
        new /= new.sum()
        if np.abs(np.log(new) - np.log(p)).max() < tol:
            p = new
            break
        p = new
    theta = np.log(p)
    return theta - theta.mean()


def rank_models(
    wins: Iterable[tuple[str, str]],
    ties: Iterable[tuple[str, str]] = (),
    *,
    models: Sequence[str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    prior: float = 0.0,
) -> Ranking:
    """Win rates and the Bradley–Terry ranking of the models from (winner, loser) pairs and
    (a, b) ties; `resamples=0` skips the bootstrap."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be between 0 and 1, got {confidence}")
    if resamples < 0:
        raise ValueError("resamples: must be 0 or more")
    if prior < 0:
        raise ValueError("prior: must be 0 or more")
    names, w, t = outcome_matrix(wins, ties, models=models)
    if len(names) < 2:
        raise NotRankable("At least two models need comparing")
    combined = w + t / 2.0
    outside = _connected(combined + prior * (1.0 - np.eye(len(names))))
    if outside:
        listed = ", ".join(f'"{names[i]}"' for i in outside)
        raise NotRankable(
            f"Bradley–Terry strengths do not exist for these comparisons: {listed} never "
            "both won and lost (through any chain of comparisons) against the rest; "
            "compare them more or give a prior"
        )
    theta = fit_strengths(combined, prior=prior)

    decided = int(w.sum())
    tie_count = int(t.sum() / 2)
    intervals: list[tuple[float, float] | None] = [None] * len(names)
    failed = 0
    if resamples:
        samples, failed = _bootstrap(
            w, t, resamples=resamples, seed=seed, prior=prior, initial=theta
        )
        if len(samples):
            alpha = (1.0 - confidence) / 2.0
            low = np.quantile(samples, alpha, axis=0)
            high = np.quantile(samples, 1.0 - alpha, axis=0)
            intervals = [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]
    order = sorted(range(len(names)), key=lambda i: (-theta[i], names[i]))
    strengths = [
        Strength(names[i], rank, float(theta[i]), intervals[i])
        for rank, i in enumerate(order, start=1)
    ]
    rates = []
    for i, name in enumerate(names):
        won, lost, tied = int(w[i].sum()), int(w[:, i].sum()), int(t[i].sum())
        total = won + lost
        rates.append(
            WinRate(
                name,
                won,
                lost,
                tied,
                won / total if total else None,
                wilson_interval(won, total, confidence=confidence),
            )
        )
    return Ranking(
        models=names,
        strengths=strengths,
        win_rates=rates,
        comparisons=decided + tie_count,
        resamples=resamples,
        failed_resamples=failed,
        confidence=confidence,
        seed=seed,
        prior=prior,
    )


def _bootstrap(
    w: np.ndarray,
    t: np.ndarray,
    *,
    resamples: int,
    seed: int,
    prior: float,
    initial: np.ndarray,
) -> tuple[np.ndarray, int]:
    n = len(w)
    # Distinct outcomes: each ordered win (i, j) and each unordered tie {i, j}.
    cells: list[tuple[str, int, int]] = []
    counts: list[float] = []
    for i in range(n):
        for j in range(n):
            if w[i, j]:
                cells.append(("w", i, j))
                counts.append(w[i, j])
            if i < j and t[i, j]:
                cells.append(("t", i, j))
                counts.append(t[i, j])
    total = int(sum(counts))
    probs = np.asarray(counts) / total
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, probs, size=resamples)
    samples = []
    failed = 0
    for draw in draws:
        matrix = np.zeros((n, n))
        for (kind, i, j), c in zip(cells, draw, strict=True):
            if kind == "w":
                matrix[i, j] += c
            else:
                matrix[i, j] += c / 2.0
                matrix[j, i] += c / 2.0
        try:
            samples.append(fit_strengths(matrix, prior=prior, initial=initial))
        except NotRankable:
            failed += 1
    return np.asarray(samples), failed
