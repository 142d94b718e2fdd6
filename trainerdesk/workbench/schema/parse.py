"""Parsing a schema document (dict or JSON text) into a `LabelSchema`, collecting every
problem with its path (`SchemaError`)."""

from __future__ import annotations

import difflib
import json
from typing import Any

from trainerdesk.lib import jsonlimits
from trainerdesk.workbench.schema.fields import (
    _ALL_FIELD_KEYS,
    _BASE_KEYS,
    _BOOL_DEFAULTS,
    _COLOR_RE,
    _DATA_KIND,
    _LABELLED,
    _NAME_RE,
    _TYPE_KEYS,
    TYPES,
    Criterion,
    Field,
    Label,
    SchemaError,
    _given,
    _is_int,
)
from trainerdesk.workbench.schema.hotkeys import _HOTKEY_RE, _assign_keys
from trainerdesk.workbench.schema.model import LabelSchema


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
