"""Streaming import readers and export writers for items.

Pure Python (no Django) so imports and exports can be tested and benchmarked in isolation.
Readers iterate the file and never hold more than one item; writers are generators of bytes
chunks so a StreamingHttpResponse can send them as they are produced.

Answer formats assumed for the Label Studio mapping (keyed by field name in an answer dict):
choice -> str (or list[str] when "multiple"); spans -> [{"start", "end", "label", "text"?}];
relations -> [{"from", "to", "label"}] (indexes into the spans list); boxes ->
[{"x", "y", "width", "height", "label"}] in percent; rating -> int, or {criterion: int}, or
[{criterion: int} per response] when per_response; text -> str; pairwise ->
{"preferred": 0 | 1 | "tie", "strength": int?}; ranking -> [response index, ...].
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from trainerdesk.lib import jsonlimits

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


def detect_format(filename: str) -> str:
    ext = filename[filename.rfind(".") :].lower() if "." in filename else ""
    try:
        return _EXTENSION_FORMATS[ext]
    except KeyError:
        supported = ", ".join(_EXTENSION_FORMATS)
        raise FormatError(f'unsupported file type "{filename}": use one of {supported}') from None


def read_items(
    fp: BinaryIO, fmt: str, *, fields: list[dict], max_item_bytes: int = 1_048_576
) -> Iterator[Row | RowError]:
    # Not a generator itself, so an unknown format fails at the call rather than on first next().
    if fmt == "jsonl":
        return _read_jsonl(fp, max_item_bytes)
    if fmt == "csv":
        return _read_csv(fp, max_item_bytes, fields)
    if fmt == "labelstudio":
        return _read_labelstudio(fp, fields, max_item_bytes)
    raise FormatError(f'unknown format "{fmt}": use one of {", ".join(FORMATS)}')


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
        if type(obj) is not dict:
            yield RowError(lineno, f"line must be a JSON object, got {_show(obj)}")
            continue
        # Fast path: a flat object with no reserved keys is the whole item.
        if (
            "data" not in obj
            and "external_id" not in obj
            and "priority" not in obj
            and "reference" not in obj
            and "gold" not in obj
        ):
            yield Row(lineno, obj)
            continue
        try:
            yield _jsonl_row(lineno, obj)
        except _BadField as e:
            yield RowError(lineno, str(e))


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


# --- CSV -----------------------------------------------------------------------------------


class _Lines:
    """Decodes one physical line at a time so a bad byte is reported at its exact line."""

    __slots__ = ("fp", "lineno")

    def __init__(self, fp: BinaryIO) -> None:
        self.fp, self.lineno = fp, 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.fp:
            self.lineno += 1
            if self.lineno == 1 and raw.startswith(_BOM):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise FormatError(f"not UTF-8 at line {self.lineno}, byte {e.start + 1}") from None


def _read_csv(fp: BinaryIO, limit: int, fields: list[dict] = ()) -> Iterator[Row | RowError]:
    # After the csv module rejects an over-long cell it has lost track of quoting, so rows after
    # it would be garbage. Give it generous headroom (the cap is process-wide, so only raise it):
    # ordinary oversized rows then become clean RowErrors and only absurd ones stop the file.
    hard_cap = limit * _CSV_CELL_HEADROOM
    if csv.field_size_limit() < hard_cap:
        csv.field_size_limit(hard_cap)
    reader = csv.reader(iter(_Lines(fp)))
    header: list[str] | None = None
    data_cols: list[tuple[str, int]] = []
    id_col = priority_col = None
    width = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            if "field limit" in str(e):
                raise FormatError(
                    f"line {start}: a cell is over {hard_cap:,} characters; cannot read further"
                ) from None
            if header is None:
                raise FormatError(f"CSV header at line {start}: {e}") from None
            yield RowError(start, f"invalid CSV: {e}")
            continue
        if not cells:
            continue
        if header is None:
            header = [name.strip() for name in cells]
            _check_header(header)
            if _ls_module().is_min_layout(header):
                rows = _csv_dicts(reader, header)
                yield from _ls_module().read_min_rows(rows, list(fields), limit, from_csv=True)
                return
            meta = {name: i for i, name in enumerate(header) if name in CSV_RESERVED}
            data_cols = [
                (name, i)
                for i, name in enumerate(header)
                if name not in meta and not name.startswith(EXPORT_COLUMN_PREFIXES)
            ]
            id_col, priority_col = meta.get("external_id"), meta.get("priority")
            gold_cols = {k: meta[k] for k in ("gold", "reference", "gold_explanation") if k in meta}
            width = len(header)
            continue
        if len(cells) != width:
            yield RowError(start, f"row has {len(cells)} cells, expected {width} as in the header")
            continue
        size = sum(map(len, cells))
        # Characters undercount UTF-8 bytes by at most 4x, so only encode when it could matter.
        if size * 4 > limit and (size := sum(len(c.encode()) for c in cells)) > limit:
            yield RowError(start, _too_big(size, limit))
            continue
        external_id = (cells[id_col] or None) if id_col is not None else None
        priority = 0
        if priority_col is not None and (text := cells[priority_col].strip()):
            try:
                priority = int(text)
            except ValueError:
                yield RowError(start, f'field "priority": must be an integer, got "{text}"')
                continue
        row = Row(start, {name: cells[i] for name, i in data_cols}, external_id, priority)
        if gold_cols:
            try:
                row = _csv_gold(row, {k: cells[i] for k, i in gold_cols.items()})
            except _BadField as e:
                yield RowError(start, str(e))
                continue
        yield row
    if header is None:
        raise FormatError("CSV file is empty: line 1 should be a header row")


def _csv_dicts(reader: Any, header: list[str]) -> Iterator[tuple[int, dict]]:
    """(line, {column: cell}) per row, for readers that want the row by column name."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise FormatError(f"line {start}: invalid CSV: {e}") from None
        if cells:
            yield start, dict(zip(header, cells, strict=False))


def _csv_gold(row: Row, cells: dict[str, str]) -> Row:
    """The gold columns: "gold" (true/false), "reference" (the answer as JSON),
    "gold_explanation" (text)."""
    text = cells.get("reference", "").strip()
    if text:
        try:
            row.reference = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise _BadField(f'field "reference": invalid JSON: {e.msg}') from None
    return _with_gold(
        row, {"gold": cells.get("gold"), "gold_explanation": cells.get("gold_explanation") or None}
    )


def _check_header(header: list[str]) -> None:
    empty = [str(i) for i, name in enumerate(header, 1) if not name]
    if empty:
        raise FormatError(f"CSV header at line 1: column(s) {', '.join(empty)} have no name")
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        if name in seen:
            raise FormatError(
                f'CSV header at line 1: columns {seen[name]} and {i} are both named "{name}"'
            )
        seen[name] = i


# --- Label Studio JSON ---------------------------------------------------------------------


def _read_labelstudio(fp: BinaryIO, fields: list[dict], limit: int) -> Iterator[Row | RowError]:
    head = fp.read(4096)
    if head.startswith(_BOM):
        head = head[3:]
    while head and not head.lstrip():
        head = fp.read(4096)
    first = head.lstrip()[:1]
    if first != b"[":
        found = {b"": "an empty file", b"{": "an object"}.get(
            first, f'"{first.decode(errors="replace")}"'
        )
        raise FormatError(
            f"Label Studio JSON must be an array of tasks at the top level, found {found}"
        )
    try:
        tasks = _ls_tasks(head, fp, limit)
        for index, task in tasks:
            if isinstance(task, RowError):
                yield task
                continue
            if index == 1 and isinstance(task, dict) and _ls_module().is_min_layout(task):
                # JSON_MIN: one row per annotation, grouped back into tasks.
                yield from _ls_module().read_min_rows(
                    itertools.chain([(1, task)], tasks), fields, limit
                )
                break
            yield _ls_row(index, task, fields, limit)
    except jsonlimits.StructureError as e:
        raise FormatError(f"{e} (task {e.index})") from None


def _ls_tasks(head: bytes, fp: BinaryIO, limit: int) -> Iterator[tuple[int, Any]]:
    """(index, parsed task), or (index, RowError) for a task over the size or depth limit.

    The raw text may be indented, so it gets twice the limit before it is parsed; the
    parsed task is then measured compactly (_ls_row). Nothing bigger is ever held, and
    nesting is bounded before any parser sees it (see lib/jsonlimits for why)."""
    for element in jsonlimits.iter_array(_chunks(head, fp), max_bytes=2 * limit):
        index = element.index
        if element.data is None:
            problem = (
                f"nested more than {jsonlimits.MAX_DEPTH} levels deep"
                if element.too_deep
                else _too_big(element.size, limit)
            )
            yield index, RowError(index, f"task {index} (line {element.line}): {problem}")
            continue
        try:
            yield index, orjson.loads(element.data)
        except orjson.JSONDecodeError as e:
            raise FormatError(
                f"invalid JSON at task {index} (line {element.line}): {e.msg}"
            ) from None


def _chunks(head: bytes, fp: BinaryIO) -> Iterator[bytes]:
    yield head
    while chunk := fp.read(_CHUNK_BYTES):
        yield chunk


def _ls_row(index: int, task: Any, fields: list[dict], limit: int) -> Row | RowError:
    if not isinstance(task, dict):
        return RowError(index, f"task {index}: must be an object, got {_show(task)}")
    try:
        if (size := len(orjson.dumps(task))) > limit:
            return RowError(index, f"task {index}: {_too_big(size, limit)}")
        if "data" not in task:
            return Row(index, task)
        data = task["data"]
        if not isinstance(data, dict):
            raise _BadField(f'field "data": must be an object, got {_show(data)}')
        # "meta" carries what an LS task has no slot for, so our own exports round-trip.
        meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
        external_id = _external_id(meta.get("external_id", task.get("id")))
        annotations = []
        ls = _ls_module()
        for ann in task.get("annotations") or ():
            if not isinstance(ann, dict):
                raise _BadField(f'field "annotations": must be objects, got {_show(ann)}')
            ls.keep_image_sizes(data, [ann.get("result")], fields)
            annotations.append(
                {
                    "answer": ls_result_to_answer(ann.get("result") or [], fields),
                    "annotator": ls.annotator_from(ann.get("completed_by")),
                    "created_at": _opt_str(ann.get("created_at")),
                    "lead_time": _opt_float(ann.get("lead_time")),
                    "skipped": bool(ann.get("was_cancelled")),
                }
            )
        predictions = []
        skipped_ids = False
        for pred in task.get("predictions") or ():
            if ls.is_prediction_id(pred):
                skipped_ids = True  # LS "JSON" export: ids only, see labelstudio.py
                continue
            if not isinstance(pred, dict):
                raise _BadField(f'field "predictions": must be objects, got {_show(pred)}')
            ls.keep_image_sizes(data, [pred.get("result")], fields)
            predictions.append(
                {
                    "answer": ls_result_to_answer(pred.get("result") or [], fields),
                    "model_version": _opt_str(pred.get("model_version")),
                    "score": _opt_float(pred.get("score")),
                }
            )
        row = Row(
            index,
            data,
            external_id,
            _priority(meta.get("priority")),
            task.get("reference", meta.get("reference")),
            annotations,
            predictions,
        )
        if skipped_ids:
            row.warnings = (ls.PREDICTION_IDS_WARNING,)
        # Gold may sit on the task or in its "meta" (our own exports put it there); Label
        # Studio's own form is an annotation marked ground_truth, whose answer is the reference.
        gold_keys = {k: task.get(k, meta.get(k)) for k in ("gold", "gold_explanation")}
        truth = next(
            (
                i
                for i, ann in enumerate(task.get("annotations") or ())
                if isinstance(ann, dict) and ann.get("ground_truth") is True
            ),
            None,
        )
        if truth is not None and row.reference is None:
            row.reference = annotations[truth]["answer"]
            gold_keys["gold"] = True
        return _with_gold(row, gold_keys)
    except (ValueError, TypeError) as e:
        return RowError(index, f"task {index}: {e}")


# --- Label Studio result conversion --------------------------------------------------------


def _criteria(f: dict) -> set[str] | None:
    criteria = f.get("criteria")
    if not criteria:
        return None
    return {c if isinstance(c, str) else str(c.get("name") or c.get("key")) for c in criteria}


def _first_label(value: dict, key: str, from_name: str) -> Any:
    labels = value.get(key)
    if not isinstance(labels, list):
        raise ValueError(f'region "{from_name}": value.{key} must be a list')
    return labels[0] if labels else None


def ls_result_to_answer(result: list[dict], fields: list[dict]) -> dict:
    by_name = {f["name"]: f for f in fields}
    answer: dict[str, Any] = {}
    spans: dict[str, list[tuple]] = {}  # field -> (start, end, label, text, region id)
    relations: list[dict] = []
    if not isinstance(result, list):
        raise ValueError(f"result must be a list, got {_show(result)}")
    for region in result:
        if not isinstance(region, dict):
            raise ValueError(f"result region must be an object, got {_show(region)}")
        if region.get("type") == "relation":
            relations.append(region)
            continue
        from_name = str(region.get("from_name"))
        value = region.get("value")
        if not isinstance(value, dict):
            raise ValueError(f'region "{from_name}": value must be an object')
        f = by_name.get(from_name)
        rating_key: list[str] = []
        if f is None:
            # Ratings address one criterion (and response) as "<field>.<criterion>[.<index>]".
            base, _, rest = from_name.partition(".")
            f = by_name.get(base)
            if f is None or f.get("type") != "rating" or not rest:
                raise ValueError(f'unknown from_name "{from_name}"')
            rating_key = rest.split(".")
            known = _criteria(f)
            if len(rating_key) > 2 or (known is not None and rating_key[0] not in known):
                raise ValueError(f'unknown from_name "{from_name}"')
        name, kind = f["name"], f.get("type")
        try:
            if kind == "choice":
                choices = value["choices"]
                answer[name] = (
                    list(choices) if f.get("multiple") else (choices[0] if choices else None)
                )
            elif kind == "spans":
                label = _first_label(value, "labels", from_name)
                spans.setdefault(name, []).append(
                    (value["start"], value["end"], label, value.get("text"), region.get("id"))
                )
            elif kind == "boxes":
                box = {k: value[k] for k in ("x", "y", "width", "height")}
                box["label"] = _first_label(value, "rectanglelabels", from_name)
                if value.get("rotation"):
                    box["rotation"] = value["rotation"]
                answer.setdefault(name, []).append(box)
            elif kind == "rating":
                rating = value["rating"]
                if not rating_key:
                    answer[name] = rating
                elif len(rating_key) == 1:
                    answer.setdefault(name, {})[rating_key[0]] = rating
                else:
                    # per_response: one {criterion: score} object per response, in order.
                    per = answer.setdefault(name, [])
                    i = int(rating_key[1])
                    per.extend({} for _ in range(i + 1 - len(per)))
                    per[i][rating_key[0]] = rating
            elif kind == "text":
                texts = value["text"]
                answer[name] = "\n".join(texts) if isinstance(texts, list) else texts
            elif kind == "pairwise":
                answer[name] = {"preferred": _LS_PAIRWISE[value["selected"]]}
                if value.get("strength") is not None:
                    answer[name]["strength"] = value["strength"]
            elif kind == "ranking":
                answer[name] = [int(i) for i in value["ranker"]["rank"]]
            else:
                raise ValueError(
                    f'region "{from_name}": field type "{kind}" has no Label Studio form'
                )
        except (KeyError, TypeError, IndexError) as e:
            raise ValueError(
                f'region "{from_name}": malformed value ({type(e).__name__}: {e})'
            ) from None
    ids: dict[str, dict[Any, int]] = {}
    for name, found in spans.items():
        found.sort(key=lambda s: (s[0], s[1], s[2] or ""))
        answer[name] = [
            {"start": s, "end": e, "label": lab} | ({"text": t} if t is not None else {})
            for s, e, lab, t, _ in found
        ]
        ids[name] = {rid: i for i, (*_, rid) in enumerate(found) if rid is not None}
    if relations:
        rel_field = next((f for f in fields if f.get("type") == "relations"), None)
        if rel_field is None:
            raise ValueError("relation region, but the schema has no relations field")
        span_ids = ids.get(rel_field.get("spans"), {})
        out = []
        for rel in relations:
            try:
                ends = span_ids[rel.get("from_id")], span_ids[rel.get("to_id")]
            except KeyError as e:
                raise ValueError(f"relation refers to unknown region id {e}") from None
            labels = rel.get("labels") or [None]
            out.append({"from": ends[0], "to": ends[1], "label": labels[0]})
        answer[rel_field["name"]] = out
    return answer


# Label Studio's pairwise tag names the sides; our answer names the response index.
_LS_PAIRWISE = {"left": 0, "right": 1, "none": "tie"}
_OUR_PAIRWISE = {v: k for k, v in _LS_PAIRWISE.items()}


def _region(from_name: str, to_name: str | None, type_: str, value: dict, **extra: Any) -> dict:
    return {"from_name": from_name, "to_name": to_name, "type": type_, "value": value, **extra}


def answer_to_ls_result(
    answer: dict, fields: list[dict], data: dict, sizes: dict | None = None
) -> list[dict]:
    """`sizes` ({data key: [width, height]}) adds Label Studio's original_width/height to
    boxes whose image size is known."""
    result: list[dict] = []
    span_ids: dict[str, list[str]] = {}
    # Relations go last because they point at span ids generated by the spans field.
    ordered = sorted(fields, key=lambda f: f.get("type") == "relations")
    for f in ordered:
        name, kind, source = f["name"], f.get("type"), f.get("source")
        value = answer.get(name)
        if value is None:
            continue
        region = functools.partial(_region, name, source)

        if kind == "choice":
            result.append(
                region("choices", {"choices": value if isinstance(value, list) else [value]})
            )
        elif kind == "spans":
            text = data.get(source) if isinstance(data.get(source), str) else None
            ids = span_ids[name] = []
            for span in value:
                rid = f"s{len(result)}"
                ids.append(rid)
                snippet = span.get("text")
                if snippet is None and text is not None:
                    snippet = text[span["start"] : span["end"]]
                v = {"start": span["start"], "end": span["end"], "labels": [span["label"]]}
                result.append(
                    region("labels", v | ({"text": snippet} if snippet is not None else {}), id=rid)
                )
        elif kind == "relations":
            ids = span_ids.get(f.get("spans"), [])
            for rel in value:
                if not (0 <= rel["from"] < len(ids) and 0 <= rel["to"] < len(ids)):
                    raise ValueError(
                        f'field "{name}": relation points at a span that does not exist'
                    )
                result.append(
                    {
                        "type": "relation",
                        "from_id": ids[rel["from"]],
                        "to_id": ids[rel["to"]],
                        "direction": "right",
                        "labels": [rel["label"]] if rel.get("label") is not None else [],
                    }
                )
        elif kind == "boxes":
            for box in value:
                v = {k: box[k] for k in ("x", "y", "width", "height")}
                v |= {"rotation": box.get("rotation", 0), "rectanglelabels": [box["label"]]}
                size = (sizes or {}).get(source)
                extra = {"original_width": size[0], "original_height": size[1]} if size else {}
                result.append(region("rectanglelabels", v, id=f"b{len(result)}", **extra))
        elif kind == "rating":
            if isinstance(value, list):  # per_response
                for i, scores in enumerate(value):
                    for criterion, score in scores.items():
                        result.append(
                            _region(f"{name}.{criterion}.{i}", source, "rating", {"rating": score})
                        )
                continue
            for criterion, score in value.items():
                if score is not None:
                    result.append(
                        _region(f"{name}.{criterion}", source, "rating", {"rating": score})
                    )
        elif kind == "text":
            result.append(region("textarea", {"text": [value]}))
        elif kind == "pairwise":
            v = {"selected": _OUR_PAIRWISE[value["preferred"]]}
            if value.get("strength") is not None:
                v["strength"] = value["strength"]
            # Label Studio's <Pairwise> names itself as to_name (it spans two objects).
            result.append(_region(name, name, "pairwise", v))
        elif kind == "ranking":
            result.append(region("ranker", {"ranker": {"rank": [str(i) for i in value]}}))
    return result


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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def write_csv(
    records: Iterable[dict],
    *,
    include_annotations: bool,
    fields: list[dict],
    data_keys: list[str],
    include_final: bool = True,
) -> Iterator[bytes]:
    """One row per annotation (an item nobody annotated gets one row with empty answer
    cells) or, without annotations, one row per item. Each annotation's answer is in
    ``answer.<field>`` with its author and times in ``annotation.*``; the item's final
    answer in ``final.<field>`` (repeated on each of its rows). The reader drops every
    column with these prefixes, so re-importing the file gives back the same items."""
    # The header must be known before the first row is streamed, so the caller supplies the
    # data keys (e.g. from a query over all items) instead of us discovering them.
    names = [f["name"] for f in fields]
    header = ["external_id", "priority", *data_keys]
    if include_annotations:
        header += [ANNOTATION_COLUMN_PREFIX + k for k in _ANNOTATION_COLUMNS]
        header += [ANSWER_COLUMN_PREFIX + n for n in names]
    if include_final:
        header += [FINAL_COLUMN_PREFIX + n for n in names]

    def rows() -> Iterator[list[str]]:
        yield header
        for rec in records:
            data = rec.get("data") or {}
            head = [rec.get("external_id") or "", str(rec.get("priority") or 0)]
            head += [_cell(data.get(k)) for k in data_keys]
            final = rec.get("final") or {}
            tail = [_cell(final.get(n)) for n in names] if include_final else []
            if not include_annotations:
                yield head + tail
                continue
            # Items nobody annotated still get a row, so the export lists every item.
            for ann in rec.get("annotations") or [{}]:
                answer = ann.get("answer") or {}
                meta = [
                    _cell(ann.get("annotator")),
                    ("true" if ann.get("skipped") else "false") if ann else "",
                    _cell(ann.get("lead_time")),
                    _cell(ann.get("created_at")),
                ]
                yield head + meta + [_cell(answer.get(n)) for n in names] + tail

    def chunks() -> Iterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        for row in rows():
            writer.writerow(row)
            if buf.tell() >= _CHUNK_BYTES:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
        if buf.tell():
            yield buf.getvalue().encode()

    return chunks()


def write_labelstudio(
    records: Iterable[dict], *, include_annotations: bool, fields: list[dict]
) -> Iterator[bytes]:
    ls = _ls_module()

    def tasks() -> Iterator[bytes]:
        yield b"["
        sep = b""
        for rec in records:
            data = rec.get("data") or {}
            sizes = rec.get("image_sizes")
            final_prediction = []
            if include_annotations:
                anns = [
                    {
                        "id": a.get("id"),
                        # Label Studio resolves only a user id or {"email": ...}.
                        "completed_by": ls.completed_by(a.get("annotator"), a.get("email")),
                        "result": answer_to_ls_result(a.get("answer") or {}, fields, data, sizes),
                        "was_cancelled": bool(a.get("skipped")),
                        "created_at": a.get("created_at"),
                        "updated_at": a.get("updated_at"),
                        "lead_time": a.get("lead_time"),
                    }
                    for a in rec.get("annotations") or []
                ]
            else:
                anns = []
                # Not an annotation: that would need an annotator, and nobody is "final".
                if rec.get("final") is not None:
                    final = {"answer": rec["final"], "model_version": ls.FINAL_MODEL_VERSION}
                    final_prediction = [final]
            predictions = [
                {
                    "result": answer_to_ls_result(p.get("answer") or {}, fields, data, sizes),
                    "model_version": p.get("model_version"),
                    "score": p.get("score"),
                }
                for p in [*final_prediction, *(rec.get("predictions") or [])]
            ]
            meta = {"external_id": rec.get("external_id"), "priority": rec.get("priority") or 0}
            task = {
                "id": rec.get("id"),
                "data": data,
                "meta": meta,
                "annotations": anns,
                "predictions": predictions,
            }
            yield sep + orjson.dumps(task)
            sep = b",\n"
        yield b"]\n"

    return _batched(tasks())


# --- COCO ----------------------------------------------------------------------------------


def write_coco(
    records: Iterable[dict],
    *,
    box_field: str,
    source: str,
    labels: list[str],
    every_annotation: bool = False,
    left_out: list[dict] | None = None,
) -> Iterator[bytes]:
    """COCO object-detection JSON of each item's final boxes answer, or with
    ``every_annotation`` one image entry per annotation (as Label Studio does), carrying
    ``trainerdesk_annotation_id`` and ``trainerdesk_annotator``.

    Boxes are stored in percent of the image (as Label Studio does); COCO wants pixels, so
    each image needs its size in ``rec["image_sizes"][source]``. An image whose size is not
    known, and an item with no final answer for the field (no answers yet, or the answers
    tie), is left out and listed under the top-level ``"skipped"`` key with the reason
    (and appended to ``left_out`` when given): never given a guessed size or written as an
    image with no objects. ``file_name`` is the item's image reference (upload:<sha256>,
    URL or server path); ``trainerdesk_item_id`` ties an image back to its item.
    Images stream out as they are read; annotations are buffered (encoded) because COCO puts
    them in a separate array.
    """
    categories = {label: i for i, label in enumerate(labels, 1)}
    skipped: list[dict] = [] if left_out is None else left_out

    def chunks() -> Iterator[bytes]:
        cats = [{"id": i, "name": n, "supercategory": "none"} for n, i in categories.items()]
        yield b'{"info":{"description":"TrainerDesk export","version":"1.0"},"licenses":[],'
        yield b'"categories":' + orjson.dumps(cats) + b',"images":['
        annotations: list[bytes] = []
        image_id = 0
        for rec in records:
            ref = (rec.get("data") or {}).get(source)
            size = (rec.get("image_sizes") or {}).get(source)
            if not size:
                skipped.append(
                    {"item_id": rec.get("id"), "file_name": ref, "reason": "image size unknown"}
                )
                continue
            width, height = size
            for boxes, extra in _answer_sets(rec, box_field, every_annotation, skipped, ref):
                image_id += 1
                image = {
                    "id": image_id,
                    "file_name": ref,
                    "width": width,
                    "height": height,
                    "trainerdesk_item_id": rec.get("id"),
                } | extra
                yield (b"," if image_id > 1 else b"") + orjson.dumps(image)
                for box in boxes:
                    bbox = box_to_pixels(box, width, height)
                    annotations.append(
                        orjson.dumps(
                            {
                                "id": len(annotations) + 1,
                                "image_id": image_id,
                                "category_id": categories.get(box["label"], 0),
                                "bbox": bbox,
                                "area": round(bbox[2] * bbox[3], 4),
                                "iscrowd": 0,
                                "segmentation": [],
                            }
                        )
                    )
        yield b'],"annotations":[' + b",".join(annotations) + b'],"skipped":'
        yield orjson.dumps(skipped) + b"}\n"

    return _batched(chunks())


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


def box_to_pixels(box: dict, width: int, height: int) -> list[float]:
    """[x, y, w, h] in pixels from a box in percent of a width x height image."""
    return [
        round(box["x"] * width / 100, 4),
        round(box["y"] * height / 100, 4),
        round(box["width"] * width / 100, 4),
        round(box["height"] * height / 100, 4),
    ]


def box_from_pixels(bbox: list[float], width: int, height: int, label: str) -> dict:
    x, y, w, h = bbox
    return {
        "x": x * 100 / width,
        "y": y * 100 / height,
        "width": w * 100 / width,
        "height": h * 100 / height,
        "label": label,
    }


def read_coco(doc: dict) -> dict[str, list[dict]]:
    """{file_name: boxes in percent} from a COCO document: what a COCO export says about each
    image, in the answer form the boxes field uses."""
    names = {c["id"]: c["name"] for c in doc["categories"]}
    images = {im["id"]: im for im in doc["images"]}
    out: dict[str, list[dict]] = {im["file_name"]: [] for im in doc["images"]}
    for ann in doc["annotations"]:
        im = images[ann["image_id"]]
        box = box_from_pixels(ann["bbox"], im["width"], im["height"], names[ann["category_id"]])
        out[im["file_name"]].append(box)
    return out


# --- CoNLL ---------------------------------------------------------------------------------

# CoNLL-2003 style tokens: punctuation is split from words ("Tuesday" "."), clitics too
# ("Germany" "'s"), while numbers, dates, hyphenated words and dotted abbreviations stay
# whole ("3,000", "1996-08-22", "U.S."). A regular expression rather than a tokenizer
# library: NLTK's Treebank tokenizer (what Label Studio uses) costs 3 s and 1,800 modules
# (NumPy among them) to import in a web process, for the same splits on CoNLL-like text.
_CLITIC = r"['’](?:s|m|d|ll|re|ve)\b"
_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}(?!\w)"  # U.S., e.g.
    rf"|{_CLITIC}"
    rf"|\w+(?:(?:[-.,/:]|['’](?!(?:s|m|d|ll|re|ve)\b))\w+)*"  # 3,000 1.5 O'Neil well-known
    r"|\.\.\.|--"
    r"|[^\w\s]",  # any other character on its own
    re.IGNORECASE,
)


def tokenize(text: str) -> list[tuple[int, int]]:
    """Character offsets [start, end) of each token (spans map to tokens by offsets)."""
    return [m.span() for m in _TOKEN.finditer(text)]


def bio_tags(tokens: list[tuple[int, int]], spans: Iterable[dict]) -> list[str]:
    tags = ["O"] * len(tokens)
    starts, ends = [t[0] for t in tokens], [t[1] for t in tokens]
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        # Tokens overlapping [start, end); tokens are sorted and disjoint so bisect finds them.
        lo, hi = bisect_right(ends, span["start"]), bisect_left(starts, span["end"])
        # CoNLL cannot nest: the earlier span keeps any token both spans claim.
        if lo >= hi or any(tags[i] != "O" for i in range(lo, hi)):
            continue
        tags[lo] = f"B-{span['label']}"
        for i in range(lo + 1, hi):
            tags[i] = f"I-{span['label']}"
    return tags


def write_conll(
    records: Iterable[dict],
    *,
    span_field: str,
    source: str,
    every_annotation: bool = False,
    left_out: list[dict] | None = None,
) -> Iterator[bytes]:
    """CoNLL-2003 columns (token, -X-, _, BIO tag) under Label Studio's header, one block per
    item's final spans or, with ``every_annotation``, one per annotation. Items with no
    final answer (no answers yet, or the answers tie) are left out and appended to
    ``left_out`` with the reason: an all-``O`` block would say "no entities here"."""

    def docs() -> Iterator[bytes]:
        yield b"-DOCSTART- -X- O\n\n"
        for rec in records:
            text = (rec.get("data") or {}).get(source)
            if not isinstance(text, str):
                continue
            tokens = tokenize(text)
            if not tokens:
                continue
            for spans, _who in _answer_sets(rec, span_field, every_annotation, left_out):
                tags = bio_tags(tokens, spans)
                lines = [
                    f"{text[s:e]} -X- _ {tag}\n" for (s, e), tag in zip(tokens, tags, strict=True)
                ]
                yield ("".join(lines) + "\n").encode()

    return _batched(docs())


def read_conll(fp: BinaryIO | Iterable[str]) -> Iterator[tuple[list[str], list[str]]]:
    tokens: list[str] = []
    tags: list[str] = []
    for raw in fp:
        line = (raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw).strip()
        if line.startswith("-DOCSTART-"):
            continue
        if not line:
            if tokens:
                yield tokens, tags
                tokens, tags = [], []
            continue
        parts = line.split()
        tokens.append(parts[0])
        tags.append(parts[-1])
    if tokens:
        yield tokens, tags
