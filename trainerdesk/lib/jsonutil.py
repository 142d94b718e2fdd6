"""Canonical JSON and content hashing (no Django imports)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def content_hash(data: Any) -> str:
    """A 128-bit hash of the canonical JSON form: same data in any key order, same hash."""
    return hashlib.blake2b(
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


def db_json(value: Any) -> Any:
    """A JSON column's value as Python data: raw cursors hand JSON columns back as text on
    both databases, the ORM as data already."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def iso_utc(value: Any) -> str:
    """A stored timestamp as `datetime.isoformat()` of the UTC time, with its offset.

    SQLite hands back Django's UTC timestamps without an offset (as text, "YYYY-MM-DD
    HH:MM:SS[.ffffff]", or naive datetimes); PostgreSQL gives aware datetimes. Either way
    the result is the same string on both databases, which exports and digests rely on."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()
