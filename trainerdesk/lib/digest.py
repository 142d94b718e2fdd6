"""The one digest of "which rows went into this number" (no Django imports).

Canonical line format: each row's values as `str()`, joined by one TAB, each line ended by
one LF, UTF-8; the digest is the sha256 hex of those bytes in the caller's row order (sort
first when the order is not already fixed). Agreement reports hash `annotation id<TAB>
updated_at` (updated_at from `jsonutil.iso_utc`, so SQLite and PostgreSQL agree),
scorecards the same, label-error runs `item id<TAB>label`, gold snapshots `item id<TAB>
annotation id`.

Gold snapshots were first stored without the LF after the last line; `terminated=False`
reproduces those bytes so the digests already stored still match a recomputation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any


class LineDigest:
    """Incremental form, for rows read page by page."""

    def __init__(self, *, terminated: bool = True) -> None:
        self._hash = hashlib.sha256()
        self._terminated = terminated
        self._first = True

    def add(self, *values: Any) -> None:
        line = "\t".join(str(v) for v in values)
        if self._terminated:
            self._hash.update(f"{line}\n".encode())
        else:
            self._hash.update((line if self._first else f"\n{line}").encode())
        self._first = False

    def add_lines(self, lines: Iterable[str]) -> None:
        """Lines already in the canonical format, each ended by its LF (built by the
        database for a million rows: str() and the join per row cost seconds there)."""
        if not self._terminated:
            raise ValueError("add_lines() writes terminated lines only")
        self._hash.update("".join(lines).encode())
        self._first = False

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def lines_digest(rows: Iterable[Sequence[Any]], *, terminated: bool = True) -> str:
    digest = LineDigest(terminated=terminated)
    for row in rows:
        digest.add(*row)
    return digest.hexdigest()
