"""Canonical JSON and content hashing (no Django imports)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def content_hash(data: Any) -> str:
    """A 128-bit hash of the canonical JSON form: same data in any key order, same hash."""
    return hashlib.blake2b(
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()
