"""Matching's pure core: hard filters, then an explainable score (NumPy, no Django).

Rule "lower-bound-weighted", version 1:
- Hard requirements filter first: a language at a CEFR level or above (native ranks above
  C2), work authorisation for a country (an "EU" authorisation covers every EU member
  state) or for "EU" itself, and hours per week available at least those asked for. A
  candidate failing one is listed with the reason and never scored.
- Each measured requirement scores the candidate's evidence on the requirement's skill
  (task type and domain): accuracy by its 95 % interval's LOWER bound (the point value
  only where no interval was stored), agreement by its point value (the evidence stores
  no interval for it), lead time by its upper bound, which is the point value because no
  interval is stored, as min(1, limit / seconds). Evidence past its `valid_until` is
  missing; missing evidence contributes 0 and is listed as what the person needs.
- score = sum(weight * part) / sum(weight), in 0..1. It only orders: nobody is rejected by
  it (GDPR Art. 22); whether a threshold is met is shown beside each contribution.
- Ties: by candidate id, ascending, so the same inputs always give the same order.

Of several valid rows on one skill the newest carrying the measure counts (rows are
passed newest first): a retake replaces an earlier result rather than the best of many
attempts counting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

RULE = "lower-bound-weighted"
RULE_VERSION = 1

CEFR = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
# 0 means "does not speak it"; native ranks above C2.
LEVEL_RANK = {level: rank for rank, level in enumerate(CEFR, start=1)}

# The 27 EU member states (ISO 3166-1 alpha-2), reviewed 2026-12; pycountry has no EU list.
EU_MEMBERS = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)

MEASURED_KINDS = ("accuracy", "agreement", "lead_time")

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def authorisation_codes(region: str) -> tuple[str, ...]:
    """The authorisation entries that let a person work in `region`."""
    region = region.upper()
    if region in EU_MEMBERS:
        return (region, "EU")
    return (region,)


def authorised(entries: Iterable[str], region: str) -> bool:
    return bool(set(authorisation_codes(region)) & {e.upper() for e in entries})


# -- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HardRequirement:
    key: str
    kind: str  # language | work_authorisation | availability
    language: str = ""
    level: str = ""
    region: str = ""
    hours: int | None = None

    @property
    def min_rank(self) -> int:
        return LEVEL_RANK[self.level]


@dataclass(frozen=True)
class MeasuredRequirement:
    key: str
    kind: str  # accuracy | agreement | lead_time
    skill: int  # index into the opening's skills (task type, domain)
    threshold: float | None
    weight: int
    skill_label: str  # e.g. "Text classification / News and media"
    assessment: str | None  # title of the active assessment measuring the skill


@dataclass(frozen=True)
class Pool:
    """Candidates, one position each (sorted by id), with the columns the hard filters
    read: hours (NaN: not given), a language's level rank (0: none) and whether the
    person may work in a region."""

    ids: Ints
    hours: Floats
    language_rank: Mapping[str, npt.NDArray[np.int8]] = field(default_factory=dict)
    authorised: Mapping[str, Bools] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class EvidenceRows:
    """Valid evidence on the opening's skills, newest first. `owner` is the pool position
    (-1: not in the pool); NaN where a measure was not recorded."""

    owner: Ints
    skill: Ints
    accuracy: Floats
    low: Floats
    high: Floats
    agreement: Floats
    lead_time: Floats

    @classmethod
    def empty(cls) -> EvidenceRows:
        f = np.empty(0, dtype=np.float64)
        i = np.empty(0, dtype=np.int64)
        return cls(i, i, f, f, f, f, f)


# -- result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    pool: Pool
    hard: Sequence[HardRequirement]
    measured: Sequence[MeasuredRequirement]
    hard_fail: Bools  # (n, len(hard)): True where the candidate fails that requirement
    passed: Bools
    counted: Floats  # (n, m): the value the rule counts (bound or point), NaN missing
    low: Floats  # (n, m): interval shown (NaN where none)
    high: Floats
    point: Bools  # (n, m): True where the point value counted (no interval stored)
    part: Floats  # (n, m): 0..1 before weighting
    meets: Bools  # (n, m)
    score: Floats  # (n,), NaN for those failing a hard requirement
    order: Ints  # pool positions of those passing, best first

    @property
    def considered(self) -> int:
        return len(self.pool)

    @property
    def passed_hard(self) -> int:
        return int(self.passed.sum())

    def explain(self, position: int) -> dict:
        """One candidate's explanation: hard-filter reasons, or each requirement's
        contribution with its interval and what they would need."""
        return self.explain_many([position])[0]

    def explain_many(self, positions: Sequence[int] | npt.NDArray[np.integer]) -> list[dict]:
        """explain() of each position. The rows asked for are read out of the arrays
        once, as Python lists: a NumPy scalar read per value cost ~10 us an entry, and a
        stored ranking explains 400 (services/matching.ranking_results)."""
        at = np.asarray(positions, dtype=np.int64)
        ids = self.pool.ids[at].tolist()
        failing = self.hard_fail[at].tolist()
        counted = self.counted[at].tolist()
        low = self.low[at].tolist()
        high = self.high[at].tolist()
        point = self.point[at].tolist()
        part = self.part[at].tolist()
        meets = self.meets[at].tolist()
        score = self.score[at].tolist()
        total = sum(req.weight for req in self.measured) or 1
        out: list[dict] = []
        for k, position in enumerate(at.tolist()):
            failures = [
                hard_reason(req, self.pool, position)
                for j, req in enumerate(self.hard)
                if failing[k][j]
            ]
            if failures:
                out.append({"candidate": ids[k], "passed": False, "hard_failures": failures})
                continue
            parts = []
            for j, req in enumerate(self.measured):
                value = counted[k][j]
                missing = math.isnan(value)
                parts.append(
                    {
                        "requirement": req.key,
                        "kind": req.kind,
                        "skill": req.skill_label,
                        "weight": req.weight,
                        "threshold": req.threshold,
                        "counted": None if missing else round(value, 6),
                        "basis": None if missing else counted_basis(req.kind, point[k][j]),
                        "low": _opt(low[k][j]),
                        "high": _opt(high[k][j]),
                        "contribution": round(part[k][j] * req.weight / total, 6),
                        "meets": meets[k][j],
                        "needs": need_text(req, None if missing else value),
                    }
                )
            out.append(
                {
                    "candidate": ids[k],
                    "passed": True,
                    "score": round(score[k], 6),
                    "contributions": parts,
                }
            )
        return out


def _opt(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 6)


def counted_basis(kind: str, point: bool) -> str:
    if kind == "accuracy":
        return "point value (no interval stored)" if point else "lower bound of the 95% interval"
    if kind == "lead_time":
        return "point value (median seconds per item; no interval stored)"
    return "point value (no interval stored)"


def need_text(req: MeasuredRequirement, value: float | None) -> str | None:
    """What the person would need for this requirement, or None when it is met."""
    if value is None:
        if req.assessment:
            return f"take the {req.assessment} assessment"
        return f"evidence on {req.skill_label} (no assessment offers it yet)"
    if req.threshold is None:
        return None
    if req.kind == "lead_time":
        if value > req.threshold:
            return f"lead time {value:.1f} s > {req.threshold:g} s allowed"
        return None
    if value < req.threshold:
        name = "accuracy lower bound" if req.kind == "accuracy" else req.kind
        return f"{name} {value:.2f} < {req.threshold:.2f} required"
    return None


def hard_reason(req: HardRequirement, pool: Pool, position: int) -> dict:
    if req.kind == "language":
        rank = int(pool.language_rank[req.language][position])
        has = f"has {CEFR[rank - 1]}" if rank else "not listed"
        text = f"{req.language} at {req.level} or above required ({has})"
    elif req.kind == "work_authorisation":
        text = f"not authorised to work in {req.region}"
    else:
        hours = pool.hours[position]
        if np.isnan(hours):
            text = f"hours per week available not given ({req.hours} required)"
        else:
            text = f"{int(hours)} hours per week available < {req.hours} required"
    return {"requirement": req.key, "kind": req.kind, "reason": text}


# -- the rule ---------------------------------------------------------------------------


def hard_filter(pool: Pool, hard: Sequence[HardRequirement]) -> Bools:
    """(n, len(hard)) True where the candidate fails the requirement."""
    fail = np.zeros((len(pool), len(hard)), dtype=bool)
    for j, req in enumerate(hard):
        if req.kind == "language":
            fail[:, j] = pool.language_rank[req.language] < req.min_rank
        elif req.kind == "work_authorisation":
            fail[:, j] = ~np.asarray(pool.authorised[req.region], dtype=bool)
        elif req.kind == "availability":
            # NaN >= h is False: hours not given fail, with their own reason.
            fail[:, j] = ~(pool.hours >= (req.hours or 0))
        else:
            raise ValueError(f"kind: {req.kind!r} is not a hard requirement")
    return fail


def newest_per_owner(owner: Ints, usable: Bools, n: int) -> Ints:
    """For each pool position, the row index of its first (newest) usable row, -1 if none."""
    rows = np.flatnonzero(usable & (owner >= 0))
    chosen = np.full(n, -1, dtype=np.int64)
    if rows.size:
        owners, first = np.unique(owner[rows], return_index=True)
        chosen[owners] = rows[first]
    return chosen


def rank(
    pool: Pool,
    hard: Sequence[HardRequirement],
    measured: Sequence[MeasuredRequirement],
    evidence: EvidenceRows,
) -> Result:
    n, m = len(pool), len(measured)
    for req in measured:
        if req.kind not in MEASURED_KINDS:
            raise ValueError(f"kind: {req.kind!r} is not a measured requirement")
        if req.kind == "lead_time" and not req.threshold:
            raise ValueError(f"requirement {req.key}: a lead-time requirement needs a limit")
        if req.weight < 0:
            raise ValueError(f"requirement {req.key}: weight must not be negative")
    hard_fail = hard_filter(pool, hard)
    passed = np.asarray(~hard_fail.any(axis=1), dtype=bool)

    counted = np.full((n, m), np.nan)
    low = np.full((n, m), np.nan)
    high = np.full((n, m), np.nan)
    point = np.zeros((n, m), dtype=bool)
    part = np.zeros((n, m))
    meets = np.zeros((n, m), dtype=bool)
    for j, req in enumerate(measured):
        on_skill = evidence.skill == req.skill
        if req.kind == "accuracy":
            bound = np.where(np.isnan(evidence.low), evidence.accuracy, evidence.low)
        elif req.kind == "agreement":
            bound = evidence.agreement
        else:
            bound = evidence.lead_time
        chosen = newest_per_owner(evidence.owner, on_skill & ~np.isnan(bound), n)
        has = chosen >= 0
        rows = chosen[has]
        counted[has, j] = bound[rows]
        if req.kind == "accuracy":
            low[has, j] = evidence.low[rows]
            high[has, j] = evidence.high[rows]
            point[has, j] = np.isnan(evidence.low[rows])
        else:
            point[has, j] = True
        values = counted[:, j]
        if req.kind == "lead_time":
            limit = float(req.threshold or 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                part[:, j] = np.where(has, np.minimum(1.0, limit / np.maximum(values, 1e-9)), 0)
            meets[:, j] = has & (values <= limit)
        else:
            part[:, j] = np.where(has, np.clip(values, 0.0, 1.0), 0.0)
            meets[:, j] = has & (values >= (req.threshold if req.threshold is not None else -1))

    weights = np.array([req.weight for req in measured], dtype=np.float64)
    total = weights.sum()
    score = part @ weights / total if total > 0 else np.zeros(n)
    score = np.where(passed, score, np.nan)

    candidates = np.flatnonzero(passed)
    # lexsort: last key first; score descending, then candidate id ascending.
    order = candidates[np.lexsort((pool.ids[candidates], -score[candidates]))]
    return Result(
        pool,
        hard,
        measured,
        hard_fail,
        passed,
        counted,
        low,
        high,
        point,
        part,
        meets,
        score,
        order.astype(np.int64),
    )
