import io

import orjson
import pytest

from trainerdesk.workbench.formats import (
    FormatError,
    Row,
    RowError,
    answer_to_ls_result,
    detect_format,
    ls_result_to_answer,
    read_conll,
    read_items,
    read_objects,
    tokenize,
    write_conll,
    write_csv,
    write_jsonl,
    write_labelstudio,
)

FIELDS = [
    {"name": "sentiment", "type": "choice", "source": "text"},
    {"name": "topics", "type": "choice", "multiple": True, "source": "text"},
    {"name": "entities", "type": "spans", "source": "text"},
    {"name": "links", "type": "relations", "spans": "entities", "source": "text"},
    {"name": "objects", "type": "boxes", "source": "image"},
    {
        "name": "quality",
        "type": "rating",
        "source": "responses",
        "criteria": ["helpful", {"name": "honest"}],
        "per_response": True,
    },
    {"name": "notes", "type": "text", "source": "text"},
    {"name": "preference", "type": "pairwise", "source": "responses"},
    {"name": "order", "type": "ranking", "source": "responses"},
]
TEXT = "Ada Lovelace met Charles Babbage in London"
DATA = {"text": TEXT, "image": "/img/1.png", "responses": ["r0", "r1", "r2"]}
ANSWER = {
    "sentiment": "pos",
    "topics": ["math", "history"],
    "entities": [
        {"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"},
        {"start": 17, "end": 32, "label": "PER", "text": "Charles Babbage"},
        {"start": 36, "end": 42, "label": "LOC", "text": "London"},
    ],
    "links": [{"from": 0, "to": 1, "label": "met"}, {"from": 1, "to": 2, "label": "in"}],
    "objects": [{"x": 10.0, "y": 20.5, "width": 30.0, "height": 40.0, "label": "cat"}],
    "quality": [{"helpful": 4, "honest": 5}, {"helpful": 3}, {"helpful": 2, "honest": 1}],
    "notes": "line one\nline two",
    "preference": {"preferred": 0, "strength": 2},
    "order": [2, 0, 1],
}


@pytest.fixture(autouse=True)
def _fast_passwords():
    """Shadows the root conftest's autouse fixture, which needs pytest-django's `settings`:
    this module is pure Python and runs with `-p no:django`."""


def read(raw: bytes, fmt: str, **kw) -> list[Row | RowError]:
    return list(read_items(io.BytesIO(raw), fmt, fields=FIELDS, **kw))


def joined(chunks) -> bytes:
    return b"".join(chunks)


def record(i: int, **kw) -> dict:
    base = {
        "id": 100 + i,
        "external_id": f"x{i}",
        "data": {"text": f"item {i}", "n": str(i)},
        "priority": i,
        "reference": None,
        "final": None,
        "annotations": [],
        "predictions": [],
    }
    return base | kw


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "jsonl"),
        ("B.NDJSON", "jsonl"),
        ("x.y.csv", "csv"),
        ("tasks.json", "labelstudio"),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


@pytest.mark.parametrize("name", ["data.xlsx", "README"])
def test_detect_format_unknown_lists_supported(name):
    with pytest.raises(FormatError, match=r"\.jsonl, \.ndjson, \.csv, \.json"):
        detect_format(name)


def test_unknown_format_fails_at_call():
    with pytest.raises(FormatError, match='unknown format "xml"'):
        read_items(io.BytesIO(b""), "xml", fields=[])


# --- JSONL ----------------------------------------------------------------------------------


def test_jsonl_flat_and_wrapped_shapes():
    raw = (
        b'{"text": "a", "external_id": 7, "priority": 3, "reference": {"sentiment": "pos"}}\n'
        b"\n"
        b'{"data": {"text": "b"}, "external_id": "e2", "priority": -1, "id": 9, "final": {}}\n'
    )
    assert read(raw, "jsonl") == [
        Row(1, {"text": "a"}, "7", 3, {"sentiment": "pos"}),
        Row(3, {"text": "b"}, "e2", -1),
    ]


def test_jsonl_bom_and_crlf():
    rows = read(b'\xef\xbb\xbf{"text": "a"}\r\n{"text": "b"}', "jsonl")
    assert rows == [Row(1, {"text": "a"}), Row(2, {"text": "b"})]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"text": x}', "invalid JSON: unexpected character, expected a JSON value at column 10"),
        (b"[1, 2]", "line must be a JSON object, got [1,2]"),
        (b'{"data": "hello"}', 'field "data": must be an object, got "hello"'),
        (b'{"text": "a", "priority": "high"}', 'field "priority": must be an integer, got "high"'),
        (b'{"text": "a", "priority": true}', 'field "priority": must be an integer, got true'),
        (b'{"text": "a", "priority": 1.5}', 'field "priority": must be an integer, got 1.5'),
        (
            b'{"text": "a", "external_id": [1]}',
            'field "external_id": must be a string or integer, got [1]',
        ),
        (
            b'{"data": {}, "annotations": [{"answer": 1}]}',
            'field "annotations": item 1 must be an object with an "answer" object',
        ),
        (b'{"data": {}, "annotations": {}}', 'field "annotations": must be a list, got {}'),
        (
            b'{"data": {}, "predictions": [{"score": 1}]}',
            'field "predictions": item 1 must be an object with an "answer" object',
        ),
        (b'{"text": "caf\xe9"}', "invalid UTF-8 at byte 14"),
    ],
)
def test_jsonl_bad_row_between_good_rows(line, message):
    rows = read(b'{"text": "before"}\n' + line + b'\n\n{"text": "after"}\n', "jsonl")
    assert rows == [Row(1, {"text": "before"}), RowError(2, message), Row(4, {"text": "after"})]


def test_decoded_objects_read_as_their_jsonl_lines():
    # The API's items skip the text round trip; they must still become the same rows.
    objects = [
        {"text": "a", "external_id": 7, "priority": 3, "reference": {"sentiment": "pos"}},
        {"data": {"text": "b"}, "external_id": "e2", "annotations": [{"answer": {}}]},
        {"data": "hello"},
        {"text": "a", "priority": 1.5},
        {"data": {}, "predictions": [{"score": 1}]},
        {"text": "x" * 200},
        [1, 2],
    ]
    lines = b"".join(orjson.dumps(o) + b"\n" for o in objects)
    as_lines = read(lines, "jsonl", max_item_bytes=100)

    as_objects = list(read_objects(objects, 100))

    assert as_objects[:-1] == as_lines[:-1]
    assert as_objects[-1] == RowError(7, "item must be a JSON object, got [1,2]")
    assert objects[0]["external_id"] == 7  # the caller's objects are left as they were


def test_decoded_objects_nested_too_deep_are_row_errors_and_many_brackets_are_not():
    def nested(depth):
        value: list = []
        for _ in range(depth - 2):  # the item object and the innermost list make two
            value = [value]
        return value

    shallow_but_many = {"t": [[] for _ in range(100)]}  # 101 brackets, 3 levels
    rows = list(read_objects([{"t": nested(64)}, {"t": nested(65)}, shallow_but_many], 10_000))
    assert rows[0] == Row(1, {"t": nested(64)})
    assert rows[1] == RowError(2, "nested more than 64 levels deep at column 69")
    assert rows[2] == Row(3, shallow_but_many)


def test_decoded_flat_objects_keep_their_text_for_the_import():
    # The text read_objects made to measure an item is the text the import stores; a
    # row whose data is not the object itself (a "data" key) leaves it to the import.
    flat, wrapped = {"text": "é", "n": [1, {"x": None}]}, {"data": {"text": "b"}}
    first, second = read_objects([flat, wrapped], 1000)
    assert first.encoded == orjson.dumps(flat).decode()
    assert second.encoded is None


def test_jsonl_oversized_items():
    small = b'{"text": "ok"}\n'
    big = orjson.dumps({"text": "x" * 200}) + b"\n"
    huge = orjson.dumps({"text": "y" * 5000}) + b"\n"  # longer than the reader's line buffer
    rows = read(small + big + small + huge + small, "jsonl", max_item_bytes=100)
    assert rows == [
        Row(1, {"text": "ok"}),
        RowError(2, "item is 211 bytes, over the 100-byte limit"),
        Row(3, {"text": "ok"}),
        RowError(4, "item is 5,011 bytes, over the 100-byte limit"),
        Row(5, {"text": "ok"}),
    ]


def test_jsonl_round_trip_with_annotations():
    ann = {
        "id": 5,
        "annotator": "ann1",
        "answer": {"sentiment": "neg"},
        "skipped": False,
        "skip_reason": "",
        "created_at": "2026-11-28T10:00:00+00:00",
        "updated_at": "2026-11-28T10:01:00+00:00",
        "lead_time": 3.2,
        "guideline_version": 1,
    }
    skipped = ann | {"id": 6, "annotator": "ann2", "answer": None, "skipped": True, "lead_time": 1}
    pred = {"answer": {"sentiment": "pos"}, "model_version": "v1", "score": 0.9}
    records = [
        record(1, annotations=[ann, skipped], predictions=[pred], final={"sentiment": "neg"}),
        record(2, external_id=None, priority=0, reference={"sentiment": "pos"}),
    ]
    rows = read(joined(write_jsonl(records, include_annotations=True)), "jsonl")
    assert rows == [
        Row(
            1,
            {"text": "item 1", "n": "1"},
            "x1",
            1,
            None,
            [
                {
                    "answer": {"sentiment": "neg"},
                    "annotator": "ann1",
                    "created_at": "2026-11-28T10:00:00+00:00",
                    "lead_time": 3.2,
                    "skipped": False,
                },
                {
                    "answer": {},
                    "annotator": "ann2",
                    "created_at": "2026-11-28T10:00:00+00:00",
                    "lead_time": 1.0,
                    "skipped": True,
                },
            ],
            [pred],
        ),
        Row(2, {"text": "item 2", "n": "2"}, None, 0, {"sentiment": "pos"}),
    ]


def test_jsonl_writer_shape_omits_none_keys():
    line = joined(write_jsonl([record(1, external_id=None)], include_annotations=False))
    assert orjson.loads(line) == {"id": 101, "data": {"text": "item 1", "n": "1"}, "priority": 1}
    assert line.endswith(b"}\n")


# --- CSV ------------------------------------------------------------------------------------


def test_csv_reserved_columns_multiline_cells_and_blank_lines():
    raw = (
        b"\xef\xbb\xbfexternal_id,text,priority,note\r\n"
        b'a1,"first\r\nsecond\r\nthird",2,\r\n'
        b"\r\n"
        b"a2,plain,,x\r\n"
        b",bad,high,y\r\n"
        b"a4,short\r\n"
        b"a5,last,-3,z\r\n"
    )
    assert read(raw, "csv") == [
        Row(2, {"text": "first\r\nsecond\r\nthird", "note": ""}, "a1", 2),
        Row(6, {"text": "plain", "note": "x"}, "a2", 0),
        RowError(7, 'field "priority": must be an integer, got "high"'),
        RowError(8, "row has 2 cells, expected 4 as in the header"),
        Row(9, {"text": "last", "note": "z"}, "a5", -3),
    ]


def test_csv_oversized_row():
    raw = b"text,b\n" + b"\xc3\xa9" * 30 + b",bb\nok,1\n"
    assert read(raw, "csv", max_item_bytes=50) == [
        RowError(2, "item is 62 bytes, over the 50-byte limit"),
        Row(3, {"text": "ok", "b": "1"}),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "CSV file is empty"),
        (b"a,,c\n1,2,3\n", r"column\(s\) 2 have no name"),
        (b"text,id,text\n", 'columns 1 and 3 are both named "text"'),
        (b"text\nok\nbad \xff\n", "not UTF-8 at line 3, byte 5"),
    ],
)
def test_csv_format_errors(raw, message):
    with pytest.raises(FormatError, match=message):
        read(raw, "csv")


def test_csv_rows_before_bad_utf8_are_returned():
    rows = read_items(io.BytesIO(b"text\nok\n\xff\n"), "csv", fields=[])
    assert next(rows) == Row(2, {"text": "ok"})
    with pytest.raises(FormatError, match="line 3"):
        next(rows)


def test_csv_round_trip_final_answers():
    records = [
        record(1, final={"sentiment": "pos", "topics": ["a", "b"]}),
        record(2, external_id=None, data={"text": 'quote " and,\nnewline', "n": ""}),
    ]
    out = joined(
        write_csv(records, include_annotations=False, fields=FIELDS[:2], data_keys=["text", "n"])
    )
    lines = out.decode().splitlines()
    assert lines[0] == "external_id,priority,text,n,final.sentiment,final.topics"
    assert lines[1] == 'x1,1,item 1,1,pos,"[""a"",""b""]"'
    # Final-answer columns are skipped on import, so data comes back unchanged.
    assert read(out, "csv") == [
        Row(2, {"text": "item 1", "n": "1"}, "x1", 1),
        Row(3, {"text": 'quote " and,\nnewline', "n": ""}, None, 2),
    ]


def test_csv_with_annotations_one_row_per_annotation():
    anns = [
        {"annotator": "ann1", "answer": {"sentiment": "neg"}, "skipped": False, "lead_time": 3.5,
         "created_at": "2026-11-28T10:00:00+00:00"},
        {"annotator": "ann2", "answer": {}, "skipped": True, "lead_time": None, "created_at": None},
    ]  # fmt: skip
    records = [record(1, data={"text": "t", "meta": {"k": 1}}, annotations=anns), record(2)]
    records[0]["final"] = {"sentiment": "neg"}
    out = joined(
        write_csv(records, include_annotations=True, fields=FIELDS[:1], data_keys=["text", "meta"])
    )
    assert out.decode().splitlines() == [
        "external_id,priority,text,meta,annotation.annotator,annotation.skipped,"
        "annotation.lead_time,annotation.created_at,answer.sentiment,final.sentiment",
        'x1,1,t,"{""k"":1}",ann1,false,3.5,2026-11-28T10:00:00+00:00,neg,neg',
        'x1,1,t,"{""k"":1}",ann2,true,,,,neg',
        "x2,2,item 2,,,,,,,",
    ]
    only = write_csv(
        records, include_annotations=True, include_final=False, fields=FIELDS[:1], data_keys=[]
    )
    assert joined(only).decode().splitlines()[0].endswith("annotation.created_at,answer.sentiment")


# --- Label Studio ---------------------------------------------------------------------------


def test_ls_answer_round_trip_every_field_type():
    result = answer_to_ls_result(ANSWER, FIELDS, DATA)
    assert ls_result_to_answer(result, FIELDS) == ANSWER
    by_type = {r["type"]: r for r in result}
    assert result[0] == {
        "from_name": "sentiment",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": ["pos"]},
    }
    assert by_type["relation"]["from_id"] == "s3"  # ids follow the result position
    assert by_type["rectanglelabels"]["value"]["rectanglelabels"] == ["cat"]
    ratings = sorted(r["from_name"] for r in result if r["type"] == "rating")
    assert ratings == [
        "quality.helpful.0",
        "quality.helpful.1",
        "quality.helpful.2",
        "quality.honest.0",
        "quality.honest.2",
    ]
    assert by_type["ranker"]["value"] == {"ranker": {"rank": ["2", "0", "1"]}}
    assert by_type["pairwise"]["value"] == {"selected": "left", "strength": 2}


def test_ls_spans_are_sorted_and_relations_follow_them():
    result = [
        {"id": "late", "from_name": "entities", "to_name": "text", "type": "labels",
         "value": {"start": 17, "end": 32, "labels": ["PER"]}},
        {"id": "early", "from_name": "entities", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}},
        {"type": "relation", "from_id": "late", "to_id": "early", "labels": []},
    ]  # fmt: skip
    assert ls_result_to_answer(result, FIELDS) == {
        "entities": [
            {"start": 0, "end": 3, "label": "PER", "text": "Ada"},
            {"start": 17, "end": 32, "label": "PER"},
        ],
        "links": [{"from": 1, "to": 0, "label": None}],
    }


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (
            {"from_name": "nope", "type": "choices", "value": {"choices": ["a"]}},
            'unknown from_name "nope"',
        ),
        ({"from_name": "quality.kind", "type": "rating", "value": {"rating": 1}}, '"quality.kind"'),
        (
            {"from_name": "sentiment", "type": "choices", "value": {}},
            'region "sentiment": malformed',
        ),
        ({"type": "relation", "from_id": "a", "to_id": "b"}, "unknown region id 'a'"),
    ],
)
def test_ls_result_errors(region, message):
    with pytest.raises(ValueError, match=message):
        ls_result_to_answer([region], FIELDS)


def test_ls_reader_tasks():
    tasks = [
        {
            "id": 11,
            "data": {"text": "hi"},
            "annotations": [
                {
                    "result": [answer_to_ls_result({"sentiment": "pos"}, FIELDS, {})[0]],
                    "completed_by": {"id": 3, "email": "a@x.org"},
                    "created_at": "2026-01-01T00:00:00Z",
                    "lead_time": 4,
                    "was_cancelled": False,
                },
                {"result": [], "completed_by": 4, "was_cancelled": True},
            ],
            "predictions": [{"result": [], "model_version": "v1", "score": 0.5}],
        },
        {"text": "bare", "id": 5},
        "oops",
        {"data": {"text": "x"}, "annotations": [{"result": [{"from_name": "zzz", "value": {}}]}]},
        {"data": {"text": "last"}, "meta": {"external_id": "ext", "priority": 4}},
    ]
    rows = read(b"\xef\xbb\xbf  \n" + orjson.dumps(tasks), "labelstudio")
    assert rows == [
        Row(
            1,
            {"text": "hi"},
            "11",
            0,
            None,
            [
                {
                    "answer": {"sentiment": "pos"},
                    "annotator": "a@x.org",
                    "created_at": "2026-01-01T00:00:00Z",
                    "lead_time": 4.0,
                    "skipped": False,
                },
                {
                    "answer": {},
                    "annotator": "4",
                    "created_at": None,
                    "lead_time": None,
                    "skipped": True,
                },
            ],
            [{"answer": {}, "model_version": "v1", "score": 0.5}],
        ),
        Row(2, {"text": "bare", "id": 5}),
        RowError(3, 'task 3: must be an object, got "oops"'),
        RowError(4, 'task 4: unknown from_name "zzz"'),
        Row(5, {"text": "last"}, "ext", 4),
    ]
    assert type(rows[0].annotations[0]["lead_time"]) is float


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b'{"data": {}}', "found an object"), (b"   ", "found an empty file"), (b"42", 'found "4"')],
)
def test_ls_top_level_must_be_array(raw, message):
    with pytest.raises(FormatError, match=message):
        read(raw, "labelstudio")


def test_ls_truncated_file_yields_rows_then_fails():
    rows = read_items(
        io.BytesIO(b'[{"data": {"t": 1.5}}, {"data": {"t": "b"}}, {"data": {"t'),
        "labelstudio",
        fields=[],
    )
    assert next(rows) == Row(1, {"t": 1.5})
    assert next(rows) == Row(2, {"t": "b"})
    with pytest.raises(FormatError, match=r"the file ended at line 1, inside a string \(task 3\)"):
        next(rows)


def test_ls_oversized_task():
    raw = orjson.dumps([{"data": {"text": "x" * 100}}, {"data": {"text": "ok"}}])
    assert read(raw, "labelstudio", max_item_bytes=50) == [
        RowError(1, "task 1 (line 1): item is 120 bytes, over the 50-byte limit"),
        Row(2, {"text": "ok"}),
    ]
    # Indentation gets room while streaming; the parsed task is measured compactly.
    indented = orjson.dumps([{"data": {"text": "x" * 40}}], option=orjson.OPT_INDENT_2)
    assert 60 < len(indented) < 100
    assert read(indented, "labelstudio", max_item_bytes=50) == [
        RowError(1, "task 1: item is 60 bytes, over the 50-byte limit")
    ]


def test_ls_task_nested_too_deep_is_refused_with_its_line_and_the_rest_imported():
    # 100,000 levels took ijson 22 GB; now the task is skipped while scanning.
    deep = b"[" * 100_000 + b"]" * 100_000
    raw = b'[{"data": {"t": "a"}},\n{"data": {"t": ' + deep + b'}},\n{"data": {"t": "c"}}]'
    assert read(raw, "labelstudio") == [
        Row(1, {"t": "a"}),
        RowError(2, "task 2 (line 2): nested more than 64 levels deep"),
        Row(3, {"t": "c"}),
    ]
    with pytest.raises(FormatError, match=r"the file ended at line 1, 100002 level\(s\) deep"):
        read(b'[{"data": ' + b"[" * 100_000, "labelstudio")


def test_ls_broken_brackets_name_the_task_and_line():
    with pytest.raises(FormatError, match=r"\} at line 2 where \] was expected \(task 2\)"):
        read(b'[{"data": {}},\n{"data": [1}}]', "labelstudio")
    with pytest.raises(FormatError, match=r"invalid JSON at task 1 \(line 1\): "):
        read(b'[{"data" {}}]', "labelstudio")


def test_jsonl_line_nested_too_deep_is_a_row_error():
    # Deeper than orjson can write back (254), shallower than it parses (1024): it used to
    # parse and then fail the whole import when stored.
    line = b'{"t": ' + b"[" * 500 + b"]" * 500 + b"}"
    assert read(b'{"t": 1}\n' + line + b"\n" + b"[" * 100_000 + b"\n", "jsonl") == [
        Row(1, {"t": 1}),
        RowError(2, "nested more than 64 levels deep at column 70"),
        RowError(3, "nested more than 64 levels deep at column 65"),
    ]


def test_labelstudio_writer_round_trip_final_and_annotations():
    ann = {"id": 5, "annotator": "ann1", "answer": ANSWER, "skipped": False, "lead_time": 3.2,
           "created_at": "2026-11-28T10:00:00+00:00", "updated_at": None}  # fmt: skip
    pred = {"answer": {"sentiment": "neg"}, "model_version": "v2", "score": 0.25}
    records = [
        record(1, data=DATA, final=ANSWER, annotations=[ann], predictions=[pred]),
        record(2, external_id=None),
    ]
    final_out = joined(write_labelstudio(records, include_annotations=False, fields=FIELDS))
    assert (
        final_out.startswith(b"[") and final_out.count(b",\n") >= 1 and final_out.endswith(b"]\n")
    )
    tasks = orjson.loads(final_out)
    assert [t["id"] for t in tasks] == [101, 102]
    # No annotator called "final": the final answer travels as a prediction.
    assert tasks[0]["annotations"] == []
    assert [p["model_version"] for p in tasks[0]["predictions"]] == ["trainerdesk-final", "v2"]

    rows = read(final_out, "labelstudio")
    assert [(r.line, r.data, r.external_id, r.priority) for r in rows] == [
        (1, DATA, "x1", 1),
        (2, {"text": "item 2", "n": "2"}, None, 2),
    ]
    assert rows[0].annotations == []
    assert rows[0].predictions == [
        {"answer": ANSWER, "model_version": "trainerdesk-final", "score": None},
        pred,
    ]
    assert rows[1].annotations == []

    rows = read(
        joined(write_labelstudio(records, include_annotations=True, fields=FIELDS)), "labelstudio"
    )
    assert rows[0].annotations == [
        {
            "answer": ANSWER,
            "annotator": "ann1",
            "created_at": "2026-11-28T10:00:00+00:00",
            "lead_time": 3.2,
            "skipped": False,
        }
    ]


def test_ls_writer_fills_span_text_from_data():
    answer = {"entities": [{"start": 4, "end": 12, "label": "PER"}]}
    [region] = answer_to_ls_result(answer, FIELDS, DATA)
    assert region["value"] == {"start": 4, "end": 12, "labels": ["PER"], "text": "Lovelace"}
    with pytest.raises(ValueError, match='field "links"'):
        answer_to_ls_result(answer | {"links": [{"from": 0, "to": 1, "label": "x"}]}, FIELDS, DATA)


# --- CoNLL ----------------------------------------------------------------------------------


def test_tokenize_offsets():
    assert tokenize("  Ada  met\tBob\n") == [(2, 5), (7, 10), (11, 14)]
    assert tokenize(" \n") == []
    assert tokenize("é x") == [(0, 1), (2, 3)]  # character offsets, not bytes


def test_conll_bio_tags_and_round_trip():
    spans = [
        {"start": 17, "end": 32, "label": "PER"},
        {"start": 0, "end": 12, "label": "PER"},
        {"start": 36, "end": 42, "label": "LOC"},
    ]
    records = [
        record(1, data={"text": TEXT}, final={"entities": spans}),
        record(2, data={"text": "nothing here"}, final={"entities": []}),
        record(3, data={"text": "   "}),
    ]
    out = joined(write_conll(records, span_field="entities", source="text")).decode()
    # Label Studio's CoNLL 2003 header; an agreed "no entities" is written as all O.
    assert out == (
        "-DOCSTART- -X- O\n\n"
        "Ada -X- _ B-PER\nLovelace -X- _ I-PER\nmet -X- _ O\nCharles -X- _ B-PER\n"
        "Babbage -X- _ I-PER\nin -X- _ O\nLondon -X- _ B-LOC\n\n"
        "nothing -X- _ O\nhere -X- _ O\n\n"
    )
    assert list(read_conll(io.BytesIO(out.encode()))) == [
        (TEXT.split(), ["B-PER", "I-PER", "O", "B-PER", "I-PER", "O", "B-LOC"]),
        (["nothing", "here"], ["O", "O"]),
    ]


def test_conll_splits_punctuation_from_words_and_spans_still_map():
    text = 'Ada met Germany\'s envoy on Tuesday. The U.S. team (3,000 fans) won, "easily"!'
    assert [text[s:e] for s, e in tokenize(text)] == [
        "Ada", "met", "Germany", "'s", "envoy", "on", "Tuesday", ".", "The", "U.S.", "team",
        "(", "3,000", "fans", ")", "won", ",", '"', "easily", '"', "!",
    ]  # fmt: skip

    def at(piece: str, label: str) -> dict:
        start = text.index(piece)
        return {"start": start, "end": start + len(piece), "label": label}

    spans = [
        at("Germany", "LOC"),  # ends right before the clitic
        at("Tuesday", "DATE"),  # ends right before the full stop
        at("U.S.", "LOC"),  # its dots are part of the token
        at("(3,000 fans)", "QTY"),  # takes in the brackets
        at('"easily"', "MISC"),  # and the quotes
    ]
    out = joined(
        write_conll(
            [record(1, data={"text": text}, final={"entities": spans})],
            span_field="entities",
            source="text",
        )
    )
    [(tokens, tags)] = list(read_conll(io.BytesIO(out)))
    assert list(zip(tokens, tags, strict=True)) == [
        ("Ada", "O"), ("met", "O"), ("Germany", "B-LOC"), ("'s", "O"), ("envoy", "O"),
        ("on", "O"), ("Tuesday", "B-DATE"), (".", "O"), ("The", "O"), ("U.S.", "B-LOC"),
        ("team", "O"), ("(", "B-QTY"), ("3,000", "I-QTY"), ("fans", "I-QTY"), (")", "I-QTY"),
        ("won", "O"), (",", "O"), ('"', "B-MISC"), ("easily", "I-MISC"), ('"', "I-MISC"),
        ("!", "O"),
    ]  # fmt: skip


def test_conll_leaves_out_items_without_a_final_answer_and_says_why():
    tie = [
        {"id": 1, "annotator": "ann1", "skipped": False,
         "answer": {"entities": [{"start": 0, "end": 3, "label": "PER"}]}},
        {"id": 2, "annotator": "ann2", "skipped": False, "answer": {"entities": []}},
    ]  # fmt: skip
    records = [
        # Two annotators disagree: the final label rule gives no final answer.
        record(1, data={"text": "Ada spoke."}, annotations=tie, answered=2),
        record(2, data={"text": "Nobody yet."}, answered=0),
    ]
    left_out: list[dict] = []
    out = joined(
        write_conll(records, span_field="entities", source="text", left_out=left_out)
    ).decode()
    # Nothing written as an all-O block that would say "no entities here".
    assert out == "-DOCSTART- -X- O\n\n"
    assert [(e["item_id"], e["reason"].split(" (")[0]) for e in left_out] == [
        (101, 'no final answer for "entities" under the final label rule'),
        (102, "no answers yet"),
    ]
    # Every annotation: one block per annotation, the disagreement in plain sight.
    left_out.clear()
    every = joined(
        write_conll(
            records, span_field="entities", source="text", every_annotation=True, left_out=left_out
        )
    )
    assert list(read_conll(io.BytesIO(every))) == [
        (["Ada", "spoke", "."], ["B-PER", "O", "O"]),
        (["Ada", "spoke", "."], ["O", "O", "O"]),
    ]
    assert left_out == [{"item_id": 102, "reason": "no answers yet"}]
