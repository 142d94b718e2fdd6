"""Answer checks per field type (`_Answers`): each returns the normalised value and
records every problem with its path, for `LabelSchema.validate_answer`."""

from __future__ import annotations

import math
from typing import Any

from trainerdesk.workbench.schema.fields import (
    _EPS,
    Criterion,
    Field,
    _check_data,
    _given,
    _is_int,
    _type,
)


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
