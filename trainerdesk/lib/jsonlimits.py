"""Nesting-depth and size limits on JSON text, checked before a parser builds anything.

Pure Python, no Django. Hand-written rather than a library because none of the parsers at
hand can enforce these limits: ijson builds a prefix path per event, so its memory grows
with the square of the nesting depth (200 kB of ``[`` took 22 GB); orjson stops at depth
1024 but parses whole documents only, and its ``dumps`` refuses data deeper than 254
levels, so an item between the two parses and then cannot be stored; Python's json raises
RecursionError. This module only tracks string state, bracket depth and the bytes of the
current array element, so its memory is bounded by the element size limit whatever the
input; parsing stays with orjson. Most elements are delimited by orjson itself (the fast
path in iter_array); the rest take a regex search per bracket outside strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate

import orjson

# Deepest nesting accepted, counting every array and object (a Label Studio file: the task
# list 1, a task 2, annotations 3, an annotation 4, result 5, a region 6, value 7, labels 8).
MAX_DEPTH = 64

# A string whole (when it ends in this chunk), or one structural byte; at the top-level
# array's own level commas matter too.
_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_TOP = re.compile(_STRING + rb'|[\[\]{}",]', re.S)
# Inside an element: everything up to the next bracket in one match (strings and all), so
# the Python loop runs once per bracket; group 1 is the bracket, or a quote that opens a
# string going on past this chunk, or empty at the chunk's end.
_INNER = re.compile(rb'(?:[^"\[\]{}]+|' + _STRING + rb')*+([\[\]{}"]|$)', re.S)
_IN_STRING = re.compile(rb'["\\]')
_OPENS_CONTAINER = re.compile(rb"\s*[\[{]")
_CLOSER = {ord("["): ord("]"), ord("{"): ord("}")}
_HEAD_BYTES = 256


def deep_at(doc: bytes, max_depth: int = MAX_DEPTH) -> int | None:
    """The 0-based offset of the first bracket nested deeper than max_depth, or None.

    Strings are skipped, so brackets inside them do not count; an unterminated string runs
    to the end (the parser will refuse the document anyway).
    """
    # Fast path for the usual document: it cannot be deep without that many brackets.
    if doc.count(b"[") + doc.count(b"{") <= max_depth:
        return None
    depth = 0
    for m in _INNER.finditer(doc):
        at = m.start(1)
        if at == len(doc) or doc[at] == 0x22:  # the end, or a string that never ends
            return None
        if doc[at] in b"[{":
            depth += 1
            if depth > max_depth:
                return at
        else:
            depth -= 1
    return None


# within_depth: every byte but the structural ones deleted by bytes.translate; the step
# each bracket makes to the depth; a string (no escaped quotes left by then) whole.
_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))
_PLAIN_STRING = re.compile(rb'"[^"]*"')


def within_depth(doc: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """For a document Python's json has parsed: True when `deep_at(doc, max_depth)` is None.

    Valid JSON in UTF-8 has backslashes and quotes only in and around strings, and
    no byte of a multi-byte character is ASCII, so its strings can be dropped in bulk:
    escaped backslashes and quotes removed, every other byte but quotes and brackets
    deleted, the now plain strings cut out, and the depth summed over what is left, all in
    C loops (about half of deep_at's time on an API body of 10,000 small items). Anything
    else (a NUL byte: UTF-16 or UTF-32 text, which json also reads) answers False, and the
    caller asks deep_at. Not for text that may be invalid JSON: there deep_at's byte-wise
    reading of strings is the rule, and this one may differ from it.
    """
    if doc.count(b"[") + doc.count(b"{") <= max_depth:
        return True
    if b"\x00" in doc:
        return False
    if b"\\" in doc:
        # Left to right, as a reader pairs them: a run of backslashes loses its pairs, and
        # a quote after an odd one (escaped) goes with the last of them.
        doc = doc.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = _PLAIN_STRING.sub(b"", doc.translate(None, _NOT_STRUCTURAL))
    if marks.count(b"[") + marks.count(b"{") <= max_depth:
        return True
    return max(accumulate(map(_STEP.__getitem__, marks))) <= max_depth


class StructureError(ValueError):
    """The text is not one JSON array: `line` is where the problem is seen, `index` the
    1-based number of the element being read then."""

    def __init__(self, message: str, *, line: int, index: int) -> None:
        super().__init__(message)
        self.line, self.index = line, index


@dataclass(slots=True)
class Element:
    """One element of the top-level array. `data` is its text, or None when it was over
    max_bytes (`size` is then its full size) or nested deeper than max_depth."""

    index: int
    line: int
    data: bytes | None
    size: int
    too_deep: bool = False


def iter_array(
    chunks: Iterable[bytes], *, max_depth: int = MAX_DEPTH, max_bytes: int
) -> Iterator[Element]:
    """Split a JSON array, read as chunks, into the text of its elements.

    Memory stays bounded by max_bytes (plus one chunk): an element over it, or deeper than
    max_depth, is measured and skipped, never kept. Raises StructureError when the text
    does not start with ``[``, brackets do not match, something follows the closing ``]``,
    or the text ends inside the array. Each element's text is left to a real parser.
    """
    if max_depth < 2:
        raise ValueError("max_depth must allow the array and one level in it")
    depth = 0
    started = ended = in_string = False
    stack = bytearray()  # expected closers, up to max_depth deep
    line = 1  # line number at offset `counted` of the current chunk
    index = 0  # elements emitted so far
    parts: list[bytes] = []
    size = 0  # bytes of the current element in earlier chunks
    overflow = too_deep = False
    head = b""  # the element's first bytes, kept even when it overflows (for its line)
    sep_line = 1  # line of the separator before the current element
    pos = 0
    fast = False  # at the start of an element, where the fast path may be tried
    for chunk in chunks:
        if not chunk:
            continue
        counted = 0
        end = len(chunk)
        # orjson reports positions in characters: equal to bytes only in ASCII text.
        view = memoryview(chunk) if chunk.isascii() else None
        el_start = 0 if started and not ended else end
        while pos < end:
            if ended:
                rest = chunk[pos:].lstrip()
                if rest:
                    line += chunk.count(b"\n", counted, end - len(rest))
                    raise StructureError(
                        f"unexpected text after the closing ] at line {line}",
                        line=line,
                        index=index,
                    )
                pos = end
                break
            if in_string:
                m = _IN_STRING.search(chunk, pos)
                if m is None:
                    pos = end
                elif chunk[m.start()] == 0x5C:  # backslash: skip the escaped byte
                    pos = m.start() + 2
                else:
                    in_string = False
                    pos = m.start() + 1
                continue
            if not started:
                stripped = chunk[pos:].lstrip()
                if not stripped:
                    pos = end
                    continue
                at = end - len(stripped)
                if stripped[0] != 0x5B:
                    line += chunk.count(b"\n", counted, at)
                    found = stripped[:1].decode(errors="replace")
                    raise StructureError(
                        f"expected [ at line {line}, found {found!r}",
                        line=line,
                        index=1,
                    )
                line += chunk.count(b"\n", counted, at)
                counted = at
                started, depth, sep_line, fast = True, 1, line, True
                pos = el_start = at + 1
                continue
            if depth > 1:
                # Inside an element: the hot loop, only strings and brackets matter here.
                for m in _INNER.finditer(chunk, pos):
                    at = m.start(1)
                    if at == end:
                        break
                    c = chunk[at]
                    if c == 0x22:  # the string goes on past this chunk
                        in_string = True
                        break
                    elif c == 0x5B or c == 0x7B:
                        depth += 1
                        if depth <= max_depth:
                            stack.append(_CLOSER[c])
                        elif not too_deep:
                            too_deep, parts = True, []
                    else:
                        if depth <= max_depth and (expected := stack.pop()) != c:
                            line += chunk.count(b"\n", counted, at)
                            raise StructureError(
                                f"{chr(c)} at line {line} where {chr(expected)} was expected",
                                line=line,
                                index=index + 1,
                            )
                        depth -= 1
                        if depth == 1:
                            break
                else:
                    pos = end
                    continue
                pos = m.end(1)
                continue
            at = -1
            if fast:
                # An element starting here may take the fast path: orjson finds its end (as
                # the "content after document" it refuses), C speed instead of a Python
                # step per bracket. Only for an object or array (for a scalar the exception
                # costs more than scanning) that ends in this chunk, in ASCII text, and
                # plainly within the limits; anything else is scanned.
                fast = False
                if (
                    view is not None
                    and pos == el_start
                    and not size
                    and _OPENS_CONTAINER.match(chunk, pos)
                ):
                    at = _end_of_value(view, pos)
                    if at >= 0 and (
                        chunk[at] not in b",]"
                        or at - el_start > max_bytes
                        or chunk.count(b"[", pos, at) + chunk.count(b"{", pos, at) >= max_depth
                    ):
                        at = -1
            if at >= 0:
                c = chunk[at]
                pos = at + 1
            else:
                m = _TOP.search(chunk, pos)
                if m is None:
                    pos = end
                    continue
                at = m.start()
                pos = m.end()
                c = chunk[at]
                if c == 0x22:  # a quote
                    if pos - at == 1:  # the string goes on past this chunk
                        in_string = True
                    continue
                if c == 0x5B or c == 0x7B:  # an element opens (max_depth >= 2 allows it)
                    depth = 2
                    stack.append(_CLOSER[c])
                    continue
                if c == 0x7D:
                    line += chunk.count(b"\n", counted, at)
                    raise StructureError(
                        f"}} at line {line} closes the top-level [", line=line, index=index + 1
                    )
            # A comma or the closing bracket of the top-level array: an element ends here.
            total = size + at - el_start
            text = None
            if not (overflow or too_deep) and total <= max_bytes:
                text = b"".join(parts) + chunk[el_start:at] if parts else chunk[el_start:at]
                first = text
            else:
                first = head or chunk[el_start : el_start + _HEAD_BYTES]
            body = first.lstrip()
            line += chunk.count(b"\n", counted, at)
            counted = at
            if text is not None and not body:
                if c == 0x5D and index == 0:  # "[]"
                    depth, ended = 0, True
                    continue
                raise StructureError(
                    f"a value is missing before the {chr(c)} at line {line}",
                    line=line,
                    index=index + 1,
                )
            index += 1
            yield Element(
                index,
                sep_line + first.count(b"\n", 0, len(first) - len(body)),
                text,
                total,
                too_deep,
            )
            parts, size, overflow, too_deep, head = [], 0, False, False, b""
            sep_line, el_start, fast = line, pos, True
            if c == 0x5D:
                depth, ended = 0, True
        # The chunk is used up: keep what belongs to the element being read.
        if started and not ended:
            piece = chunk[el_start:]
            if not head:
                head = piece[:_HEAD_BYTES]
            size += len(piece)
            if not (overflow or too_deep):
                if size > max_bytes:
                    overflow, parts = True, []
                else:
                    parts.append(piece)
        line += chunk.count(b"\n", counted, end)
        # Past the end only by the second byte of an escape, which the next chunk skips.
        pos -= end
    if not started:
        raise StructureError("the file is empty: expected a JSON array", line=line, index=1)
    if not ended:
        where = "inside a string" if in_string else f"{depth} level(s) deep"
        raise StructureError(
            f"the file ended at line {line}, {where}",
            line=line,
            index=index + 1,
        )


def _trailing_message() -> str:
    try:
        orjson.loads(b"1 2")
    except orjson.JSONDecodeError as e:
        return e.msg
    raise AssertionError("orjson accepted two values")


_TRAILING = _trailing_message()


def _end_of_value(view: memoryview, pos: int) -> int:
    """Where what follows the JSON value at `pos` starts (after whitespace), or -1 when
    that is not known (the value reaches the end of the view, or is not valid JSON)."""
    try:
        orjson.loads(view[pos:])
    except orjson.JSONDecodeError as e:
        if e.msg == _TRAILING:
            return pos + e.pos
    return -1
