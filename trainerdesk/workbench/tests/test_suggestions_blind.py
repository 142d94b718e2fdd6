"""Suggestions from predictions, blind response order, and bad input on the interfaces:
through the annotation page, the API and the importer."""

import html
import json
import re
import uuid

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from trainerdesk.workbench import blind, services
from trainerdesk.workbench.models import Annotation, Item, Prediction
from trainerdesk.workbench.schema import parse_schema

HTMX = {"HTTP_HX_REQUEST": "true"}
API = "/api/v1"


def _annotate_url(project):
    return reverse("workbench:annotate", args=[project.pk])


def _post(client, project, item, **fields):
    data = {"item": item.pk, "client_id": str(uuid.uuid4()), "lead_time": "2", **fields}
    return client.post(reverse("workbench:annotate_submit", args=[project.pk]), data, **HTMX)


def _api(client, method, path, body=None):
    return getattr(client, method)(
        API + path, orjson.dumps(body).decode(), content_type="application/json"
    )


def _first_item(project):
    return project.items.order_by("id").first()


# --- suggestions -------------------------------------------------------------------------


def test_best_prediction_is_shown_as_a_suggestion_and_not_checked(project, teammate, client_for):
    item = _first_item(project)
    Prediction.objects.create(item=item, model_version="old", answer={"topic": "sport"}, score=0.2)
    Prediction.objects.create(
        item=item, model_version="clf-v2", answer={"topic": "tech"}, score=0.9
    )
    body = client_for(teammate).get(_annotate_url(project)).content.decode()
    assert f'data-item="{item.pk}"' in body
    assert "Suggested by <strong>clf-v2</strong> (score 0.90)" in body
    assert 'value="tech" data-key="t" data-suggested>' in body  # marked, not checked
    assert "checked" not in body.split('name="f_topic"', 1)[1].split("</fieldset>")[0]
    assert 'value="sport" data-key="s">' in body
    assert "<kbd>0</kbd> or <kbd>Shift</kbd>+<kbd>A</kbd> accept the suggestions" in body


def test_a_suggestion_is_never_stored_unless_the_annotator_sends_it(project, teammate, client_for):
    item = _first_item(project)
    Prediction.objects.create(item=item, model_version="m", answer={"topic": "tech"}, score=1)
    client = client_for(teammate)
    client.get(_annotate_url(project))
    refused = _post(client, project, item)  # nothing chosen: the suggestion does not count
    assert refused.status_code == 422
    assert "topic: required" in html.unescape(refused.content.decode())
    assert not Annotation.objects.exists()
    assert _post(client, project, item, f_topic="sport").status_code == 200
    assert Annotation.objects.get(item=item).answer == {"topic": "sport"}


def test_a_prediction_that_no_longer_fits_the_schema_is_not_suggested(
    project, teammate, client_for
):
    Prediction.objects.create(item=_first_item(project), answer={"topic": "weather"}, score=1)
    body = client_for(teammate).get(_annotate_url(project)).content.decode()
    assert "data-suggested" not in body and "Suggested by" not in body


SPAN_SCHEMA = {
    "fields": [
        {
            "name": "ents",
            "type": "spans",
            "source": "text",
            "labels": [{"value": "PER", "hotkey": "p"}, {"value": "LOC", "hotkey": "l"}],
        },
        {"name": "rels", "type": "relations", "spans": "ents", "labels": ["lives_in"]},
    ]
}
SPAN_TEXT = "Ada lives in London"


@pytest.fixture
def span_project(org, owner, teammate):
    project = services.create_project(
        organization=org, created_by=owner, name="NER", label_schema=SPAN_SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    prediction = {
        "answer": {
            "ents": [
                {"start": 13, "end": 19, "label": "LOC"},
                {"start": 0, "end": 3, "label": "PER"},
            ],
            "rels": [{"from": 0, "to": 1, "label": "lives_in"}],
        },
        "model_version": "ner-1",
    }
    added = services.add_items(
        project=project,
        items=[{"data": {"text": SPAN_TEXT}, "predictions": [prediction]}],
        by=project.created_by,
    )
    assert added.errors == [] and added.added == 1
    return project


def test_suggested_spans_ride_beside_an_empty_answer(span_project, teammate, client_for):
    body = client_for(teammate).get(_annotate_url(span_project)).content.decode()
    spans_input = re.search(r'<input type="hidden" name="f_ents"[^>]*>', body)[0]
    assert 'value="[]"' in spans_input
    suggested = json.loads(html.unescape(re.search(r'data-suggested="([^"]*)"', spans_input)[1]))
    # Sorted by offset, as relations index them.
    assert suggested == [
        {"start": 0, "end": 3, "label": "PER", "text": "Ada"},
        {"start": 13, "end": 19, "label": "LOC", "text": "London"},
    ]
    rels_input = re.search(r'<input type="hidden" name="f_rels"[^>]*>', body)[0]
    assert json.loads(html.unescape(re.search(r'data-suggested="([^"]*)"', rels_input)[1])) == [
        {"from": 0, "to": 1, "label": "lives_in"}
    ]
    assert "<kbd>&#x27;</kbd> select the next suggested span" in body or "<kbd>'</kbd>" in body


def test_a_bad_prediction_in_an_import_rejects_its_row_by_field(span_project):
    bad = {"answer": {"ents": [{"start": 0, "end": 99, "label": "PER"}]}}
    result = services.add_items(
        project=span_project,
        items=[{"text": "fine"}, {"data": {"text": "Bob"}, "predictions": [bad]}],
        by=span_project.created_by,
    )
    assert result.added == 1
    assert [e.line for e in result.errors] == [2]
    assert "predictions[0].answer.ents[0].end: 99 is outside the text" in result.errors[0].message
    assert not Item.objects.filter(data__text="Bob").exists()


def test_predictions_api_adds_checks_and_denies(project, owner, teammate, outsider, client_for):
    item = _first_item(project)
    path = f"/projects/{project.pk}/items/{item.pk}/predictions"
    created = _api(
        client_for(owner),
        "post",
        path,
        {"answer": {"topic": "tech"}, "model_version": "v3", "score": 0.5},
    )
    assert created.status_code == 201, created.content
    assert created.json()["answer"] == {"topic": "tech"}
    assert Prediction.objects.get(item=item).model_version == "v3"

    bad = _api(client_for(owner), "post", path, {"answer": {"topic": "weather"}})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith('answer.topic: unknown label "weather"')
    for user in (teammate, outsider):  # annotators and strangers: not found
        assert _api(client_for(user), "post", path, {"answer": {}}).status_code == 404
    assert Prediction.objects.count() == 1


# --- blind order ---------------------------------------------------------------------------

LLM_SCHEMA = {
    "fields": [
        {"name": "preference", "type": "pairwise", "source": "responses"},
        {"name": "order", "type": "ranking", "source": "responses"},
        {
            "name": "per",
            "type": "rating",
            "source": "responses",
            "per_response": True,
            "criteria": [{"name": "correct", "min": 1, "max": 3}],
        },
    ]
}
RESPONSES = [
    {"text": "Answer zero.", "model": "secret-a"},
    {"text": "Answer one.", "model": "secret-b"},
    {"text": "Answer two.", "model": "secret-c"},
]


@pytest.fixture
def llm_project(org, owner, teammate):
    project = services.create_project(
        organization=org, created_by=owner, name="Blind", label_schema=LLM_SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    for n in range(20):  # an item the annotator sees shuffled, so that the mapping shows
        services.add_items(
            project=project,
            items=[{"prompt": f"Q{n}?", "responses": RESPONSES}],
            by=project.created_by,
        )
        item = Item.objects.filter(project=project).latest("id")
        shown = blind.shown_order(item_id=item.pk, user_id=teammate.pk, source="responses", n=3)
        if shown != [0, 1, 2]:
            return project
        item.delete()
    raise AssertionError("no shuffled order in 20 items")


def test_mapping_back_to_the_items_order():
    schema = parse_schema(LLM_SCHEMA)
    shown_b_first = {"responses": [1, 2, 0]}  # B, then C, then A
    answer = {
        "preference": {"preferred": 0},  # the first one shown: B
        "order": [0, 2, 1],  # B, A, C
        "per": [{"correct": 3}, {"correct": 2}, {"correct": 1}],  # B=3, C=2, A=1
    }
    stored = blind.to_item_order(schema, answer, shown_b_first)
    assert stored == {
        "preference": {"preferred": 1},
        "order": [1, 0, 2],
        "per": [{"correct": 1}, {"correct": 3}, {"correct": 2}],
    }
    assert blind.to_shown_order(schema, stored, shown_b_first) == answer


def test_shown_order_is_stable_and_differs_between_annotators():
    orders = {tuple(blind.shown_order(item_id=7, user_id=u, source="r", n=4)) for u in range(20)}
    assert len(orders) > 1
    again = blind.shown_order(item_id=7, user_id=3, source="r", n=4)
    assert again == blind.shown_order(item_id=7, user_id=3, source="r", n=4)
    assert sorted(again) == [0, 1, 2, 3]


def _shown(body):
    order = json.loads(html.unescape(re.search(r'name="response_order" value="([^"]*)"', body)[1]))
    texts = re.findall(r'<div class="response-text">([^<]*)</div>', body)
    return order["responses"], texts


def test_blind_page_shows_the_annotators_order_and_stores_the_items_order(
    llm_project, teammate, client_for
):
    client = client_for(teammate)
    body = client.get(_annotate_url(llm_project)).content.decode()
    order, texts = _shown(body)
    item = Item.objects.get(project=llm_project)
    assert order == blind.shown_order(item_id=item.pk, user_id=teammate.pk, source="responses", n=3)
    assert texts == [RESPONSES[i]["text"] for i in order]  # shown in that order, as A, B, C
    assert "secret-" not in body
    assert _shown(client.get(_annotate_url(llm_project)).content.decode())[0] == order  # reload

    # Pairwise compares the item's responses 0 and 1: the first of them shown is this one.
    side = next(p for p in range(3) if order[p] < 2)
    response = _post(
        client,
        llm_project,
        item,
        response_order=json.dumps({"responses": order}),
        f_preference=json.dumps({"preferred": side}),
        f_order="[2, 0, 1]",  # shown positions
        f_per='[{"correct": 1}, {"correct": 2}, {"correct": 3}]',
    )
    assert response.status_code == 200, response.content.decode()[:500]
    annotation = Annotation.objects.get(item=item)
    assert annotation.answer["preference"] == {"preferred": order[side]}
    assert annotation.answer["order"] == [order[2], order[0], order[1]]
    assert [annotation.answer["per"][order[p]]["correct"] for p in range(3)] == [1, 2, 3]
    assert annotation.response_order == order

    # Going back shows the answer again in the order it was given in.
    back = client.get(
        reverse("workbench:annotate_back", args=[llm_project.pk]) + "?before=", **HTMX
    ).content.decode()
    assert _shown(back)[0] == order
    assert f'name="ui_preference_preferred" value="{side}" data-pref-key="," checked' in back


def test_a_bad_response_order_is_refused_by_name(llm_project, teammate, client_for):
    client = client_for(teammate)
    client.get(_annotate_url(llm_project))
    item = Item.objects.get(project=llm_project)
    response = _post(
        client, llm_project, item, response_order="[0, 0, 1]", f_preference='{"preferred": 0}'
    )
    assert response.status_code == 422
    assert "response_order: must be a permutation of 0..2" in html.unescape(
        response.content.decode()
    )
    assert not Annotation.objects.exists()


def test_blind_order_off_shows_the_items_order_and_records_none(
    llm_project, owner, teammate, client_for
):
    services.update_project(project=llm_project, by=owner, blind_order=False)
    client = client_for(teammate)
    body = client.get(_annotate_url(llm_project)).content.decode()
    assert 'name="response_order"' not in body
    texts = re.findall(r'<div class="response-text">([^<]*)</div>', body)
    assert texts == [r["text"] for r in RESPONSES]
    item = Item.objects.get(project=llm_project)
    _post(client, llm_project, item, f_preference='{"preferred": 0}')
    annotation = Annotation.objects.get(item=item)
    assert annotation.answer == {"preference": {"preferred": 0}}
    assert annotation.response_order is None


def test_settings_page_toggles_blind_order(llm_project, owner, client_for):
    client = client_for(owner)
    url = reverse("workbench:project_settings", args=[llm_project.pk])
    assert 'name="blind_order"' in client.get(url).content.decode()
    form = {
        "name": llm_project.name,
        "label_schema": json.dumps(LLM_SCHEMA),
        "overlap": 1,
        "ordering": "sequential",
    }
    assert client.post(url, form).status_code == 302  # unticked: off
    llm_project.refresh_from_db()
    assert llm_project.blind_order is False


def test_api_records_the_response_order_and_checks_it(llm_project, owner, teammate, client_for):
    client = client_for(teammate)
    item = client.get(f"{API}/projects/{llm_project.pk}/next").json()["item"]
    path = f"/projects/{llm_project.pk}/annotations"
    answer = {"preference": {"preferred": 1}}
    bad = _api(client, "post", path, {"item": item["id"], "answer": answer, "response_order": [3]})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("response_order: must be a permutation of 0..2")
    ok = _api(
        client, "post", path, {"item": item["id"], "answer": answer, "response_order": [2, 0, 1]}
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["response_order"] == [2, 0, 1]
    assert ok.json()["answer"] == answer  # the API's answer is in the item's own order
    patched = _api(
        client_for(owner), "patch", f"/projects/{llm_project.pk}", {"blind_order": False}
    )
    assert patched.json()["blind_order"] is False


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "row", "message"),
    [
        (SPAN_SCHEMA, {"title": "no text"}, 'data.text: required by field "ents" (spans)'),
        (LLM_SCHEMA, {"prompt": "p", "responses": ["only one"]}, "must hold at least 2 responses"),
        (LLM_SCHEMA, {"prompt": "p", "responses": "a, b"}, "data.responses: must be a list"),
    ],
)
def test_interface_mismatch_is_refused_at_import_naming_line_and_field(
    org, owner, client_for, django_capture_on_commit_callbacks, schema, row, message
):
    project = services.create_project(
        organization=org, created_by=owner, name="Mismatch", label_schema=schema
    )
    good = {"text": "t", "prompt": "p", "responses": ["a", "b"]}
    content = b"\n".join(orjson.dumps(r) for r in [good, row]) + b"\n"
    with django_capture_on_commit_callbacks(execute=True):
        started = client_for(owner).post(
            f"{API}/projects/{project.pk}/imports",
            {"file": SimpleUploadedFile("items.jsonl", content)},
        )
    job = client_for(owner).get(f"{API}/projects/{project.pk}/imports/{started.json()['id']}")
    errors = job.json()["errors"]
    assert [e["line"] for e in errors] == [2]
    assert message in errors[0]["message"]
    assert project.items.count() == 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"ents": [{"start": 0, "end": 40, "label": "PER"}]}, "ents[0].end: 40 is outside"),
        ({"ents": [{"start": 0, "end": 3, "label": "ORG"}]}, 'ents[0].label: unknown label "ORG"'),
        ({"ents": [], "rels": [{"from": 0, "to": 1, "label": "x"}]}, "rels[0].label: unknown"),
    ],
)
def test_api_refuses_bad_spans_by_field(span_project, teammate, client_for, answer, message):
    client = client_for(teammate)
    item = client.get(f"{API}/projects/{span_project.pk}/next").json()["item"]
    path = f"/projects/{span_project.pk}/annotations"
    response = _api(client, "post", path, {"item": item["id"], "answer": answer})
    assert response.status_code == 400
    assert "answer." + message in response.json()["message"]
    assert not Annotation.objects.exists()


def test_api_refuses_a_rating_outside_the_scale(llm_project, teammate, client_for):
    client = client_for(teammate)
    item = client.get(f"{API}/projects/{llm_project.pk}/next").json()["item"]
    answer = {
        "preference": {"preferred": 0},
        "per": [{"correct": 1}, {"correct": 4}, {"correct": 0}],
    }
    path = f"/projects/{llm_project.pk}/annotations"
    response = _api(client, "post", path, {"item": item["id"], "answer": answer})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "answer.per[1].correct: 4 is outside 1..3" in message
    assert "answer.per[2].correct: 0 is outside 1..3" in message
    assert not Annotation.objects.exists()


def test_keys_hint_has_no_stray_separator_without_label_hotkeys(llm_project, teammate, client_for):
    body = client_for(teammate).get(_annotate_url(llm_project)).content.decode()
    hint = re.search(r'<p class="small muted keys">Keys: (.*?)</p>', body)[1]
    assert hint.startswith("<kbd>,</kbd> first better")
    assert "↑" in hint and "Shift" in hint


def test_llm_suggestions_are_shown_in_the_annotators_order(llm_project, teammate, client_for):
    item = Item.objects.get(project=llm_project)
    answer = {
        "preference": {"preferred": 1},
        "order": [1, 2, 0],
        "per": [{"correct": 1}, {"correct": 2}, {"correct": 3}],
    }
    Prediction.objects.create(item=item, model_version="judge", answer=answer, score=0.7)
    body = client_for(teammate).get(_annotate_url(llm_project)).content.decode()
    order, _texts = _shown(body)
    pos = {index: p for p, index in enumerate(order)}  # item index -> shown position
    side = re.search(r'value="(\d)" data-pref-key="[,.]" data-suggested>', body)
    assert order[int(side[1])] == 1
    ranking = json.loads(html.unescape(re.search(r'data-suggested-order="([^"]*)"', body)[1]))
    assert [order[p] for p in ranking] == [1, 2, 0]
    for index, score in ((0, 1), (1, 2), (2, 3)):
        assert f'name="ui_per_correct_{pos[index]}" value="{score}" data-suggested>' in body
    assert "checked" not in body.split('class="answer-field"', 1)[1].split('id="submit-btn"')[0]


def test_text_suggestion_is_shown_beside_an_empty_box(org, owner, teammate, client_for):
    schema = {"fields": [{"name": "summary", "type": "text", "source": "text"}]}
    project = services.create_project(
        organization=org, created_by=owner, name="Sum", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    pred = {"answer": {"summary": "A <short> one."}, "model_version": "sum-1", "score": 0.3}
    services.add_items(
        project=project,
        items=[{"data": {"text": "Long."}, "predictions": [pred]}],
        by=project.created_by,
    )
    body = client_for(teammate).get(_annotate_url(project)).content.decode()
    assert 'data-suggested-for="f_summary">A &lt;short&gt; one.</div>' in body
    assert re.search(r'<textarea name="f_summary"[^>]*></textarea>', body)  # empty


def test_jsonl_export_carries_the_response_order(llm_project, owner, teammate):
    item = Item.objects.get(project=llm_project)
    services.submit_annotation(
        project=llm_project,
        item=item,
        user=teammate,
        answer={"preference": {"preferred": 0}},
        response_order=[2, 1, 0],
    )
    lines = b"".join(
        services.export_stream(
            project=llm_project,
            fmt="jsonl",
            only_labeled=False,
            include_annotations=True,
            by=llm_project.created_by,
        )
    ).splitlines()
    (annotation,) = orjson.loads(lines[0])["annotations"]
    assert annotation["response_order"] == [2, 1, 0]


def test_api_next_carries_the_best_suggestion_in_the_items_order(
    llm_project, project, teammate, outsider, client_for
):
    client = client_for(teammate)
    path = f"{API}/projects/{llm_project.pk}/next"
    assert client.get(path).json()["suggestion"] is None  # no prediction yet
    item = Item.objects.get(project=llm_project)
    answer = {"preference": {"preferred": 1}, "order": [1, 2, 0], "per": [{}, {"correct": 3}, {}]}
    Prediction.objects.create(
        item=item, model_version="low", answer={"order": [0, 1, 2]}, score=0.1
    )
    Prediction.objects.create(item=item, model_version="judge", answer=answer, score=0.7)
    Prediction.objects.create(item=item, model_version="unscored", answer={"order": [2, 1, 0]})
    got = client.get(path).json()
    assert got["item"]["id"] == item.pk
    # Not the annotator's shuffled order (the fixture makes sure it is shuffled for them).
    assert got["suggestion"] == {"model_version": "judge", "score": 0.7, "answer": answer}
    # Fields that no longer fit the schema are left out; with none left, no suggestion.
    nxt = f"{API}/projects/{project.pk}/next"
    classified = Item.objects.get(pk=client.get(nxt).json()["item"]["id"])
    best = Prediction.objects.create(
        item=classified, model_version="v1", answer={"topic": "weather", "x": 1}, score=0.9
    )
    assert client.get(nxt).json()["suggestion"] is None
    best.answer = {"topic": "tech", "x": 1}
    best.save(update_fields=["answer"])
    assert client.get(nxt).json()["suggestion"]["answer"] == {"topic": "tech"}
    assert client_for(outsider).get(path).status_code == 404
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    assert "suggestion" in schema["NextOut"]["properties"]
    assert set(schema["SuggestionOut"]["properties"]) == {"model_version", "score", "answer"}
