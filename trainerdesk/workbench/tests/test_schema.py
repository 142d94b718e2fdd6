"""Tests for the label schema: parsing, item data checks and answer validation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from trainerdesk.workbench.schema import (
    AnswerError,
    LabelSchema,
    SchemaError,
    classification_schema,
    parse_schema,
)

FULL_DOC: dict[str, Any] = {
    "fields": [
        {
            "name": "topic",
            "type": "choice",
            "source": "text",
            "multiple": False,
            "required": True,
            "labels": [
                {
                    "value": "business",
                    "hotkey": "b",
                    "description": "Companies, markets",
                    "color": "#1f77b4",
                },
                "sport",
            ],
        },
        {
            "name": "entities",
            "type": "spans",
            "source": "text",
            "allow_overlap": False,
            "labels": [{"value": "PER"}, {"value": "ORG"}],
        },
        {"name": "links", "type": "relations", "spans": "entities", "labels": ["works_for"]},
        {
            "name": "preference",
            "type": "pairwise",
            "source": "responses",
            "allow_tie": True,
            "strength": True,
        },
        {"name": "order", "type": "ranking", "source": "responses"},
        {
            "name": "quality",
            "type": "rating",
            "source": "responses",
            "per_response": True,
            "criteria": [
                {"name": "helpfulness", "min": 1, "max": 5},
                {"name": "harmlessness", "min": 1, "max": 7},
            ],
        },
        {"name": "rewrite", "type": "text", "max_length": 20},
        {
            "name": "objects",
            "type": "boxes",
            "source": "image",
            "labels": [{"value": "car", "hotkey": "c"}],
        },
        {"name": "kind", "type": "choice", "source": "image", "labels": ["photo", "drawing"]},
    ]
}
TEXT = "John Smith works for Acme in Paris."
DATA = {
    "text": TEXT,
    "responses": ["Answer A", {"text": "Answer B", "model": "m2"}, "Answer C"],
    "image": "https://example.com/cat.png",
}


def schema_errors(doc: Any) -> list[str]:
    with pytest.raises(SchemaError) as info:
        parse_schema(doc)
    return info.value.errors


def answer_errors(schema: LabelSchema, answer: Any, data: Any = DATA) -> list[str]:
    with pytest.raises(AnswerError) as info:
        schema.validate_answer(answer, data)
    return info.value.errors


@pytest.fixture(autouse=True)
def _fast_passwords() -> None:
    """Shadow the root conftest's autouse fixture: it needs pytest-django's `settings`, and
    this module must run without Django (`-p no:django`)."""


@pytest.fixture
def schema() -> LabelSchema:
    return parse_schema(FULL_DOC)


def valid_answer() -> dict[str, Any]:
    return {
        "topic": "business",
        "entities": [
            {"start": 21, "end": 25, "label": "ORG"},
            {"start": 0, "end": 10, "label": "PER", "text": "John Smith"},
        ],
        "links": [{"from": 0, "to": 1, "label": "works_for"}],
        "preference": {"preferred": 1, "strength": 2},
        "order": [2, 0, 1],
        "quality": [{"helpfulness": 5, "harmlessness": 7}] * 3,
        "rewrite": "Better answer",
        "objects": [{"x": 10, "y": 20.5, "width": 90, "height": 30, "label": "car"}],
        "kind": "photo",
    }


# ---------------------------------------------------------------- parsing


def test_full_schema_parses_and_round_trips(schema: LabelSchema) -> None:
    assert [f.type for f in schema.fields] == [
        "choice",
        "spans",
        "relations",
        "pairwise",
        "ranking",
        "rating",
        "text",
        "boxes",
        "choice",
    ]
    assert schema.types == {
        "choice",
        "spans",
        "relations",
        "pairwise",
        "ranking",
        "rating",
        "text",
        "boxes",
    }
    assert not schema.is_classification
    as_dict = schema.to_dict()
    assert parse_schema(as_dict) == schema
    assert parse_schema(json.dumps(as_dict)) == schema
    assert as_dict["fields"][0]["labels"][1] == {"value": "sport"}  # bare string normalised
    assert as_dict["fields"][0]["labels"][0]["color"] == "#1f77b4"


def test_defaults_and_options(schema: LabelSchema) -> None:
    assert schema.field("topic").required and schema.field("preference").required
    assert not schema.field("entities").required and not schema.field("order").required
    assert schema.field("topic").multiple is False
    assert schema.field("topic").label_values == ("business", "sport")
    assert schema.field("entities").options == {"allow_overlap": False}
    assert schema.field("links").options == {"spans": "entities"}
    assert schema.field("preference").options == {"allow_tie": True, "strength": True}
    assert schema.field("rewrite").options == {"max_length": 20}
    assert schema.field("quality").options["criteria"][1].max == 7
    defaults = parse_schema({"fields": [{"name": "t", "type": "text"}]}).field("t")
    assert defaults.options == {"max_length": 20000} and defaults.required is False
    pair = parse_schema({"fields": [{"name": "p", "type": "pairwise", "source": "r"}]})
    assert pair.field("p").options == {"allow_tie": True, "strength": False}
    with pytest.raises(KeyError):
        schema.field("nope")


def test_required_data_by_kind(schema: LabelSchema) -> None:
    assert schema.required_data() == {"text": "text", "responses": "responses", "image": "image"}
    explicit = parse_schema(
        {
            "fields": [
                {
                    "name": "k",
                    "type": "choice",
                    "source": "img",
                    "source_kind": "image",
                    "labels": ["a"],
                }
            ]
        }
    )
    assert explicit.required_data() == {"img": "image"}
    assert (
        parse_schema({"fields": [{"name": "t", "type": "text", "source": "r"}]}).required_data()
        == {}
    )


def _mutate(path: str, value: Any) -> Callable[[dict], None]:
    """Set (or with value=DELETE remove) a dotted path like 'fields.0.labels.1' in the doc."""

    def apply(doc: dict) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        if value is DELETE:
            del target[key]
        else:
            target[key] = value

    return apply


DELETE = object()

SCHEMA_CASES = [
    ("version", 2, "schema.version: unknown key"),
    ("fields", [], "fields: must be a non-empty list, got list"),
    ("fields", DELETE, "fields: must be a non-empty list, got null"),
    ("fields.0", "topic", 'fields[0]: must be an object, got string "topic"'),
    ("fields.0.mutliple", True, 'fields[0].mutliple: unknown key (did you mean "multiple"?)'),
    ("fields.0.criteria", [], "fields[0].criteria: not allowed for choice fields"),
    ("fields.3.labels", ["a"], "fields[3].labels: not allowed for pairwise fields"),
    ("fields.2.source", "text", "fields[2].source: not allowed for relations fields"),
    ("fields.0.name", DELETE, "fields[0].name: must be 1-64 letters, digits or _ not starting"),
    (
        "fields.0.name",
        "9lives",
        "fields[0].name: must be 1-64 letters, digits or _ not starting "
        'with a digit, got string "9lives"',
    ),
    ("fields.0.name", "x" * 65, "fields[0].name: must be 1-64 letters"),
    ("fields.1.name", "topic", 'fields[1].name: duplicate field "topic" (also fields[0])'),
    (
        "fields.0.type",
        "choise",
        "fields[0].type: must be one of choice, spans, relations, pairwise",
    ),
    ("fields.0.source", DELETE, "fields[0].source: required for choice fields"),
    ("fields.1.source", DELETE, "fields[1].source: required for spans fields"),
    ("fields.3.source", DELETE, "fields[3].source: required for pairwise fields"),
    ("fields.4.source", DELETE, "fields[4].source: required for ranking fields"),
    ("fields.5.source", DELETE, "fields[5].source: required for rating fields"),
    ("fields.7.source", DELETE, "fields[7].source: required for boxes fields"),
    ("fields.0.source", "my text", "fields[0].source: must be 1-64 letters"),
    (
        "fields.1.source",
        "responses",
        'fields[3].source: data key "responses" is read as responses '
        'here but as text by "entities"',
    ),
    ("fields.0.source_kind", "video", 'fields[0].source_kind: must be "text" or "image"'),
    ("fields.0.labels", [], "fields[0].labels: must be a non-empty list, got list"),
    ("fields.1.labels", DELETE, "fields[1].labels: must be a non-empty list, got null"),
    ("fields.0.labels.1", 5, "fields[0].labels[1]: must be a string or an object, got int 5"),
    ("fields.0.labels.1", {"value": ""}, "fields[0].labels[1].value: must be a non-empty string"),
    (
        "fields.0.labels.1",
        "x" * 101,
        "fields[0].labels[1].value: must be a non-empty string of at most 100 characters",
    ),
    (
        "fields.0.labels.1",
        "business",
        'fields[0].labels[1].value: duplicate label "business" (also fields[0].labels[0])',
    ),
    (
        "fields.0.labels.1",
        {"value": "x", "colour": "#fff"},
        'fields[0].labels[1].colour: unknown key (did you mean "color"?)',
    ),
    (
        "fields.0.labels.0.color",
        "blue",
        'fields[0].labels[0].color: must be #rgb or #rrggbb, got string "blue"',
    ),
    ("fields.0.labels.0.color", "#12345", "fields[0].labels[0].color: must be #rgb or #rrggbb"),
    ("fields.0.labels.0.description", 3, "fields[0].labels[0].description: must be a string"),
    (
        "fields.0.labels.0.hotkey",
        "bb",
        'fields[0].labels[0].hotkey: must be a single character, got string "bb"',
    ),
    (
        "fields.0.labels.0.hotkey",
        "B",
        'fields[0].labels[0].hotkey: must be a lowercase letter a-z or a digit 0-9, got "B"',
    ),
    (
        "fields.0.labels.0.hotkey",
        1,
        "fields[0].labels[0].hotkey: must be a single character, got int 1",
    ),
    ("fields.2.spans", "topic", 'fields[2].spans: "topic" is not a spans field'),
    ("fields.2.spans", "missing", 'fields[2].spans: "missing" is not a spans field'),
    ("fields.2.spans", DELETE, "fields[2].spans: must be 1-64 letters"),
    ("fields.0.multiple", "yes", 'fields[0].multiple: must be true or false, got string "yes"'),
    ("fields.0.required", 1, "fields[0].required: must be true or false, got int 1"),
    ("fields.1.allow_overlap", None, "fields[1].allow_overlap: must be true or false, got null"),
    ("fields.3.allow_tie", "no", "fields[3].allow_tie: must be true or false"),
    ("fields.3.strength", 0, "fields[3].strength: must be true or false, got int 0"),
    ("fields.5.per_response", 1, "fields[5].per_response: must be true or false, got int 1"),
    ("fields.5.criteria", [], "fields[5].criteria: must be a non-empty list, got list"),
    ("fields.5.criteria", DELETE, "fields[5].criteria: must be a non-empty list, got null"),
    (
        "fields.5.criteria.1",
        {"name": "helpfulness", "max": 3},
        'fields[5].criteria[1].name: duplicate criterion "helpfulness"',
    ),
    (
        "fields.5.criteria.1",
        {"name": "x", "max": 1},
        "fields[5].criteria[1].max: must be greater than min (1) and at most 100, got 1",
    ),
    (
        "fields.5.criteria.1",
        {"name": "x", "max": 101},
        "fields[5].criteria[1].max: must be greater",
    ),
    ("fields.5.criteria.1", {"name": "x"}, "fields[5].criteria[1].max: required"),
    (
        "fields.5.criteria.1",
        {"name": "x", "max": 5.0},
        "fields[5].criteria[1].max: must be an integer, got float 5.0",
    ),
    (
        "fields.5.criteria.1",
        {"name": "x", "min": True, "max": 5},
        "fields[5].criteria[1].min: must be an integer, got bool true",
    ),
    (
        "fields.5.criteria.1",
        {"name": "x", "max": 5, "step": 1},
        "fields[5].criteria[1].step: unknown key",
    ),
    ("fields.6.max_length", 0, "fields[6].max_length: must be 1..1000000, got 0"),
    ("fields.6.max_length", 1_000_001, "fields[6].max_length: must be 1..1000000, got 1000001"),
    ("fields.6.max_length", "10", 'fields[6].max_length: must be an integer, got string "10"'),
]


@pytest.mark.parametrize(("path", "value", "expected"), SCHEMA_CASES)
def test_schema_error_names_path(path: str, value: Any, expected: str) -> None:
    doc = copy.deepcopy(FULL_DOC)
    _mutate(path, value)(doc)
    errors = schema_errors(doc)
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize("doc", [[], "[1]", 3, None])
def test_schema_must_be_an_object(doc: Any) -> None:
    assert schema_errors(doc)[0].startswith("schema: must be an object, got ")


def test_all_errors_collected_at_once() -> None:
    doc = {
        "fields": [
            {"name": "a", "type": "choice", "source": "text", "labels": ["x", "x"], "extra": 1},
            {"name": "a", "type": "ranking"},
            {"name": "b", "type": "unknown"},
        ],
        "meta": {},
    }
    with pytest.raises(SchemaError) as info:
        parse_schema(doc)
    assert info.value.errors == [
        "schema.meta: unknown key",
        "fields[0].extra: unknown key",
        'fields[0].labels[1].value: duplicate label "x" (also fields[0].labels[0])',
        "fields[1].source: required for ranking fields (the item data key it reads)",
        'fields[1].name: duplicate field "a" (also fields[0])',
        "fields[2].type: must be one of choice, spans, relations, pairwise, ranking, rating, "
        'text, boxes, got string "unknown"',
    ]
    assert str(info.value) == "; ".join(info.value.errors)
    assert isinstance(info.value, ValueError)


def test_json_string_input_and_invalid_json() -> None:
    assert parse_schema(json.dumps(FULL_DOC)) == parse_schema(FULL_DOC)
    errors = schema_errors('{"fields": [\n  {"name": "a",}\n]}')
    assert errors == [
        "schema: invalid JSON: Expecting property name enclosed in double quotes at line 2, "
        "column 16"
    ]
    # Used to raise RecursionError (a 500 on the schema page).
    assert schema_errors('{"fields": ' + "[" * 100_000) == [
        "schema: nested more than 64 levels deep at byte 75"
    ]


def test_digit_zero_may_be_a_label_hotkey() -> None:
    # Digits 0-9 keyed by their own names (the page's own "0" keys then give way).
    labels = [{"value": str(d), "hotkey": str(d)} for d in range(10)]
    doc = {"fields": [{"name": "digit", "type": "choice", "source": "text", "labels": labels}]}
    schema = parse_schema(doc)
    assert [lb.key for lb in schema.fields[0].labels] == [str(d) for d in range(10)]


def test_hotkeys_unique_across_fields() -> None:
    doc = {
        "fields": [
            {
                "name": "a",
                "type": "choice",
                "source": "text",
                "labels": [{"value": "x", "hotkey": "q"}],
            },
            {
                "name": "b",
                "type": "spans",
                "source": "text",
                "labels": [{"value": "y", "hotkey": "q"}],
            },
        ]
    }
    assert schema_errors(doc) == [
        'fields[1].labels[0].hotkey: "q" is already used by fields[0].labels[0] ("x")'
    ]


def test_digit_keys_go_to_first_choice_field_only() -> None:
    labels = [f"l{i}" for i in range(11)]
    labels[1] = {"value": "l1", "hotkey": "z"}  # explicit letter keeps its own key
    doc = {
        "fields": [
            {
                "name": "ents",
                "type": "spans",
                "source": "text",
                "labels": [{"value": "PER"}, {"value": "ORG", "hotkey": "3"}],
            },
            {"name": "first", "type": "choice", "source": "text", "labels": labels},
            {"name": "second", "type": "choice", "source": "text", "labels": ["a", "b"]},
        ]
    }
    schema = parse_schema(doc)
    keys = [lb.key for lb in schema.field("first").labels]
    # "2" is skipped because l1 has its own hotkey, "3" because ORG claimed it explicitly.
    assert keys == ["1", "z", None, "4", "5", "6", "7", "8", "9", None, None]
    assert [lb.hotkey for lb in schema.field("first").labels][:3] == [None, "z", None]
    assert [lb.key for lb in schema.field("second").labels] == [None, None]
    assert [lb.key for lb in schema.field("ents").labels] == [None, "3"]
    assert parse_schema(schema.to_dict()) == schema


def test_classification_schema_helper() -> None:
    schema = classification_schema("topic", ["business", "sport", "tech"])
    field = schema.field("topic")
    assert schema.is_classification and schema.types == {"choice"}
    assert [lb.key for lb in field.labels] == ["1", "2", "3"]
    assert [lb.hotkey for lb in field.labels] == ["1", "2", "3"]
    assert field.required and not field.multiple
    image = classification_schema("kind", ["photo", "art"], source="image", multiple=True)
    assert image.required_data() == {"image": "image"}
    assert image.field("kind").multiple
    many = classification_schema("n", [f"v{i}" for i in range(12)])
    assert [lb.key for lb in many.field("n").labels][8:] == ["9", None, None, None]


# ---------------------------------------------------------------- item data


def test_validate_item(schema: LabelSchema) -> None:
    assert schema.validate_item(DATA) == []
    assert schema.validate_item({"responses": ["a", "b"], "text": 3}) == [
        "data.text: must be a string, got int",
        'data.image: required by field "objects" (boxes) but missing',
    ]
    assert schema.validate_item({**DATA, "responses": ["only one"]}) == [
        "data.responses: must hold at least 2 responses, got 1"
    ]
    assert schema.validate_item(
        {**DATA, "responses": ["a", {"model": "m"}, {"text": "c", "model": 1}]}
    ) == [
        'data.responses[1]: must be a string or {"text": str, "model": str}, got object',
        'data.responses[2]: must be a string or {"text": str, "model": str}, got object',
    ]
    assert schema.validate_item({**DATA, "responses": "ab"}) == [
        "data.responses: must be a list of responses, got string"
    ]
    assert schema.validate_item({**DATA, "image": ""}) == [
        "data.image: must be a non-empty URL or path"
    ]
    assert schema.validate_item([]) == ["data: must be an object, got list"]


# ---------------------------------------------------------------- answers


def test_valid_answer_is_normalised(schema: LabelSchema) -> None:
    answer = valid_answer()
    answer["entities"][0]["id"] = "client-side id"  # unknown item keys are dropped
    result = schema.validate_answer(answer, DATA)
    assert list(result) == [f["name"] for f in FULL_DOC["fields"]]
    assert result["entities"] == [
        {"start": 0, "end": 10, "label": "PER", "text": "John Smith"},
        {"start": 21, "end": 25, "label": "ORG", "text": "Acme"},
    ]
    assert result["links"] == [{"from": 0, "to": 1, "label": "works_for"}]
    assert result["preference"] == {"preferred": 1, "strength": 2}
    assert result["objects"] == [{"x": 10, "y": 20.5, "width": 90, "height": 30, "label": "car"}]
    assert result["quality"][2] == {"helpfulness": 5, "harmlessness": 7}


def test_optional_fields_may_be_absent_and_none_is_missing(schema: LabelSchema) -> None:
    minimal = {"topic": "sport", "preference": {"preferred": "tie"}, "kind": "drawing"}
    assert schema.validate_answer(minimal | {"rewrite": None}, DATA) == minimal
    assert answer_errors(schema, {"topic": None, "kind": "photo"}) == [
        "topic: required",
        "preference: required",
    ]


def _set(key: str, value: Any) -> Callable[[dict], None]:
    def apply(answer: dict) -> None:
        answer[key] = value

    return apply


def _span(start: int, end: int, label: str = "PER", **extra: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, **extra}


ANSWER_CASES = [
    (_set("topc", "sport"), "topc: unknown field (expected one of topic, entities, links"),
    (_set("topic", "spor"), 'topic: unknown label "spor" (expected one of business, sport)'),
    (_set("topic", ["sport"]), "topic: must be a label value, got list"),
    (
        _set("entities", [_span(0, 4), _span(30, 120)]),
        f"entities[1].end: 120 is outside the text (length {len(TEXT)})",
    ),
    (
        _set("entities", [_span(-1, 4)]),
        f"entities[0].start: -1 is outside the text (length {len(TEXT)})",
    ),
    (_set("entities", [_span(5, 5)]), "entities[0]: start (5) must be less than end (5)"),
    (_set("entities", [_span(0, 4.0)]), "entities[0].end: must be an integer, got float 4.0"),
    (
        _set("entities", [_span(0, 4, "LOC")]),
        'entities[0].label: unknown label "LOC" (expected one of PER, ORG)',
    ),
    (
        _set("entities", [_span(0, 4, text="Jon")]),
        'entities[0].text: string "Jon" does not match the text at 0..4 (string "John")',
    ),
    (
        _set("entities", [_span(0, 10), _span(5, 15, "ORG")]),
        "entities[1]: overlaps entities[0] (0..10)",
    ),
    (_set("entities", [_span(0, 4), _span(0, 4)]), "entities[1]: duplicates entities[0]"),
    (_set("entities", ["John"]), 'entities[0]: must be an object, got string "John"'),
    (_set("entities", {"start": 0}), "entities: must be a list, got object"),
    (
        _set("links", [{"from": 0, "to": 5, "label": "works_for"}]),
        "links[0].to: 5 is not a span index of entities (2 spans)",
    ),
    (
        _set("links", [{"from": 1, "to": 1, "label": "works_for"}]),
        "links[0]: from and to must be different spans",
    ),
    (
        _set("links", [{"from": 0, "to": 1, "label": "knows"}]),
        'links[0].label: unknown label "knows" (expected one of works_for)',
    ),
    (
        _set("links", [{"from": 0, "to": 1, "label": "works_for"}] * 2),
        "links[1]: duplicates links[0]",
    ),
    (
        _set("preference", {"preferred": 2, "strength": 1}),
        'preference.preferred: must be 0, 1 or "tie", got int 2',
    ),
    (
        _set("preference", {"preferred": True, "strength": 1}),
        'preference.preferred: must be 0, 1 or "tie", got bool true',
    ),
    (_set("preference", {"preferred": 0}), "preference.strength: must be 1, 2 or 3, got null"),
    (_set("preference", {"preferred": 0, "strength": 4}), "preference.strength: must be 1, 2 or 3"),
    (
        _set("preference", {"preferred": "tie", "strength": 2}),
        "preference.strength: is not used for a tie",
    ),
    (_set("preference", 1), "preference: must be an object, got int"),
    (_set("order", [0, 1]), "order: must be a permutation of 0..2 (missing 2)"),
    (
        _set("order", [0, 0, 3]),
        "order: must be a permutation of 0..2 (missing 1, missing 2, unknown 3, duplicate 0)",
    ),
    (_set("order", [0, "1", 2]), "order: must be a list of response indexes, got list"),
    (
        _set("quality", [{"helpfulness": 9, "harmlessness": 1}] * 3),
        "quality[0].helpfulness: 9 is outside 1..5",
    ),
    (
        _set("quality", [{"helpfulness": 1, "harmlessness": 0}] * 3),
        "quality[0].harmlessness: 0 is outside 1..7",
    ),
    (
        _set("quality", [{"helpfulness": 1, "harmlessness": 1, "tone": 3}] * 3),
        "quality[0].tone: unknown criterion (expected one of helpfulness, harmlessness)",
    ),
    (
        _set("quality", [{"helpfulness": 1.5, "harmlessness": 1}] * 3),
        "quality[0].helpfulness: must be an integer, got float 1.5",
    ),
    (
        _set("quality", [{"helpfulness": 1, "harmlessness": 1}] * 2),
        "quality: must be a list of 3 ratings (one per response), got 2",
    ),
    (_set("rewrite", "x" * 21), "rewrite: 21 characters exceeds max_length 20"),
    (_set("rewrite", 5), "rewrite: must be a string, got int"),
    (
        _set("objects", [{"x": 50, "y": 0, "width": 60, "height": 10, "label": "car"}]),
        "objects[0]: x + width = 110 is outside the image (max 100)",
    ),
    (
        _set("objects", [{"x": 0, "y": 95, "width": 5, "height": 10, "label": "car"}]),
        "objects[0]: y + height = 105 is outside the image (max 100)",
    ),
    (
        _set("objects", [{"x": -1, "y": 0, "width": 5, "height": 10, "label": "car"}]),
        "objects[0].x: -1 is outside the image (0..100)",
    ),
    (
        _set("objects", [{"x": 0, "y": 0, "width": 0, "height": 10, "label": "car"}]),
        "objects[0].width: must be greater than 0, got 0",
    ),
    (
        _set("objects", [{"x": 0, "y": 0, "width": True, "height": 10, "label": "car"}]),
        "objects[0].width: must be a number, got bool true",
    ),
    (
        _set("objects", [{"x": 0, "y": 0, "width": 5, "height": 5, "label": "bus"}]),
        'objects[0].label: unknown label "bus" (expected one of car)',
    ),
    (
        _set(
            "objects", [{"x": 0, "y": 0, "width": 5, "height": 5, "label": "car", "rotation": 45}]
        ),
        "objects[0].rotation: only 0 is supported, got int 45",
    ),
    (_set("kind", "sketch"), 'kind: unknown label "sketch" (expected one of photo, drawing)'),
]


@pytest.mark.parametrize(("change", "expected"), ANSWER_CASES)
def test_invalid_answer_names_the_path(
    schema: LabelSchema, change: Callable[[dict], None], expected: str
) -> None:
    answer = valid_answer()
    change(answer)
    errors = answer_errors(schema, answer)
    assert any(e.startswith(expected) for e in errors), errors


def test_box_tolerance_allows_float_rounding(schema: LabelSchema) -> None:
    box = {"x": 33.3, "y": 0, "width": 66.70000000000001, "height": 100, "label": "car"}
    assert schema.validate_answer(valid_answer() | {"objects": [box]}, DATA)["objects"] == [box]


def test_tie_refused_when_not_allowed() -> None:
    schema = parse_schema(
        {"fields": [{"name": "p", "type": "pairwise", "source": "r", "allow_tie": False}]}
    )
    data = {"r": ["a", "b"]}
    assert schema.validate_answer({"p": {"preferred": 0}}, data) == {"p": {"preferred": 0}}
    assert answer_errors(schema, {"p": {"preferred": "tie"}}, data) == [
        "p.preferred: a tie is not allowed for this field"
    ]
    assert answer_errors(schema, {"p": {"preferred": 1, "strength": 2}}, data) == [
        "p.strength: is not enabled for this field"
    ]
    assert answer_errors(schema, {"p": {"preferred": 0}}, {"r": ["only"]}) == [
        "p: cannot be checked against the item (data.r: must hold at least 2 responses, got 1)"
    ]
    assert answer_errors(schema, {"p": {"preferred": 0}}, {}) == [
        "p: cannot be checked against the item (data.r: missing)"
    ]


def test_spans_overlap_allowed_but_not_duplicates() -> None:
    doc = copy.deepcopy(FULL_DOC)
    doc["fields"][1]["allow_overlap"] = True
    schema = parse_schema(doc)
    answer = valid_answer() | {"entities": [_span(0, 10), _span(0, 4, "ORG"), _span(5, 10)]}
    spans = schema.validate_answer(answer, DATA)["entities"]
    assert [(s["start"], s["end"], s["label"]) for s in spans] == [
        (0, 4, "ORG"),
        (0, 10, "PER"),
        (5, 10, "PER"),
    ]
    answer["entities"].append(_span(5, 10))
    assert answer_errors(schema, answer) == ["entities[3]: duplicates entities[2]"]


def test_relations_skip_when_spans_fail(schema: LabelSchema) -> None:
    answer = valid_answer() | {"entities": [_span(0, 500)]}
    assert answer_errors(schema, answer) == [
        f"entities[0].end: 500 is outside the text (length {len(TEXT)})"
    ]
    without_spans = valid_answer()
    del without_spans["entities"]
    assert answer_errors(schema, without_spans) == [
        "links[0].from: 0 is not a span index of entities (0 spans)",
        "links[0].to: 1 is not a span index of entities (0 spans)",
    ]


def test_multiple_choice() -> None:
    schema = classification_schema("tags", ["a", "b", "c"], multiple=True)
    assert schema.validate_answer({"tags": ["c", "a"]}, {"text": "t"}) == {"tags": ["a", "c"]}
    assert answer_errors(schema, {"tags": []}, {}) == ["tags: select at least one label"]
    assert answer_errors(schema, {"tags": ["a", "a"]}, {}) == ['tags[1]: duplicate label "a"']
    assert answer_errors(schema, {"tags": "a"}, {}) == [
        "tags: must be a list of label values, got string"
    ]


def test_rating_single_and_optional_partial() -> None:
    doc = {
        "fields": [
            {
                "name": "q",
                "type": "rating",
                "source": "r",
                "required": True,
                "criteria": [{"name": "a", "max": 3}, {"name": "b", "min": 0, "max": 2}],
            }
        ]
    }
    schema = parse_schema(doc)
    assert schema.validate_answer({"q": {"a": 3, "b": 0}}, {}) == {"q": {"a": 3, "b": 0}}
    assert answer_errors(schema, {"q": {"a": 2}}, {}) == ["q.b: required"]
    assert answer_errors(schema, {"q": {"a": 4, "b": 0}}, {}) == ["q.a: 4 is outside 1..3"]
    doc["fields"][0]["required"] = False
    assert parse_schema(doc).validate_answer({"q": {"a": 2}}, {}) == {"q": {"a": 2}}


def test_required_text_must_not_be_blank() -> None:
    schema = parse_schema({"fields": [{"name": "t", "type": "text", "required": True}]})
    assert schema.validate_answer({"t": "ok"}, {}) == {"t": "ok"}
    assert answer_errors(schema, {"t": "  "}, {}) == ["t: required"]


def test_answer_must_be_an_object(schema: LabelSchema) -> None:
    assert answer_errors(schema, ["business"]) == ["answer: must be an object, got list"]


def test_ranking_needs_item_responses(schema: LabelSchema) -> None:
    data = {**DATA, "responses": "not a list"}
    expected = "order: cannot be checked against the item (data.responses: must be a list"
    assert any(e.startswith(expected) for e in answer_errors(schema, valid_answer(), data))
