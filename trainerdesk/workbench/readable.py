"""One field's answer as a person reads it (pure Python): the reviewer's page shows the
lines, gold feedback joins them. One formatter, so a reviewer and an annotator never see the
same answer written two ways."""

from __future__ import annotations

import json
from typing import Any

from trainerdesk.workbench.schema import Field

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def answer_letter(i: int) -> str:
    """Response i as the annotation page names it: A, B, … then numbers."""
    return LETTERS[i] if i < len(LETTERS) else str(i + 1)


def _letters(indexes) -> str:
    return ", ".join(answer_letter(i) for i in indexes if isinstance(i, int))


def readable_answer(field: Field, value: Any, data: dict) -> list[str]:
    """Short lines a person can compare at a glance; an empty answer is one line "(none)"."""
    if value is None or value == [] or value == "":
        return ["(none)"]
    if field.type == "choice":
        return [", ".join(str(v) for v in value) if isinstance(value, list) else str(value)]
    if field.type == "text":
        return [str(value)]
    if field.type == "spans":
        text = data.get(field.source or "")
        lines = []
        for s in value if isinstance(value, list) else []:
            start, end = s.get("start"), s.get("end")
            snippet = text[start:end] if isinstance(text, str) and isinstance(start, int) else ""
            lines.append(f"{s.get('label')}: «{snippet}» ({start}–{end})")
        return lines or ["(none)"]
    if field.type == "pairwise" and isinstance(value, dict):
        preferred = value.get("preferred")
        if preferred is None:
            return ["(none)"]
        line = "tie" if preferred == "tie" else f"{_letters([preferred])} is better"
        if value.get("strength"):
            line += f" (strength {value['strength']})"
        return [line]
    if field.type == "ranking" and isinstance(value, list):
        return [f"best first: {_letters(value)}"]
    if field.type == "boxes" and isinstance(value, list):
        return [f"{b.get('label')} at ({b.get('x')}, {b.get('y')}) {b.get('w')}×{b.get('h')}"
                for b in value if isinstance(b, dict)] or ["(none)"]  # fmt: skip
    return [json.dumps(value, ensure_ascii=False)]
