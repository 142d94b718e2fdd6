import json
import random

import orjson
import pytest

from trainerdesk.lib.jsonlimits import (
    MAX_DEPTH,
    Element,
    StructureError,
    deep_at,
    iter_array,
    within_depth,
)


def chunked(raw: bytes, size: int) -> list[bytes]:
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def split(raw: bytes, size: int = 7, **kwargs) -> list[Element]:
    return list(iter_array(chunked(raw, size), max_bytes=kwargs.pop("max_bytes", 10**9), **kwargs))


def random_value(rnd: random.Random, depth: int = 0):
    r = rnd.random()
    if depth > 5 or r < 0.3:
        return rnd.choice([1, -2.5, 'a"b\\c,[]{}\n', "", None, True, "ü€", 2**40])
    if r < 0.6:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    return {f'k{i}\\"[': random_value(rnd, depth + 1) for i in range(rnd.randint(0, 4))}


def test_elements_parse_back_to_the_array_whatever_the_chunking():
    rnd = random.Random(8)
    for _ in range(1500):
        array = [random_value(rnd) for _ in range(rnd.randint(0, 6))]
        raw = orjson.dumps(array, option=orjson.OPT_INDENT_2 if rnd.random() < 0.5 else 0)
        # Small chunks: elements cross chunk ends (the scanning path); whole: orjson's.
        for size in (rnd.randint(1, 40), len(raw) or 1):
            elements = split(raw, size)
            assert [orjson.loads(e.data) for e in elements] == array
            assert [e.index for e in elements] == list(range(1, len(array) + 1))


def test_both_paths_agree_on_limits_and_lines():
    deep = b"[" * 70 + b"]" * 70
    raw = b'[\n{"s": "' + b"[" * 100 + b'"},\n' + deep + b",\n" + b'"' + b"x" * 50 + b'"]'
    for size in (3, len(raw)):
        elements = split(raw, size, max_bytes=40)
        assert [(e.index, e.line, e.too_deep, e.data is None) for e in elements] == [
            (1, 2, False, True),  # over 40 bytes; the brackets in its string do not count
            (2, 3, True, True),
            (3, 4, False, True),
        ]
        assert [e.size for e in elements] == [110, 141, 53]
        roomy = split(raw, size)
        assert [(e.too_deep, e.data is None) for e in roomy] == [
            (False, False),
            (True, True),
            (False, False),
        ]


def test_any_truncation_is_refused():
    rnd = random.Random(9)
    for _ in range(1000):
        raw = orjson.dumps([random_value(rnd) for _ in range(rnd.randint(1, 5))])
        with pytest.raises(StructureError, match="the file ended at line 1"):
            split(raw[: rnd.randint(1, len(raw) - 1)], rnd.randint(1, 30))


def test_lines_sizes_and_the_size_limit():
    raw = b'[\n {"a": 1},\n\n {"b": "x\\ny"},\n 3\n]\n'
    assert [(e.index, e.line, e.data) for e in split(raw, 3)] == [
        (1, 2, b'\n {"a": 1}'),
        (2, 4, b'\n\n {"b": "x\\ny"}'),
        (3, 5, b"\n 3\n"),
    ]
    # Over the limit: measured, never kept.
    assert [(e.line, e.data, e.size) for e in split(raw, 3, max_bytes=8)] == [
        (2, None, 10),
        (4, None, 16),
        (5, b"\n 3\n", 4),
    ]


def test_nesting_over_the_limit_is_flagged_not_kept():
    assert split(b"[]") == []
    ok = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert split(ok)[0].too_deep is False
    deep = b'[1, {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b'}, "[[[[", 2]'
    elements = split(deep, 65536, max_depth=10)
    assert [(e.index, e.too_deep, e.data) for e in elements] == [
        (1, False, b"1"),
        (2, True, None),
        (3, False, b' "[[[["'),
        (4, False, b" 2"),
    ]
    assert elements[1].size == len(deep) - len(b"[1,") - len(b', "[[[[", 2]')


@pytest.mark.parametrize(
    ("raw", "message", "index"),
    [
        (b"[1,]", "a value is missing before the ] at line 1", 2),
        (b"[,1]", "a value is missing before the , at line 1", 1),
        (b'[{"a": [1}]', "} at line 1 where ] was expected", 1),
        (b"[1}", "} at line 1 closes the top-level", 1),
        (b"[1]\n x", "unexpected text after the closing ] at line 2", 1),
        (b'\n{"a": 1}', "expected \\[ at line 2", 1),
        (b"  ", "the file is empty", 1),
        (b'[1, "abc', "the file ended at line 1, inside a string", 2),
        (b"[1,\n[[", "the file ended at line 2, 3 level", 2),
    ],
)
def test_structure_errors_name_the_line(raw, message, index):
    with pytest.raises(StructureError, match=message) as caught:
        split(raw, 2)
    assert caught.value.index == index


def test_deep_at_counts_brackets_outside_strings_only():
    assert deep_at(b"[" * 65 + b"]" * 65) == 64
    assert deep_at(b"[" * 64 + b"]" * 64) is None
    assert deep_at(b'["' + b"[" * 100 + b'"]') is None
    assert deep_at(b'{"a":' * 70) == 5 * 64
    assert deep_at(b'{"a": "\\"[[[[[[[[[["}', max_depth=3) is None


def _nested(rnd: random.Random, depth: int):
    """A value exactly `depth` levels deep, with bracket-filled and escaped strings."""
    strings = ['a"b\\c,[]{}', "\\", '\\"', "[[[[", "}}}]]]", "ü€[", ""]
    value = rnd.choice(strings + [1, None])
    for _ in range(depth):
        if rnd.random() < 0.5:
            value = [rnd.choice(strings), value] if rnd.random() < 0.5 else [value]
        else:
            value = {rnd.choice(strings): value, "x": rnd.choice(strings)}
    return value


def test_within_depth_answers_as_deep_at_for_valid_json():
    rnd = random.Random(11)
    for _ in range(600):
        depth = rnd.choice([rnd.randint(0, 10), rnd.randint(55, 75)])
        doc = [_nested(rnd, rnd.randint(0, depth)) for _ in range(rnd.randint(1, 8))]
        doc.append(_nested(rnd, depth))
        rnd.shuffle(doc)
        limit = rnd.choice([3, 8, MAX_DEPTH])
        for raw in (
            orjson.dumps(doc),  # UTF-8 as is
            json.dumps(doc).encode(),  # \\u escapes, ", " and ": " between
            json.dumps(doc, ensure_ascii=False, indent=1).encode(),
        ):
            assert within_depth(raw, limit) == (deep_at(raw, limit) is None), raw


def test_within_depth_leaves_other_encodings_to_deep_at():
    deep = json.dumps([[[[["x"]]]]])
    assert within_depth(deep.encode(), 3) is False
    assert within_depth(deep.encode("utf-16"), 3) is False  # NUL bytes: not UTF-8
    shallow = json.dumps(["[[[[" * 10, {"a": "\\"}])
    assert within_depth(shallow.encode(), 3) is True
    assert within_depth(shallow.encode("utf-16-le"), 3) is False
