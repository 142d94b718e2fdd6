"""The camt.053 fixture with real idempotency keys filled in (shared by the tests)."""

from __future__ import annotations

from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "camt053_returns.xml"


def statement(key_a: str = "KEYA", key_b: str = "KEYB", key_c: str = "KEYC") -> bytes:
    text = FIXTURE.read_text(encoding="utf-8")
    for name, key in (("{KEY_A}", key_a), ("{KEY_B}", key_b), ("{KEY_C}", key_c)):
        text = text.replace(name, key)
    return text.encode()
