"""Pieces the payout services share."""

from __future__ import annotations

import secrets

from trainerdesk.lib.errors import InvalidInput

MAX_NOTE = 2000


def new_idempotency_key() -> str:
    """A payout's key: "TD" + 32 hex digits (128 random bits), 34 characters, inside SEPA's
    35-character EndToEndId and its allowed characters."""
    return "TD" + secrets.token_hex(16)


def clean_note(note: str, *, required: bool, field: str = "note") -> str:
    text = (note or "").strip()
    if required and not text:
        raise InvalidInput([f"{field}: say why"])
    if len(text) > MAX_NOTE:
        raise InvalidInput([f"{field}: at most {MAX_NOTE} characters"])
    return text
