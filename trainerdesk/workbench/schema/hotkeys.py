"""Keyboard keys of labels: which hotkeys a schema may claim, and the digits 1-9 the first
choice field's labels get when they name none."""

from __future__ import annotations

import re
from dataclasses import replace

from trainerdesk.workbench.schema.fields import Field, Label

_HOTKEY_RE = re.compile(r"[a-z0-9]")


def _assign_keys(fields: list[Field], explicit: dict[str, str]) -> tuple[Field, ...]:
    # Only the first choice field gets digits, so keys never collide across fields; an explicit
    # hotkey anywhere wins over the positional digit.
    first_choice = next((f for f in fields if f.type == "choice"), None)

    def key(f: Field, pos: int, label: Label) -> str | None:
        digit = str(pos + 1)
        if label.hotkey or f is not first_choice or pos >= 9 or digit in explicit:
            return label.hotkey
        return digit

    return tuple(
        replace(f, labels=tuple(replace(lb, key=key(f, i, lb)) for i, lb in enumerate(f.labels)))
        for f in fields
    )
