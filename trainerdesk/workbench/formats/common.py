"""What every format shares: rows and row errors, the column names, the field checks
the readers apply, and the writers' chunking. Pure Python (no Django).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

FORMATS = ("jsonl", "csv", "labelstudio")
EXPORT_FORMATS = ("jsonl", "csv", "labelstudio", "conll", "coco")
CONTENT_TYPES = {
    "coco": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "labelstudio": "application/json",
    "conll": "text/plain; charset=utf-8",
}
FILE_EXTENSIONS = {
    "jsonl": "jsonl",
    "csv": "csv",
    "labelstudio": "json",
    "conll": "conll",
    "coco": "coco.json",
}
_EXTENSION_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "labelstudio"}

# Export CSVs carry answers in "answer.<field>" columns; the reader drops them so that
# re-importing an export cannot turn last round's labels into item data.
ANSWER_COLUMN_PREFIX = "answer."
# Likewise the item's final answer and each annotation's author and times.
FINAL_COLUMN_PREFIX = "final."
ANNOTATION_COLUMN_PREFIX = "annotation."
_ANNOTATION_COLUMNS = ("annotator", "skipped", "lead_time", "created_at")
EXPORT_COLUMN_PREFIXES = (ANSWER_COLUMN_PREFIX, FINAL_COLUMN_PREFIX, ANNOTATION_COLUMN_PREFIX)
CSV_RESERVED = ("external_id", "priority", "gold", "reference", "gold_explanation")
_BOM = b"\xef\xbb\xbf"
_CHUNK_BYTES = 64 * 1024
_CSV_CELL_HEADROOM = 16


@dataclass(slots=True)
class Row:
    line: int
    data: dict
    external_id: str | None = None
    priority: int = 0
    reference: Any = None
    annotations: list[dict] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)
    # A gold row's reference is its gold answer (checked by the import, which needs the schema).
    gold: bool = False
    gold_explanation: str = ""
    # Things left out of the row on purpose, one message each (the import counts them and
    # reports each message once, not per row).
    warnings: tuple[str, ...] = ()  # a tuple: no allocation for the usual row without any
    # `data` as the JSON text the import stores (`jsonutil.dumps`), when the reader already
    # made it (read_objects encodes each item to measure it); None: the import encodes it.
    # Not compared: the same row read two ways is still the same row.
    encoded: str | None = field(default=None, compare=False, repr=False)


def _gold(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (
        "",
        "true",
        "false",
        "1",
        "0",
        "yes",
        "no",
    ):
        return value.strip().lower() in ("true", "1", "yes")
    raise _BadField(f'field "gold": must be true or false, got {_show(value)}')


def _gold_explanation(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadField(f'field "gold_explanation": must be a string, got {_show(value)}')
    return value


def _with_gold(row: Row, obj: dict) -> Row:
    row.gold = _gold(obj.pop("gold", None))
    row.gold_explanation = _gold_explanation(obj.pop("gold_explanation", None))
    return row


@dataclass(slots=True)
class RowError:
    line: int
    message: str


class FormatError(ValueError):
    """The whole file is unusable; the message names the position."""


class _BadField(ValueError):
    """Internal: a per-item field problem, turned into a RowError by the reader."""


def _ls_module():  # noqa: ANN202 - returns the module
    """workbench.labelstudio, which builds on this module (so it cannot be imported at the top)."""
    from trainerdesk.workbench import labelstudio as module

    return module


# --- field helpers shared by the readers ---------------------------------------------------


def _show(value: Any) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _too_big(size: int, limit: int) -> str:
    return f"item is {size:,} bytes, over the {limit:,}-byte limit"


def _external_id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _BadField(f'field "external_id": must be a string or integer, got {_show(value)}')


def _priority(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _BadField(f'field "priority": must be an integer, got {_show(value)}')


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _our_annotations(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadField(f'field "annotations": must be a list, got {_show(value)}')
    out = []
    for i, ann in enumerate(value, 1):
        answer = ann.get("answer") if isinstance(ann, dict) else None
        skipped = bool(ann.get("skipped")) if isinstance(ann, dict) else False
        # A skipped annotation legitimately has no answer.
        if answer is None and skipped:
            answer = {}
        if not isinstance(answer, dict):
            raise _BadField(
                f'field "annotations": item {i} must be an object with an "answer" object'
            )
        out.append(
            {
                "answer": answer,
                "annotator": _opt_str(ann.get("annotator")),
                "created_at": _opt_str(ann.get("created_at")),
                "lead_time": _opt_float(ann.get("lead_time")),
                "skipped": skipped,
            }
        )
    return out


def _our_predictions(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadField(f'field "predictions": must be a list, got {_show(value)}')
    out = []
    for i, pred in enumerate(value, 1):
        if not (isinstance(pred, dict) and isinstance(pred.get("answer"), dict)):
            raise _BadField(
                f'field "predictions": item {i} must be an object with an "answer" object'
            )
        out.append(
            {
                "answer": pred["answer"],
                "model_version": _opt_str(pred.get("model_version")),
                "score": _opt_float(pred.get("score")),
            }
        )
    return out


# --- writers -------------------------------------------------------------------------------


def _batched(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Coalesces tiny per-record chunks: one socket write per record is slow, one per file is
    not streaming."""
    buf: list[bytes] = []
    size = 0
    for chunk in chunks:
        buf.append(chunk)
        size += len(chunk)
        if size >= _CHUNK_BYTES:
            yield b"".join(buf)
            buf, size = [], 0
    if buf:
        yield b"".join(buf)


def _answer_sets(
    rec: dict, name: str, every_annotation: bool, left_out: list[dict] | None, ref: Any = None
) -> Iterator[tuple[list, dict]]:
    """(the field's answer, extra keys naming the annotation) for each answer a COCO or
    CoNLL export writes for this record: its final answer, or each annotation's.

    These formats cannot say "no answer", so an item without one is never written as an
    empty answer (which would read as "no objects / no entities here"): it is appended to
    `left_out` (when given) with the reason instead."""
    where = {"item_id": rec.get("id")} | ({"file_name": ref} if ref is not None else {})
    report = left_out.append if left_out is not None else lambda _entry: None
    if not every_annotation:
        final = rec.get("final") or {}
        if isinstance(final.get(name), list):
            yield final[name], {}
        elif rec.get("answered") == 0:
            report(where | {"reason": "no answers yet"})
        else:
            report(
                where
                | {
                    "reason": f'no final answer for "{name}" under the final label rule '
                    "(the answers tie, or reviewers rejected them); export every annotation "
                    "to get each one"
                }
            )
        return
    answered = [a for a in rec.get("annotations") or [] if not a.get("skipped")]
    if not answered:
        report(where | {"reason": "no answers yet"})
    for ann in answered:
        answer = (ann.get("answer") or {}).get(name)
        who = {"annotation_id": ann.get("id"), "annotator": ann.get("annotator")}
        if not isinstance(answer, list):
            report(where | who | {"reason": f'the annotation has no "{name}" answer'})
            continue
        yield answer, {f"trainerdesk_{k}": v for k, v in who.items()}
