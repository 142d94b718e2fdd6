"""Project label schemas: parse and validate the JSON document, then check items and answers.

Pure Python on purpose: the API layer, the importer and the annotation page all share it, and
it must stay testable without Django.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from trainerdesk.lib import jsonlimits

TYPES = ("choice", "spans", "relations", "pairwise", "ranking", "rating", "text", "boxes")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_COLOR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_HOTKEY_RE = re.compile(r"[a-z0-9]")
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


@dataclass(frozen=True, slots=True)
class LabelSchema:
    fields: tuple[Field, ...]
    # (data key, field, kind) for each data key some field reads; computed once because
    # validate_item runs for every imported row.
    _required: tuple[tuple[str, Field, str], ...] = dc_field(init=False, repr=False, compare=False)
    _virtual: dict[str, tuple[str, ...]] = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        required: dict[str, tuple[str, Field, str]] = {}
        for f in self.fields:
            for key in f.options.get("sources", ()):  # each one response's text
                required.setdefault(key, (key, f, "text"))
            if f.data_kind and f.source and "sources" not in f.options:
                required.setdefault(f.source, (f.source, f, f.data_kind))
        object.__setattr__(self, "_required", tuple(required.values()))
        virtual = {f.source: f.options["sources"] for f in self.fields if "sources" in f.options}
        object.__setattr__(self, "_virtual", virtual)

    def with_responses(self, data: Any) -> Any:
        """The item data plus, for a field reading responses from several keys (a Label
        Studio pairwise over two texts), those responses as one list under the field's
        source ("left+right"), which every reader of responses then uses as usual."""
        if not self._virtual or not isinstance(data, dict):
            return data
        extra = {
            source: [data.get(k) for k in keys]
            for source, keys in self._virtual.items()
            if any(data.get(k) is not None for k in keys)
        }
        return data | extra if extra else data

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(f.type for f in self.fields)

    @property
    def is_classification(self) -> bool:
        return all(f.type in ("choice", "text") for f in self.fields)

    def required_data(self) -> dict[str, str]:
        return {key: kind for key, _f, kind in self._required}

    def validate_item(self, data: dict) -> list[str]:
        if not isinstance(data, dict):
            return [f"data: must be an object, got {_type(data)}"]
        errors: list[str] = []
        for key, f, kind in self._required:
            value = data.get(key)
            if value is None:
                errors.append(f'data.{key}: required by field "{f.name}" ({f.type}) but missing')
            elif kind != "text" or not isinstance(value, str):  # the common case, checked inline
                errors += _check_data(value, kind, f"data.{key}")
        return errors

    def validate_answer(self, answer: Any, data: Any) -> dict:
        """Check an answer against the schema and the item; return it normalised."""
        if not isinstance(answer, dict):
            raise AnswerError([f"answer: must be an object, got {_type(answer)}"])
        check = _Answers(self.with_responses(data) if isinstance(data, dict) else {})
        if not isinstance(data, dict):
            check.err(f"data: must be an object, got {_type(data)}")
        names = [f.name for f in self.fields]
        for key in answer:
            if key not in names:
                check.err(f"{key}: unknown field (expected one of {', '.join(names)})")
        # Relations index into the normalised spans, so every other field goes first.
        for f in sorted(self.fields, key=lambda f: f.type == "relations"):
            if answer.get(f.name) is None:
                if f.required:
                    check.err(f"{f.name}: required")
                continue
            before = len(check.errors)
            result = getattr(check, f.type)(f, answer[f.name])
            check.done[f.name] = result if len(check.errors) == before else None
        if check.errors:
            raise AnswerError(check.errors)
        return {name: check.done[name] for name in names if name in check.done}

    def validate_prediction(self, answer: Any, data: dict, *, strict: bool = True) -> dict:
        """A model's prediction checked like an answer, except that it may leave any field
        out (a suggestion need not be complete). With strict=False the fields that do not
        fit are dropped instead of raising (for display: what was stored earlier)."""
        relaxed = LabelSchema(tuple(replace(f, required=False) for f in self.fields))
        if strict:
            return relaxed.validate_answer(answer, data)
        if not isinstance(answer, dict):
            return {}
        kept = {k: v for k, v in answer.items() if k in {f.name for f in self.fields}}
        while kept:
            try:
                return relaxed.validate_answer(kept, data)
            except AnswerError as exc:
                bad = {re.split(r"[.\[:]", e, maxsplit=1)[0] for e in exc.errors}
                if not bad & set(kept):
                    return {}
                kept = {k: v for k, v in kept.items() if k not in bad}
        return {}

    def to_dict(self) -> dict:
        return {"fields": [_field_to_dict(f) for f in self.fields]}


def _field_to_dict(f: Field) -> dict:
    out: dict[str, Any] = {"name": f.name, "type": f.type}
    if f.source is not None and "sources" not in f.options:
        out["source"] = f.source
    out["required"] = f.required
    for key, value in f.options.items():
        if key == "criteria":
            value = [asdict(c) for c in value]
        out[key] = list(value) if key == "sources" else value
    if f.labels:
        extras = ("hotkey", "description", "color")
        out["labels"] = [
            {"value": lb.value} | {k: getattr(lb, k) for k in extras if getattr(lb, k)}
            for lb in f.labels
        ]
    return out


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


class _Parser:
    """Collects every schema problem instead of stopping at the first one."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.hotkeys: dict[str, str] = {}  # hotkey -> the label that claimed it

    def err(self, message: str) -> None:
        self.errors.append(message)

    def keys(self, obj: dict, allowed: frozenset[str], path: str, ftype: str = "") -> None:
        for key in obj:
            if key in allowed:
                continue
            if ftype and key in _ALL_FIELD_KEYS:
                self.err(f"{path}.{key}: not allowed for {ftype} fields")
                continue
            hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            suggestion = f' (did you mean "{hint[0]}"?)' if hint else ""
            self.err(f"{path}.{key}: unknown key{suggestion}")

    def name(self, value: Any, path: str) -> str | None:
        if isinstance(value, str) and _NAME_RE.fullmatch(value):
            return value
        self.err(
            f"{path}: must be 1-64 letters, digits or _ not starting with a digit, "
            f"got {_given(value)}"
        )
        return None

    def opt_bool(self, raw: dict, key: str, default: bool, path: str) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.err(f"{path}.{key}: must be true or false, got {_given(value)}")
            return default
        return value

    def opt_int(self, raw: dict, key: str, default: int | None, path: str) -> int | None:
        if key not in raw and default is None:
            self.err(f"{path}.{key}: required")
        value = raw.get(key, default)
        if value is None or _is_int(value):
            return value
        self.err(f"{path}.{key}: must be an integer, got {_given(value)}")
        return None

    def labels(self, raw: Any, path: str) -> list[Label]:
        if not isinstance(raw, list) or not raw:
            self.err(f"{path}: must be a non-empty list, got {_given(raw)}")
            return []
        labels: list[Label] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            p = f"{path}[{i}]"
            item = {"value": item} if isinstance(item, str) else item
            if not isinstance(item, dict):
                self.err(f"{p}: must be a string or an object, got {_given(item)}")
                continue
            self.keys(item, frozenset({"value", "hotkey", "description", "color"}), p)
            value, hotkey, color = item.get("value"), item.get("hotkey"), item.get("color")
            description = item.get("description", "")
            if not isinstance(value, str) or not value.strip() or len(value) > 100:
                self.err(
                    f"{p}.value: must be a non-empty string of at most 100 characters, "
                    f"got {_given(value)}"
                )
                continue
            if value in seen:
                self.err(f'{p}.value: duplicate label "{value}" (also {path}[{seen[value]}])')
            seen.setdefault(value, i)
            if hotkey is not None:
                hotkey = self.hotkey(hotkey, f"{p}.hotkey", f'{p} ("{value}")')
            if not isinstance(description, str):
                self.err(f"{p}.description: must be a string, got {_given(description)}")
            if color is not None and not (isinstance(color, str) and _COLOR_RE.fullmatch(color)):
                self.err(f"{p}.color: must be #rgb or #rrggbb, got {_given(color)}")
            labels.append(Label(value, hotkey, description, color))
        return labels

    def hotkey(self, value: Any, path: str, owner: str) -> str | None:
        if not isinstance(value, str) or len(value) != 1:
            self.err(f"{path}: must be a single character, got {_given(value)}")
        elif not _HOTKEY_RE.fullmatch(value):
            self.err(f'{path}: must be a lowercase letter a-z or a digit 0-9, got "{value}"')
        elif value in self.hotkeys:
            self.err(f'{path}: "{value}" is already used by {self.hotkeys[value]}')
        else:
            self.hotkeys[value] = owner
            return value
        return None

    def sources(self, raw: dict, path: str) -> list[str]:
        """A pairwise field's responses under separate data keys, one text each."""
        value, p = raw["sources"], f"{path}.sources"
        if "source" in raw:
            self.err(f"{path}: give source (one list of responses) or sources, not both")
        if not isinstance(value, list) or len(value) < 2:
            self.err(f"{p}: must be a list of at least 2 data keys, got {_given(value)}")
            return []
        names = [self.name(v, f"{p}[{i}]") for i, v in enumerate(value)]
        if len(set(names)) != len(names):
            self.err(f"{p}: each data key may appear once")
        return [n for n in names if n] if all(names) and len(set(names)) == len(names) else []

    def criteria(self, raw: Any, path: str) -> tuple[Criterion, ...]:
        if not isinstance(raw, list) or not raw:
            self.err(f"{path}: must be a non-empty list, got {_given(raw)}")
            return ()
        out: dict[str, Criterion] = {}
        for i, item in enumerate(raw):
            p = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.err(f"{p}: must be an object, got {_given(item)}")
                continue
            self.keys(item, frozenset({"name", "min", "max"}), p)
            name = self.name(item.get("name"), f"{p}.name")
            lo, hi = self.opt_int(item, "min", 1, p), self.opt_int(item, "max", None, p)
            if name in out:
                self.err(f'{p}.name: duplicate criterion "{name}"')
            elif lo is not None and hi is not None and not lo < hi <= 100:
                self.err(f"{p}.max: must be greater than min ({lo}) and at most 100, got {hi}")
            elif name and lo is not None and hi is not None:
                out[name] = Criterion(name, lo, hi)
        return tuple(out.values())

    def field(self, raw: Any, path: str) -> Field | None:
        if not isinstance(raw, dict):
            self.err(f"{path}: must be an object, got {_given(raw)}")
            return None
        name = self.name(raw.get("name"), f"{path}.name")
        ftype = raw.get("type")
        if ftype not in TYPES:
            self.err(f"{path}.type: must be one of {', '.join(TYPES)}, got {_given(ftype)}")
            self.keys(raw, _ALL_FIELD_KEYS, path)
            return None
        allowed = _BASE_KEYS | _TYPE_KEYS[ftype]
        self.keys(raw, allowed, path, ftype)
        source = None
        sources = self.sources(raw, path) if "sources" in raw and "sources" in allowed else None
        if sources is not None:
            source = "+".join(sources) if sources else None
        elif "source" in allowed and "source" in raw:
            source = self.name(raw["source"], f"{path}.source")
        elif ftype in _DATA_KIND:
            self.err(f"{path}.source: required for {ftype} fields (the item data key it reads)")
        required = self.opt_bool(raw, "required", ftype in ("choice", "pairwise"), path)
        labels = self.labels(raw.get("labels"), f"{path}.labels") if ftype in _LABELLED else []
        options: dict[str, Any] = {
            key: self.opt_bool(raw, key, default, path)
            for key, default in _BOOL_DEFAULTS.items()
            if key in allowed
        }
        if sources:
            options["sources"] = tuple(sources)
        if ftype == "choice":
            kind = raw.get("source_kind", "image" if source == "image" else "text")
            if kind not in ("text", "image"):
                self.err(f'{path}.source_kind: must be "text" or "image", got {_given(kind)}')
            options["source_kind"] = kind
        elif ftype == "relations":
            options["spans"] = self.name(raw.get("spans"), f"{path}.spans")
        elif ftype == "rating":
            options["criteria"] = self.criteria(raw.get("criteria"), f"{path}.criteria")
        elif ftype == "text":
            limit = options["max_length"] = self.opt_int(raw, "max_length", 20000, path)
            if limit is not None and not 1 <= limit <= 1_000_000:
                self.err(f"{path}.max_length: must be 1..1000000, got {limit}")
        return Field(name, ftype, source, tuple(labels), required, options) if name else None

    def schema(self, doc: dict) -> LabelSchema:
        self.keys(doc, frozenset({"fields"}), "schema")
        raw_fields = doc.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            self.err(f"fields: must be a non-empty list, got {_given(raw_fields)}")
            raise SchemaError(self.errors)
        parsed: dict[str, tuple[int, Field]] = {}
        for i, raw in enumerate(raw_fields):
            f = self.field(raw, f"fields[{i}]")
            if f and f.name in parsed:
                first = parsed[f.name][0]
                self.err(f'fields[{i}].name: duplicate field "{f.name}" (also fields[{first}])')
            elif f:
                parsed[f.name] = (i, f)
        kinds: dict[str, Field] = {}
        for i, f in parsed.values():
            target = f.options.get("spans") if f.type == "relations" else None
            if target and (target not in parsed or parsed[target][1].type != "spans"):
                self.err(f'fields[{i}].spans: "{target}" is not a spans field of this schema')
            # One data key cannot be plain text for one field and responses for another.
            other = kinds.setdefault(f.source, f) if f.data_kind and f.source else f
            if other.data_kind != f.data_kind:
                self.err(
                    f'fields[{i}].source: data key "{f.source}" is read as {f.data_kind} '
                    f'here but as {other.data_kind} by "{other.name}"'
                )
        if self.errors:
            raise SchemaError(self.errors)
        return LabelSchema(_assign_keys([f for _, f in parsed.values()], self.hotkeys))


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


def parse_schema(doc: Any) -> LabelSchema:
    """Validate a schema document (dict or JSON text); SchemaError lists every problem found."""
    if isinstance(doc, str):
        # json.loads fails with RecursionError (not JSONDecodeError) on deep nesting.
        if (at := jsonlimits.deep_at(doc.encode())) is not None:
            raise SchemaError(
                [f"schema: nested more than {jsonlimits.MAX_DEPTH} levels deep at byte {at + 1}"]
            )
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise SchemaError([f"schema: invalid JSON: {exc.msg} at {where}"]) from None
    if not isinstance(doc, dict):
        raise SchemaError([f"schema: must be an object, got {_given(doc)}"])
    return _Parser().schema(doc)


def classification_schema(
    name: str, labels: list[str], *, source: str = "text", multiple: bool = False
) -> LabelSchema:
    """A one-field choice schema whose first nine labels get hotkeys 1-9."""
    items = [{"value": v} | ({"hotkey": str(i + 1)} if i < 9 else {}) for i, v in enumerate(labels)]
    field = {"name": name, "type": "choice", "source": source, "multiple": multiple}
    return parse_schema({"fields": [field | {"labels": items}]})


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


class _Answers:
    """Per-type answer checks; each method returns the normalised value and records errors."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.errors: list[str] = []
        self.done: dict[str, Any] = {}  # normalised answers; None marks a field that failed

    def err(self, message: str) -> None:
        self.errors.append(message)

    def source(self, f: Field) -> Any:
        """The item value a field reads, or None after recording why it cannot be used."""
        value, path = self.data.get(f.source or ""), f"data.{f.source}"
        problems = (
            [f"{path}: missing"] if value is None else _check_data(value, f.data_kind or "", path)
        )
        if problems:
            self.err(f"{f.name}: cannot be checked against the item ({problems[0]})")
            return None
        return value

    def label_ok(self, f: Field, value: Any, path: str) -> bool:
        if not isinstance(value, str):
            self.err(f"{path}: must be a label value, got {_given(value)}")
            return False
        if value not in f.label_values:
            self.err(
                f'{path}: unknown label "{value}" (expected one of {", ".join(f.label_values)})'
            )
            return False
        return True

    def ints(self, obj: dict, keys: tuple[str, ...], path: str) -> list[int] | None:
        for key in keys:
            if not _is_int(obj.get(key)):
                self.err(f"{path}.{key}: must be an integer, got {_given(obj.get(key))}")
        return [obj[k] for k in keys] if all(_is_int(obj.get(k)) for k in keys) else None

    def objects(self, f: Field, value: Any) -> list[tuple[str, dict]]:
        """(path, item) for each object in a list answer, reporting anything that is not one."""
        if not isinstance(value, list):
            self.err(f"{f.name}: must be a list, got {_type(value)}")
            return []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.err(f"{f.name}[{i}]: must be an object, got {_given(item)}")
        return [(f"{f.name}[{i}]", item) for i, item in enumerate(value) if isinstance(item, dict)]

    def choice(self, f: Field, value: Any) -> Any:
        if not f.multiple:
            self.label_ok(f, value, f.name)
            return value
        if not isinstance(value, list):
            self.err(f"{f.name}: must be a list of label values, got {_type(value)}")
            return None
        if f.required and not value:
            self.err(f"{f.name}: select at least one label")
        seen: set[str] = set()
        for i, item in enumerate(value):
            if self.label_ok(f, item, f"{f.name}[{i}]"):
                if item in seen:
                    self.err(f'{f.name}[{i}]: duplicate label "{item}"')
                seen.add(item)
        return [v for v in f.label_values if v in seen]  # schema order: equal answers compare equal

    def spans(self, f: Field, value: Any) -> Any:
        text = self.source(f)
        if text is None:
            return None
        spans: list[tuple[int, int, str, str]] = []
        for p, item in self.objects(f, value):
            offsets = self.ints(item, ("start", "end"), p)
            if not self.label_ok(f, item.get("label"), f"{p}.label") or offsets is None:
                continue
            start, end = offsets
            bad = [
                f"{p}.{k}: {v} is outside the text (length {len(text)})"
                for k, v in (("start", start), ("end", end))
                if not 0 <= v <= len(text)
            ]
            if not bad and start >= end:
                bad = [f"{p}: start ({start}) must be less than end ({end})"]
            if not bad and item.get("text", text[start:end]) != text[start:end]:
                bad = [
                    f"{p}.text: {_given(item['text'])} does not match the text at {start}..{end}"
                    f" ({_given(text[start:end])})"
                ]
            self.errors += bad
            if not bad:
                spans.append((start, end, item["label"], p))
        spans.sort()
        reach: tuple[int, int, str, str] | None = None  # the span reaching furthest right so far
        for j, span in enumerate(spans):
            if j and spans[j - 1][:3] == span[:3]:
                self.err(f"{span[3]}: duplicates {spans[j - 1][3]}")
                continue
            if reach and span[0] < reach[1] and not f.options["allow_overlap"]:
                self.err(f"{span[3]}: overlaps {reach[3]} ({reach[0]}..{reach[1]})")
            if reach is None or span[1] > reach[1]:
                reach = span
        return [{"start": s, "end": e, "label": lb, "text": text[s:e]} for s, e, lb, _ in spans]

    def relations(self, f: Field, value: Any) -> Any:
        target = f.options["spans"]
        if target in self.done and self.done[target] is None:
            return None  # the spans answer already failed; indexes into it mean nothing
        spans = self.done.get(target) or []
        found: dict[tuple[int, int, str], str] = {}
        for p, item in self.objects(f, value):
            ends = self.ints(item, ("from", "to"), p)
            if not self.label_ok(f, item.get("label"), f"{p}.label") or ends is None:
                continue
            bad = [
                f"{p}.{k}: {v} is not a span index of {target} ({len(spans)} spans)"
                for k, v in zip(("from", "to"), ends, strict=True)
                if not 0 <= v < len(spans)
            ]
            rel = (ends[0], ends[1], item["label"])
            if not bad and ends[0] == ends[1]:
                bad = [f"{p}: from and to must be different spans"]
            if not bad and rel in found:
                bad = [f"{p}: duplicates {found[rel]}"]
            self.errors += bad
            found.setdefault(rel, p)
        return [{"from": a, "to": b, "label": lb} for a, b, lb in sorted(found)]

    def pairwise(self, f: Field, value: Any) -> Any:
        if self.source(f) is None:
            return None
        if not isinstance(value, dict):
            self.err(f"{f.name}: must be an object, got {_type(value)}")
            return None
        preferred, strength = value.get("preferred"), value.get("strength")
        tie_ok, strength_on = f.options["allow_tie"], f.options["strength"]
        if preferred == "tie" and not tie_ok:
            self.err(f"{f.name}.preferred: a tie is not allowed for this field")
        elif preferred != "tie" and not (_is_int(preferred) and preferred in (0, 1)):
            expected = '0, 1 or "tie"' if tie_ok else "0 or 1"
            self.err(f"{f.name}.preferred: must be {expected}, got {_given(preferred)}")
        if not strength_on or preferred == "tie":
            if strength is not None:
                why = "is not used for a tie" if strength_on else "is not enabled for this field"
                self.err(f"{f.name}.strength: {why}")
            return {"preferred": preferred}
        if not (_is_int(strength) and strength in (1, 2, 3)):
            self.err(f"{f.name}.strength: must be 1, 2 or 3, got {_given(strength)}")
        return {"preferred": preferred, "strength": strength}

    def ranking(self, f: Field, value: Any) -> Any:
        responses = self.source(f)
        if responses is None:
            return None
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            self.err(f"{f.name}: must be a list of response indexes, got {_given(value)}")
            return None
        n = len(responses)
        if sorted(value) != list(range(n)):
            problems = [f"missing {v}" for v in range(n) if v not in value]
            problems += [f"unknown {v}" for v in sorted(set(value)) if not 0 <= v < n]
            problems += [f"duplicate {v}" for v in sorted(set(value)) if value.count(v) > 1]
            self.err(f"{f.name}: must be a permutation of 0..{n - 1} ({', '.join(problems)})")
        return list(value)

    def _scores(self, f: Field, value: Any, path: str) -> dict[str, int]:
        if not isinstance(value, dict):
            self.err(f"{path}: must be an object of criterion scores, got {_type(value)}")
            return {}
        criteria: tuple[Criterion, ...] = f.options["criteria"]
        names = [c.name for c in criteria]
        for key in value:
            if key not in names:
                self.err(f"{path}.{key}: unknown criterion (expected one of {', '.join(names)})")
        out = {}
        for c in criteria:
            score = value.get(c.name)
            if score is None:
                if f.required:  # an optional rating may be left partly filled in
                    self.err(f"{path}.{c.name}: required")
            elif not _is_int(score):
                self.err(f"{path}.{c.name}: must be an integer, got {_given(score)}")
            elif not c.min <= score <= c.max:
                self.err(f"{path}.{c.name}: {score} is outside {c.min}..{c.max}")
            else:
                out[c.name] = score
        return out

    def rating(self, f: Field, value: Any) -> Any:
        if not f.options["per_response"]:
            return self._scores(f, value, f.name)
        responses = self.source(f)
        if responses is None:
            return None
        if not isinstance(value, list) or len(value) != len(responses):
            got = len(value) if isinstance(value, list) else _type(value)
            self.err(
                f"{f.name}: must be a list of {len(responses)} ratings (one per response), "
                f"got {got}"
            )
            return None
        return [self._scores(f, item, f"{f.name}[{i}]") for i, item in enumerate(value)]

    def text(self, f: Field, value: Any) -> Any:
        limit = f.options["max_length"]
        if not isinstance(value, str):
            self.err(f"{f.name}: must be a string, got {_type(value)}")
        elif f.required and not value.strip():
            self.err(f"{f.name}: required")
        elif len(value) > limit:
            self.err(f"{f.name}: {len(value)} characters exceeds max_length {limit}")
        return value

    def boxes(self, f: Field, value: Any) -> Any:
        out = []
        for p, item in self.objects(f, value):
            before = len(self.errors)
            # Any: the values are only known to be numbers after the checks just below.
            box: dict[str, Any] = {k: item.get(k) for k in ("x", "y", "width", "height")}
            for key, v in box.items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    self.err(f"{p}.{key}: must be a number, got {_given(v)}")
            self.label_ok(f, item.get("label"), f"{p}.label")
            rotation = item.get("rotation", 0)
            if isinstance(rotation, bool) or rotation != 0:
                self.err(f"{p}.rotation: only 0 is supported, got {_given(rotation)}")
            if len(self.errors) > before:
                continue
            for key in ("x", "y"):
                if not 0 <= box[key] <= 100:
                    self.err(f"{p}.{key}: {box[key]} is outside the image (0..100)")
            for key in ("width", "height"):
                if box[key] <= 0:
                    self.err(f"{p}.{key}: must be greater than 0, got {box[key]}")
            for pos, size in (("x", "width"), ("y", "height")):
                if box[pos] + box[size] > 100 + _EPS:
                    edge = box[pos] + box[size]
                    self.err(f"{p}: {pos} + {size} = {edge:g} is outside the image (max 100)")
            if len(self.errors) == before:
                out.append(box | {"label": item["label"]})
        return out


# --- schemas for the new-project form's task types -------------------------------------------

# What each task type's one data key holds: text, an image reference, or a list of responses.
TASK_DATA = {
    "classification": "text",
    "multilabel": "text",
    "ner": "text",
    "image_classification": "image",
    "boxes": "image",
    "llm_compare": "responses",
    "llm_rank": "responses",
}
LABELLED_TASKS = frozenset(t for t in TASK_DATA if not t.startswith("llm_"))
LLM_CRITERIA = ("helpfulness", "correctness", "harmlessness")


def task_schema(
    task_type: str, *, source: str = "", labels: list[dict] | None = None, multiple: bool = False
) -> dict:
    """The schema document for one of the new-project form's task types; `labels` are
    schema label objects ({"value", "hotkey"?}), used by the labelled types. An empty
    source reads the key named after the type's data (text, image, responses)."""
    source = source or TASK_DATA[task_type]
    labels = list(labels or [])
    image = task_type == "image_classification"
    if task_type in ("classification", "multilabel", "image_classification"):
        field: dict[str, Any] = {"name": "label", "type": "choice", "source": source}
        if image:
            field["source_kind"] = "image"
        # `multiple` is the image type's own switch; the text types say it by their type.
        field["multiple"] = task_type == "multilabel" or (image and multiple)
        return {"fields": [field | {"labels": labels}]}
    if task_type in ("ner", "boxes"):
        name, ftype = ("entities", "spans") if task_type == "ner" else ("objects", "boxes")
        return {"fields": [{"name": name, "type": ftype, "source": source, "labels": labels}]}
    rationale = {"name": "rationale", "type": "text", "required": False}
    if task_type == "llm_rank":
        return {"fields": [{"name": "ranking", "type": "ranking", "source": source}, rationale]}
    if task_type == "llm_compare":
        criteria = [{"name": name, "min": 1, "max": 5} for name in LLM_CRITERIA]
        return {
            "fields": [
                {"name": "preference", "type": "pairwise", "source": source, "strength": True},
                {
                    "name": "ratings",
                    "type": "rating",
                    "source": source,
                    "per_response": True,
                    "criteria": criteria,
                },
                rationale,
                # A text field with a source is a rewrite box: it starts from the chosen answer.
                {"name": "ideal_response", "type": "text", "source": source, "required": False},
            ]
        }
    raise ValueError(f"task_type: unknown task type {task_type!r}")
