"""Dataset-version manifests: record hashes, version ids and diffs (no Django imports).

**Canonical JSON** (the bytes a record hash is taken over): the value serialised by
orjson with keys sorted at every level (`OPT_SORT_KEYS`), no whitespace anywhere (orjson
writes none), UTF-8 without escaping non-ASCII characters, integers as digits, floats in
orjson's shortest round-trip form, `null`/`true`/`false` lowercase. Lists keep their order,
so every list in a record is put in a fixed order here before hashing.

**Record** of one item (`record_payload`):
`{"item": content hash, "final": final answer | null, "annotators": [sorted ids],
"guideline_versions": [sorted distinct versions], "reviews": [{"annotation", "decision",
"reviewer", "fixed_answer"?} sorted by annotation id, then in review order]}`;
its hash is the sha256 hex of the canonical JSON.

**Version id**: `lib/digest.lines_digest` over the lines `item id<TAB>record hash`, items
in ascending integer id order: sha256 of "id\\thash\\n" lines, UTF-8. Nothing in it comes
from the database engine (no timestamps, no engine-specific text), so the same data gives
the same id on SQLite and PostgreSQL and on every re-run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from trainerdesk.lib.digest import LineDigest

if TYPE_CHECKING:
    from trainerdesk.quality import agreement


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def record_payload(
    *,
    content_hash: str,
    final: Any,
    annotator_ids: Iterable[Any],
    guideline_versions: Iterable[Any],
    reviews: Iterable[dict],
) -> dict:
    """The one record form (see the module docstring). Annotator ids are users' ids or
    "imported:<name>" for imported annotations; a mixed list sorts by its string form."""
    review_list = [
        {k: r[k] for k in ("annotation", "decision", "reviewer", "fixed_answer") if k in r}
        for r in reviews
    ]
    # Stable sort: reviews of one annotation keep their (oldest first) order.
    review_list.sort(key=lambda r: r.get("annotation") or 0)
    return {
        "item": content_hash,
        "final": final,
        "annotators": sorted(set(annotator_ids), key=lambda v: (isinstance(v, str), str(v))),
        "guideline_versions": sorted({v for v in guideline_versions if v is not None}),
        "reviews": review_list,
    }


def record_hash(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


class VersionDigest:
    """The version id, fed (item id, record hash) in ascending item id order."""

    def __init__(self) -> None:
        self._digest = LineDigest()
        self._last: int | None = None
        self.count = 0

    def add(self, item_id: int, rec_hash: str) -> None:
        if self._last is not None and item_id <= self._last:
            raise ValueError(f"item ids must ascend: {item_id} after {self._last}")
        self._last = item_id
        self._digest.add(item_id, rec_hash)
        self.count += 1

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def version_id(lines: Iterable[tuple[int, str]]) -> str:
    digest = VersionDigest()
    for item_id, rec_hash in sorted(lines):
        digest.add(item_id, rec_hash)
    return digest.hexdigest()


# --- diff --------------------------------------------------------------------------------

NONE_LABEL = "(none)"


@dataclass
class FieldDiff:
    """One answer field's changes between the versions, over the items both hold."""

    name: str
    transitions: Counter = field(default_factory=Counter)  # (old, new) -> items
    kappa: agreement.Result | None = None
    alpha: agreement.Result | None = None

    def as_dict(self) -> dict:
        return {
            "field": self.name,
            "transitions": [
                {"old": old, "new": new, "count": n}
                for (old, new), n in sorted(self.transitions.items())
            ],
            "cohen_kappa": self.kappa.as_dict() if self.kappa else None,
            "krippendorff_alpha": self.alpha.as_dict() if self.alpha else None,
        }


@dataclass
class Diff:
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    relabelled: list[int] = field(default_factory=list)  # final answer differs
    changed: list[int] = field(default_factory=list)  # same final, other parts of the record
    unchanged: int = 0
    fields: list[FieldDiff] = field(default_factory=list)

    def as_dict(self, *, limit: int | None = None) -> dict:
        def ids(values: list[int]) -> list[int]:
            return values if limit is None else values[:limit]

        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "relabelled": len(self.relabelled),
            "changed_otherwise": len(self.changed),
            "unchanged": self.unchanged,
            "added_ids": ids(self.added),
            "removed_ids": ids(self.removed),
            "relabelled_ids": ids(self.relabelled),
            "changed_otherwise_ids": ids(self.changed),
            "fields": [f.as_dict() for f in self.fields],
        }


def label_of(value: Any) -> str:
    """A field's value as a transition label: strings as they are, anything else (lists,
    spans, boxes) as canonical JSON, missing as "(none)"."""
    if value is None:
        return NONE_LABEL
    if isinstance(value, str):
        return value
    return canonical_json(value).decode()


def _merge(
    old: Iterable[tuple[int, str, Any]], new: Iterable[tuple[int, str, Any]]
) -> Iterator[tuple[int, tuple[str, Any] | None, tuple[str, Any] | None]]:
    """Merge-join two manifests sorted by item id: (id, old (hash, final), new ...)."""
    a, b = iter(old), iter(new)
    x, y = next(a, None), next(b, None)
    while x is not None or y is not None:
        if y is None or (x is not None and x[0] < y[0]):
            assert x is not None
            yield x[0], (x[1], x[2]), None
            x = next(a, None)
        elif x is None or y[0] < x[0]:
            yield y[0], None, (y[1], y[2])
            y = next(b, None)
        else:
            yield x[0], (x[1], x[2]), (y[1], y[2])
            x, y = next(a, None), next(b, None)


def _final_key(final: Any) -> str | None:
    """A final answer as comparable text: JSON text as read from the database is taken as
    it is (the services store canonical JSON; PostgreSQL's jsonb prints one normal form),
    a value is serialised canonically. None stays None."""
    if final is None:
        return None
    if isinstance(final, bytes):
        return final.decode()
    if isinstance(final, str):
        return final
    return canonical_json(final).decode()


def diff_manifests(
    old: Iterable[tuple[int, str, Any]], new: Iterable[tuple[int, str, Any]]
) -> Diff:
    """Compare two manifests of (item id, record hash, final answer), each in ascending
    item id order (as stored and read); finals as values or as their JSON text.
    Transitions count, per answer field, each item both versions hold: (old label, new
    label). Agreement (Cohen's κ, Krippendorff's α nominal) between the versions treats
    each version as a rater, over the items where the field is a single label in both.

    Per item only hashes and final texts are compared and the (old, new) text pair
    counted; the few distinct pairs are decoded at the end (a million items: most share a
    handful of answers)."""
    out = Diff()
    pair_counts: Counter = Counter()
    for item_id, a, b in _merge(old, new):
        if a is None:
            out.added.append(item_id)
            continue
        if b is None:
            out.removed.append(item_id)
            continue
        (hash_a, final_a), (hash_b, final_b) = a, b
        key_a, key_b = _final_key(final_a), _final_key(final_b)
        if hash_a == hash_b:
            out.unchanged += 1
        elif key_a != key_b and _decoded(key_a) != _decoded(key_b):
            out.relabelled.append(item_id)
        else:
            out.changed.append(item_id)
        pair_counts[(key_a, key_b)] += 1
    transitions: dict[str, Counter] = {}
    pairs: dict[str, list[tuple[str, str, int]]] = {}
    for (key_a, key_b), n in pair_counts.items():
        da, db = _decoded(key_a), _decoded(key_b)
        fa = da if isinstance(da, dict) else {}
        fb = db if isinstance(db, dict) else {}
        for name in fa.keys() | fb.keys():
            va, vb = fa.get(name), fb.get(name)
            transitions.setdefault(name, Counter())[(label_of(va), label_of(vb))] += n
            if isinstance(va, str) and isinstance(vb, str):
                pairs.setdefault(name, []).append((va, vb, n))
    for name in sorted(transitions):
        fd = FieldDiff(name=name, transitions=transitions[name])
        fd.kappa, fd.alpha = _agreement(pairs.get(name, []))
        out.fields.append(fd)
    return out


def _decoded(key: str | None) -> Any:
    return None if key is None else orjson.loads(key)


def _agreement(
    pairs: list[tuple[str, str, int]],
) -> tuple[agreement.Result, agreement.Result]:
    """pairs: (old label, new label, items) for the items with one label in both."""
    # numpy on first use: the services import this module, and the worker and pages that
    # never diff should not load it (DEVELOPERS.md, memory rules).
    import numpy as np

    from trainerdesk.quality import agreement

    categories = sorted({v for va, vb, _n in pairs for v in (va, vb)})
    index = {c: i for i, c in enumerate(categories)}
    counts = np.array([n for _a, _b, n in pairs], dtype=np.int64)
    a = np.repeat(np.array([index[p[0]] for p in pairs], dtype=np.int64), counts)
    b = np.repeat(np.array([index[p[1]] for p in pairs], dtype=np.int64), counts)
    kappa = agreement.cohen_kappa_codes(a, b, max(len(categories), 1))
    n = int(a.size)
    ratings = agreement.Ratings.from_arrays(
        np.concatenate([np.arange(n), np.arange(n)]),
        np.concatenate([np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)]),
        np.concatenate([a, b]),
        categories=categories,
        n_items=n,
        n_raters=2,
    )
    return kappa, agreement.krippendorff_alpha(ratings, "nominal")
