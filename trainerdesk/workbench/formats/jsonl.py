"""JSON Lines: reading items one line at a time, writing one record per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson

from trainerdesk.lib import jsonlimits
from trainerdesk.workbench.formats.common import (
    _BOM,
    Row,
    RowError,
    _BadField,
    _batched,
    _external_id,
    _our_annotations,
    _our_predictions,
    _priority,
    _show,
    _too_big,
    _with_gold,
)

# --- JSONL ---------------------------------------------------------------------------------


def _read_jsonl(fp: BinaryIO, limit: int) -> Iterator[Row | RowError]:
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    deep_at, MAX_DEPTH = jsonlimits.deep_at, jsonlimits.MAX_DEPTH
    # readline(size) bounds memory even when a single "line" is gigabytes long.
    readline, size = fp.readline, limit + 2
    lineno = 0
    while raw := readline(size):
        lineno += 1
        if len(raw) == size and not raw.endswith(b"\n"):
            total = len(raw)
            while not raw.endswith(b"\n") and (raw := readline(size)):
                total += len(raw)
            # Measure like the normal path does: without the line terminator.
            yield RowError(lineno, _too_big(total - len(raw) + len(raw.rstrip(b"\r\n")), limit))
            continue
        if lineno == 1 and raw.startswith(_BOM):
            raw = raw[3:]
        line = raw.strip()
        if not line:
            continue
        if len(line) > limit:
            yield RowError(lineno, _too_big(len(line), limit))
            continue
        # orjson parses up to 1024 levels but cannot write back more than 254, so an item
        # between the two would fail only when stored; one limit for every reader.
        if (deep := deep_at(line)) is not None:
            yield RowError(lineno, f"nested more than {MAX_DEPTH} levels deep at column {deep + 1}")
            continue
        try:
            obj = loads(line)
        except decode_error as e:
            yield RowError(lineno, _json_error(line, e))
            continue
        yield _object_row(lineno, obj, "line", fresh=True)


def read_objects(objects: Iterable[Any], limit: int) -> Iterator[Row | RowError]:
    """Items already decoded (an API body's list), numbered from 1, read as JSONL lines
    are: the same row shapes, size and depth limits and error messages, without encoding
    each one to text and parsing it back (which was most of an API import's Python time)."""
    dumps, deep_at, MAX_DEPTH = orjson.dumps, jsonlimits.deep_at, jsonlimits.MAX_DEPTH
    for index, obj in enumerate(objects, start=1):
        try:
            encoded = dumps(obj)
        except orjson.JSONEncodeError as e:  # deeper than orjson writes (254 levels)
            yield RowError(index, f"item cannot be stored as JSON: {e}")
            continue
        if len(encoded) > limit:
            yield RowError(index, _too_big(len(encoded), limit))
        # deep_at's own first test, inline: an item with that few brackets cannot be deep
        # (the call was most of this loop's time for the usual flat item).
        elif (
            encoded.count(b"[") + encoded.count(b"{") > MAX_DEPTH
            and (deep := deep_at(encoded)) is not None
        ):
            yield RowError(index, f"nested more than {MAX_DEPTH} levels deep at column {deep + 1}")
        else:
            row = _object_row(index, obj, "item", fresh=False)
            if type(row) is Row and row.data is obj:
                # The whole object is the item's data (the usual flat item): its text is
                # what the import stores, so it is not encoded a second time there.
                row.encoded = encoded.decode()
            yield row


def _object_row(lineno: int, obj: Any, what: str, *, fresh: bool) -> Row | RowError:
    """fresh: the object is this reader's own (just decoded), so reading may take the
    reserved keys off it; a caller's object is copied first."""
    if type(obj) is not dict:
        return RowError(lineno, f"{what} must be a JSON object, got {_show(obj)}")
    # Fast path: a flat object with no reserved keys is the whole item.
    if (
        "data" not in obj
        and "external_id" not in obj
        and "priority" not in obj
        and "reference" not in obj
        and "gold" not in obj
    ):
        return Row(lineno, obj)
    try:
        return _jsonl_row(lineno, obj if fresh else dict(obj))
    except _BadField as e:
        return RowError(lineno, str(e))


def _json_error(line: bytes, e: orjson.JSONDecodeError) -> str:
    try:
        line.decode()
    except UnicodeDecodeError as u:
        return f"invalid UTF-8 at byte {u.start + 1}"
    return f"invalid JSON: {e.msg} at column {e.colno}"


def _jsonl_row(lineno: int, obj: dict) -> Row:
    if "data" in obj:
        data = obj["data"]
        if not isinstance(data, dict):
            raise _BadField(f'field "data": must be an object, got {_show(data)}')
        row = Row(
            lineno,
            data,
            _external_id(obj.get("external_id")),
            _priority(obj.get("priority")),
            obj.get("reference"),
            _our_annotations(obj.get("annotations")),
            _our_predictions(obj.get("predictions")),
        )
        return _with_gold(row, obj)
    external_id = _external_id(obj.pop("external_id", None))
    priority = _priority(obj.pop("priority", None))
    return _with_gold(Row(lineno, obj, external_id, priority, obj.pop("reference", None)), obj)


def write_jsonl(records: Iterable[dict], *, include_annotations: bool) -> Iterator[bytes]:
    def lines() -> Iterator[bytes]:
        keys = ("id", "external_id", "priority", "reference", "final")
        for rec in records:
            obj = {"data": rec["data"]} | {k: rec[k] for k in keys if rec.get(k) is not None}
            if include_annotations:
                obj["annotations"] = rec.get("annotations") or []
                obj["predictions"] = rec.get("predictions") or []
                if rec.get("returned"):  # answers reviewers sent back (quality app)
                    obj["returned"] = rec["returned"]
            yield orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)

    return _batched(lines())
