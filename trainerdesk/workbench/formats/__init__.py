"""Streaming import readers and export writers for items, one module per format (jsonl,
csv_format, labelstudio_json, coco, conll) over what they share (common); this package
chooses the reader and re-exports every module's public API (`formats.write_coco`).

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

from collections.abc import Iterator
from typing import BinaryIO

from trainerdesk.workbench.formats.coco import (
    box_from_pixels,
    box_to_pixels,
    read_coco,
    write_coco,
)
from trainerdesk.workbench.formats.common import (
    _EXTENSION_FORMATS,
    ANNOTATION_COLUMN_PREFIX,
    ANSWER_COLUMN_PREFIX,
    CONTENT_TYPES,
    CSV_RESERVED,
    EXPORT_COLUMN_PREFIXES,
    EXPORT_FORMATS,
    FILE_EXTENSIONS,
    FINAL_COLUMN_PREFIX,
    FORMATS,
    FormatError,
    Row,
    RowError,
)
from trainerdesk.workbench.formats.conll import (
    bio_tags,
    read_conll,
    tokenize,
    write_conll,
)
from trainerdesk.workbench.formats.csv_format import (
    _read_csv,
    write_csv,
)
from trainerdesk.workbench.formats.jsonl import (
    _read_jsonl,
    read_objects,
    write_jsonl,
)
from trainerdesk.workbench.formats.labelstudio_json import (
    _read_labelstudio,
    answer_to_ls_result,
    ls_result_to_answer,
    write_labelstudio,
)


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


__all__ = [
    "detect_format",
    "read_items",
    "read_objects",
    "ANNOTATION_COLUMN_PREFIX",
    "ANSWER_COLUMN_PREFIX",
    "CONTENT_TYPES",
    "CSV_RESERVED",
    "EXPORT_COLUMN_PREFIXES",
    "EXPORT_FORMATS",
    "FILE_EXTENSIONS",
    "FINAL_COLUMN_PREFIX",
    "FORMATS",
    "FormatError",
    "Row",
    "RowError",
    "write_jsonl",
    "write_csv",
    "answer_to_ls_result",
    "ls_result_to_answer",
    "write_labelstudio",
    "box_from_pixels",
    "box_to_pixels",
    "read_coco",
    "write_coco",
    "bio_tags",
    "read_conll",
    "tokenize",
    "write_conll",
]
