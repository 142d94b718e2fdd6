"""CSV: reading items (with answer./gold columns) and writing one row per item or annotation."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

import orjson

from trainerdesk.workbench.formats.common import (
    _ANNOTATION_COLUMNS,
    _BOM,
    _CHUNK_BYTES,
    _CSV_CELL_HEADROOM,
    ANNOTATION_COLUMN_PREFIX,
    ANSWER_COLUMN_PREFIX,
    CSV_RESERVED,
    EXPORT_COLUMN_PREFIXES,
    FINAL_COLUMN_PREFIX,
    FormatError,
    Row,
    RowError,
    _BadField,
    _ls_module,
    _too_big,
    _with_gold,
)

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


def _read_csv(fp: BinaryIO, limit: int, fields: Sequence[dict] = ()) -> Iterator[Row | RowError]:
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
