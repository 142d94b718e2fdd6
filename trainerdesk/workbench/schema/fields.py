"""The label schema's building blocks: field types and the keys each allows, the error
types, labels, criteria and fields, and the checks of item data every field reads."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

TYPES = ("choice", "spans", "relations", "pairwise", "ranking", "rating", "text", "boxes")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_COLOR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_LABELLED = frozenset({"choice", "spans", "relations", "boxes"})
# What each type reads from item data; choice may switch to "image" via source_kind.
_DATA_KIND = {"choice": "text", "spans": "text", "boxes": "image"} | dict.fromkeys(
    ("pairwise", "ranking", "rating"), "responses"
)
_BASE_KEYS = frozenset({"name", "type", "required"})
_TYPE_KEYS = {
    t: frozenset(keys.split())
    for t, keys in {
        "choice": "source labels multiple source_kind",
        "spans": "source labels allow_overlap",
        "relations": "labels spans",
        "pairwise": "source sources allow_tie strength",
        "ranking": "source",
        "rating": "source criteria per_response",
        "text": "source max_length",
        "boxes": "source labels",
    }.items()
}
_ALL_FIELD_KEYS = _BASE_KEYS.union(*_TYPE_KEYS.values())
_BOOL_DEFAULTS = dict.fromkeys(("multiple", "allow_overlap", "strength", "per_response"), False)
_BOOL_DEFAULTS["allow_tie"] = True
# Float rounding in the browser can push x + width a hair past 100.
_EPS = 1e-9


class _ErrorList(ValueError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


class SchemaError(_ErrorList):
    """The schema document is invalid; ``errors`` lists every problem, each led by its path."""


class AnswerError(_ErrorList):
    """An answer does not fit the schema or the item; ``errors`` names each offending path."""


@dataclass(frozen=True, slots=True)
class Label:
    value: str
    hotkey: str | None = None  # as written in the schema
    description: str = ""
    color: str | None = None
    key: str | None = None  # effective keyboard key, resolved by parse_schema


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    min: int
    max: int


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    source: str | None = None
    labels: tuple[Label, ...] = ()
    required: bool = False
    options: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def multiple(self) -> bool:
        return bool(self.options.get("multiple", False))

    @property
    def label_values(self) -> tuple[str, ...]:
        return tuple(label.value for label in self.labels)

    @property
    def data_kind(self) -> str | None:
        """Kind of item data the field reads, or None when it needs none (text, relations)."""
        if self.type == "choice":
            return self.options.get("source_kind", "text")
        return _DATA_KIND.get(self.type)


def _type(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "float", str: "string", list: "list", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _given(value: Any) -> str:
    """Describe a bad value so the message says what was actually sent."""
    if isinstance(value, (bool, int, float, str)):
        return f"{_type(value)} {json.dumps(value, ensure_ascii=False)[:40]}"
    return _type(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_data(value: Any, kind: str, path: str) -> list[str]:
    if kind in ("text", "image"):
        if not isinstance(value, str):
            return [f"{path}: must be a string, got {_type(value)}"]
        return [f"{path}: must be a non-empty URL or path"] if kind == "image" and not value else []
    if not isinstance(value, list):
        return [f"{path}: must be a list of responses, got {_type(value)}"]
    errors = [
        f'{path}[{i}]: must be a string or {{"text": str, "model": str}}, got {_given(r)}'
        for i, r in enumerate(value)
        if not _is_response(r)
    ]
    if len(value) < 2:
        errors.append(f"{path}: must hold at least 2 responses, got {len(value)}")
    return errors


def _is_response(r: Any) -> bool:
    if isinstance(r, dict):
        return isinstance(r.get("text"), str) and isinstance(r.get("model", ""), str)
    return isinstance(r, str)
