"""`LabelSchema`: a parsed schema, what it reads from items, and answer validation."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from trainerdesk.workbench.schema.answers import _Answers
from trainerdesk.workbench.schema.fields import AnswerError, Field, _check_data, _type


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
