"""The annotation page through the HTTP client: full pages, htmx partials, denials."""

import html
import json
import re
import uuid

import pytest
from django.urls import reverse

from trainerdesk.workbench.models import Annotation, Item

HTMX = {"HTTP_HX_REQUEST": "true"}


def _urls(project):
    return {
        name: reverse(f"workbench:{name}", args=[project.pk])
        for name in ("annotate", "annotate_submit", "annotate_back", "annotate_progress")
    }


def _post(client, project, item, *, headers=HTMX, **fields):
    data = {"item": item.pk, "client_id": str(uuid.uuid4()), "lead_time": "3.5", **fields}
    return client.post(_urls(project)["annotate_submit"], data, **headers)


def test_page_shows_the_first_item_with_hotkeys(project, teammate, client_for):
    response = client_for(teammate).get(_urls(project)["annotate"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Shares rose sharply." in body
    assert 'data-key="b"' in body and "<kbd>Enter</kbd>" in body
    assert "<html" in body  # a full page for a normal request


def test_submit_via_htmx_returns_the_next_item_as_a_partial(project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(project)["annotate"])
    first = Item.objects.get(data__text="Shares rose sharply.")
    response = _post(client, project, first, f_topic="business")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="workspace"' in body
    assert "A late goal won it." in body
    assert response["HX-Trigger"] == "answered"
    annotation = Annotation.objects.get(item=first, annotator=teammate)
    assert annotation.answer == {"topic": "business"}
    assert annotation.lead_time == 3.5


def test_submit_without_htmx_redirects_back_to_the_queue(project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(project)["annotate"])
    first = Item.objects.get(data__text="Shares rose sharply.")
    response = _post(client, project, first, headers={}, f_topic="sport")
    assert response.status_code == 302
    assert response["Location"] == _urls(project)["annotate"]


def test_missing_label_is_explained_and_nothing_is_stored(project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(project)["annotate"])
    first = Item.objects.get(data__text="Shares rose sharply.")
    response = _post(client, project, first)
    assert response.status_code == 422
    assert "topic" in response.content.decode()
    assert not Annotation.objects.exists()


def test_skip_records_the_reason(project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(project)["annotate"])
    first = Item.objects.get(data__text="Shares rose sharply.")
    _post(client, project, first, action="skip", skip_reason="context")
    annotation = Annotation.objects.get(item=first)
    assert annotation.skipped and annotation.skip_reason == "context"


def test_back_then_change_the_answer(project, teammate, client_for):
    client = client_for(teammate)
    urls = _urls(project)
    client.get(urls["annotate"])
    first = Item.objects.get(data__text="Shares rose sharply.")
    _post(client, project, first, f_topic="business")
    second = Item.objects.get(data__text="A late goal won it.")
    response = client.get(urls["annotate_back"] + f"?before={second.pk}", **HTMX)
    body = response.content.decode()
    assert "Shares rose sharply." in body
    assert 'value="business" data-key="b" checked' in body
    _post(client, project, first, f_topic="tech")
    assert Annotation.objects.get(item=first).answer == {"topic": "tech"}
    # The changed answer returns the annotator to the item they still hold.
    assert "A late goal won it." in client.get(urls["annotate"]).content.decode()


def test_double_submit_with_the_same_client_id_stores_one_annotation(project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(project)["annotate"])
    first = Item.objects.get(data__text="Shares rose sharply.")
    key = str(uuid.uuid4())
    _post(client, project, first, f_topic="business", client_id=key)
    _post(client, project, first, f_topic="business", client_id=key)
    assert Annotation.objects.filter(item=first).count() == 1


def test_progress_partial_counts_my_work(project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(project)["annotate"])
    _post(client, project, Item.objects.get(data__text="Shares rose sharply."), f_topic="sport")
    body = client.get(_urls(project)["annotate_progress"], **HTMX).content.decode()
    assert "<strong>1</strong> / 3 items complete" in body
    assert "mine today: <strong>1</strong>" in body


def test_done_page_when_the_queue_is_empty(project, teammate, client_for):
    client = client_for(teammate)
    for _ in range(3):
        client.get(_urls(project)["annotate"])
        item = Item.objects.filter(leases__annotator=teammate).get()
        _post(client, project, item, f_topic="tech")
    assert "All done for now" in client.get(_urls(project)["annotate"]).content.decode()


@pytest.mark.parametrize("name", ["annotate", "annotate_back", "annotate_progress"])
def test_outsider_gets_404_on_every_annotation_url(project, outsider, client_for, name):
    assert client_for(outsider).get(_urls(project)[name]).status_code == 404


def test_outsider_cannot_submit_to_an_item(project, outsider, client_for):
    item = Item.objects.first()
    response = _post(client_for(outsider), project, item, f_topic="tech")
    assert response.status_code == 404
    assert not Annotation.objects.exists()


def test_item_of_another_project_is_404(project, org, owner, teammate, client_for):
    from conftest import TOPIC_SCHEMA
    from trainerdesk.workbench import services

    other = services.create_project(
        organization=org, created_by=owner, name="Other", label_schema=TOPIC_SCHEMA
    )
    services.add_items(project=other, items=[{"text": "elsewhere"}], by=other.created_by)
    foreign = Item.objects.get(project=other)
    response = _post(client_for(teammate), project, foreign, f_topic="tech")
    assert response.status_code == 404


def test_anonymous_user_is_sent_to_login(project, client):
    response = client.get(_urls(project)["annotate"])
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_absurd_ids_are_404_not_errors(project, teammate, client_for):
    client = client_for(teammate)
    huge = 10**30
    assert client.get(f"/projects/{huge}/annotate/").status_code == 404
    response = client.post(
        reverse("workbench:annotate_submit", args=[project.pk]), {"item": str(huge)}
    )
    assert response.status_code == 404


# --- spans (NER) ---------------------------------------------------------------------

SPAN_TEXT = "Ada Lovelace met Charles Babbage in London"
SPAN_SCHEMA = {
    "fields": [
        {
            "name": "ents",
            "type": "spans",
            "source": "text",
            "labels": [{"value": "PER", "hotkey": "p"}, {"value": "ORG", "hotkey": "o"}],
        }
    ]
}


@pytest.fixture
def span_project(org, owner, teammate):
    from trainerdesk.workbench import services

    project = services.create_project(
        organization=org, created_by=owner, name="People", label_schema=SPAN_SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project,
        items=[{"text": SPAN_TEXT}, {"text": "Second <b>one</b>"}],
        by=project.created_by,
    )
    return project


def _span_item(project):
    return Item.objects.get(project=project, data__text=SPAN_TEXT)


def test_spans_page_renders_tokens_with_offsets_and_label_keys(span_project, teammate, client_for):
    body = client_for(teammate).get(_urls(span_project)["annotate"]).content.decode()
    assert 'data-starts="0 4 13 17 25 33 36"' in body
    assert 'data-ends="3 12 16 24 32 35 42"' in body
    assert '<span class="tok" data-i="6">London</span>' in body
    assert 'data-span-key="p"' in body and 'data-span-key="o"' in body
    assert "not in the web page yet" not in body  # spans is no longer an API-only type


def test_spans_tokens_are_escaped(span_project, owner, teammate, client_for):
    from trainerdesk.workbench import services

    client = client_for(teammate)
    client.get(_urls(span_project)["annotate"])
    item = Item.objects.get(project=span_project, data__text="Second <b>one</b>")
    services.assign_items(project=span_project, item_ids=[item.pk], assignee=teammate, by=owner)
    body = client.get(_urls(span_project)["annotate"] + f"?item={item.pk}").content.decode()
    # Tokens split punctuation (as CoNLL-2003 does), so "<b>" arrives as escaped pieces.
    assert "<b>" not in body
    assert '<span class="tok" data-i="1">&lt;</span><span class="tok" data-i="2">b</span>' in body


def test_span_answer_is_stored_exactly(span_project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(span_project)["annotate"])
    item = _span_item(span_project)
    spans = [{"start": 36, "end": 42, "label": "ORG"}, {"start": 0, "end": 12, "label": "PER"}]
    response = _post(client, span_project, item, f_ents=json.dumps(spans))
    assert response.status_code == 200
    assert Annotation.objects.get(item=item).answer == {
        "ents": [
            {"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"},
            {"start": 36, "end": 42, "label": "ORG", "text": "London"},
        ]
    }


def test_empty_span_list_is_a_valid_answer(span_project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(span_project)["annotate"])
    item = _span_item(span_project)
    assert _post(client, span_project, item, f_ents="[]").status_code == 200
    assert Annotation.objects.get(item=item).answer == {"ents": []}


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ('[{"start": 36, "end": 99, "label": "ORG"}]', "ents[0].end: 99 is outside the text"),
        ('[{"start": 0, "end": 3, "label": "LOC"}]', 'ents[0].label: unknown label "LOC"'),
        ('[{"start": 0, "end": 3, "label": "PER"', "ents: not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "ents: not valid JSON"),
        (
            '[{"start": 0, "end": 12, "label": "PER"}, {"start": 4, "end": 16, "label": "ORG"}]',
            "ents[1]: overlaps ents[0]",
        ),
    ],
)
def test_bad_span_answers_are_refused_naming_the_field(
    span_project, teammate, client_for, posted, message
):
    client = client_for(teammate)
    client.get(_urls(span_project)["annotate"])
    item = _span_item(span_project)
    response = _post(client, span_project, item, f_ents=posted)
    assert response.status_code == 422
    assert message in html.unescape(response.content.decode())
    assert not Annotation.objects.exists()


def test_going_back_shows_the_stored_spans(span_project, teammate, client_for):
    client = client_for(teammate)
    urls = _urls(span_project)
    client.get(urls["annotate"])
    item = _span_item(span_project)
    _post(client, span_project, item, f_ents='[{"start": 17, "end": 32, "label": "PER"}]')
    response = client.get(urls["annotate_back"] + "?before=", **HTMX)
    body = html.unescape(response.content.decode())
    assert f'data-item="{item.pk}"' in body
    assert '[{"start": 17, "end": 32, "label": "PER"}]' in body


def test_span_tokens_keep_python_offsets_and_paragraphs(span_project, owner, teammate, client_for):
    from trainerdesk.workbench import services

    services.add_items(
        project=span_project, items=[{"text": "😀 Ada\n\nLondon"}], by=span_project.created_by
    )
    client = client_for(teammate)
    client.get(_urls(span_project)["annotate"])
    item = Item.objects.get(project=span_project, data__text="😀 Ada\n\nLondon")
    services.assign_items(project=span_project, item_ids=[item.pk], assignee=teammate, by=owner)
    body = client.get(_urls(span_project)["annotate"] + f"?item={item.pk}").content.decode()
    # Offsets count characters as the API does (the emoji is one), not UTF-16 units.
    assert 'data-starts="0 2 7"' in body and 'data-ends="1 5 13"' in body
    assert '<span class="tok" data-i="1">Ada</span>\n\n</div><div class="para">' in body


RELATION_SCHEMA = {
    "fields": [
        SPAN_SCHEMA["fields"][0],
        {
            "name": "rels",
            "type": "relations",
            "spans": "ents",
            "labels": [{"value": "met", "hotkey": "m"}],
        },
    ]
}


@pytest.fixture
def relation_project(org, owner, teammate):
    from trainerdesk.workbench import services

    project = services.create_project(
        organization=org, created_by=owner, name="Who met whom", label_schema=RELATION_SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[{"text": SPAN_TEXT}], by=project.created_by)
    return project


def test_relation_answer_is_stored_and_shown_again(relation_project, teammate, client_for):
    client = client_for(teammate)
    urls = _urls(relation_project)
    body = client.get(urls["annotate"]).content.decode()
    assert 'data-rel-key="m"' in body and "not in the web page yet" not in body
    item = Item.objects.get(project=relation_project)
    spans = '[{"start": 17, "end": 32, "label": "PER"}, {"start": 0, "end": 12, "label": "PER"}]'
    rels = '[{"from": 0, "to": 1, "label": "met"}]'
    assert _post(client, relation_project, item, f_ents=spans, f_rels=rels).status_code == 200
    answer = Annotation.objects.get(item=item).answer
    assert answer["rels"] == [{"from": 0, "to": 1, "label": "met"}]
    assert [s["text"] for s in answer["ents"]] == ["Ada Lovelace", "Charles Babbage"]
    body = html.unescape(client.get(urls["annotate"] + f"?item={item.pk}").content.decode())
    assert 'value="[{"from": 0, "to": 1, "label": "met"}]"' in body


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ('[{"from": 0, "to": 5, "label": "met"}]', "rels[0].to: 5 is not a span index of ents"),
        ('[{"from": 0, "to": 1, "label": "saw"}]', 'rels[0].label: unknown label "saw"'),
        ("{from: 0}", "rels: not valid JSON"),
    ],
)
def test_bad_relations_are_refused_naming_the_field(
    relation_project, teammate, client_for, posted, message
):
    client = client_for(teammate)
    client.get(_urls(relation_project)["annotate"])
    item = Item.objects.get(project=relation_project)
    spans = '[{"start": 0, "end": 12, "label": "PER"}, {"start": 17, "end": 32, "label": "PER"}]'
    response = _post(client, relation_project, item, f_ents=spans, f_rels=posted)
    assert response.status_code == 422
    assert message in html.unescape(response.content.decode())
    assert not Annotation.objects.exists()


# --- LLM-response evaluation: pairwise, ranking, ratings, rewrite -----------------------------

LLM_SCHEMA = {
    "fields": [
        {"name": "preference", "type": "pairwise", "source": "responses", "strength": True},
        {"name": "order", "type": "ranking", "source": "responses"},
        {
            "name": "quality",
            "type": "rating",
            "source": "responses",
            "criteria": [
                {"name": "helpfulness", "min": 1, "max": 5},
                {"name": "harmlessness", "min": 1, "max": 3},
            ],
        },
        {
            "name": "per",
            "type": "rating",
            "source": "responses",
            "per_response": True,
            "criteria": [{"name": "correctness", "min": 1, "max": 4}],
        },
        {"name": "rewrite", "type": "text", "source": "responses"},
        {"name": "rationale", "type": "text"},
    ]
}
LLM_ITEM = {
    "prompt": "Name a <prime> number.",
    "responses": [
        {"text": "Seven.", "model": "secret-model-x"},
        "Nine is prime.",
        {"text": "Two, the only even prime.", "model": "secret-model-y"},
    ],
}


@pytest.fixture
def llm_project(org, owner, teammate):
    from trainerdesk.workbench import services

    project = services.create_project(
        organization=org, created_by=owner, name="Prefs", label_schema=LLM_SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[LLM_ITEM], by=project.created_by)
    return project


def _llm_answer(**overrides):
    answer = {
        "f_preference": json.dumps({"preferred": 1, "strength": 2}),
        "f_order": "[2, 0, 1]",
        "f_quality": json.dumps({"helpfulness": 4, "harmlessness": 3}),
        "f_per": json.dumps([{"correctness": 4}, {"correctness": 1}, {"correctness": 3}]),
        "f_rewrite": "Nine is not prime; seven is.",
        "f_rationale": "A is right, B is wrong.",
    }
    return answer | overrides


def test_llm_page_shows_prompt_responses_and_controls_without_model_names(
    llm_project, teammate, client_for
):
    body = client_for(teammate).get(_urls(llm_project)["annotate"]).content.decode()
    assert "not in the web page yet" not in body
    assert "Name a &lt;prime&gt; number." in body
    assert '<div class="response-text">Seven.</div>' in body
    assert '<div class="response-text">Two, the only even prime.</div>' in body
    assert "responses-grid" in body and "Response C" in body
    assert "secret-model" not in body
    assert (
        'data-pref-key=","' in body and 'data-pref-key="."' in body and 'data-pref-key="/"' in body
    )
    assert 'name="ui_preference_strength" value="3"' in body
    assert body.count('class="ranking-row"') == 3
    assert 'name="ui_quality_helpfulness" value="5"' in body
    assert 'name="ui_quality_helpfulness" value="6"' not in body
    assert 'name="ui_per_correctness_2" value="4"' in body
    assert 'data-rewrite-source="responses"' in body


def test_two_responses_are_shown_in_two_columns(llm_project, teammate, client_for):
    from trainerdesk.workbench import services

    services.add_items(
        project=llm_project,
        items=[{"prompt": "Hi", "responses": ["a", "b"]}],
        by=llm_project.created_by,
    )
    client = client_for(teammate)
    item = Item.objects.get(project=llm_project, data__prompt="Hi")
    client.get(_urls(llm_project)["annotate"])
    _post(
        client,
        llm_project,
        Item.objects.get(project=llm_project, data__prompt=LLM_ITEM["prompt"]),
        **_llm_answer(),
    )
    body = client.get(_urls(llm_project)["annotate"]).content.decode()
    assert f'data-item="{item.pk}"' in body
    assert "responses-2" in body and "Response C" not in body


def test_llm_answer_is_stored_exactly(llm_project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(llm_project)["annotate"])
    item = Item.objects.get(project=llm_project)
    response = _post(client, llm_project, item, **_llm_answer())
    assert response.status_code == 200
    assert Annotation.objects.get(item=item).answer == {
        "preference": {"preferred": 1, "strength": 2},
        "order": [2, 0, 1],
        "quality": {"helpfulness": 4, "harmlessness": 3},
        "per": [{"correctness": 4}, {"correctness": 1}, {"correctness": 3}],
        "rewrite": "Nine is not prime; seven is.",
        "rationale": "A is right, B is wrong.",
    }


def test_a_tie_is_stored_without_strength(llm_project, teammate, client_for):
    client = client_for(teammate)
    client.get(_urls(llm_project)["annotate"])
    item = Item.objects.get(project=llm_project)
    answer = _llm_answer(f_preference='{"preferred": "tie"}', f_order="", f_per="")
    assert _post(client, llm_project, item, **answer).status_code == 200
    stored = Annotation.objects.get(item=item).answer
    assert stored["preference"] == {"preferred": "tie"}
    assert "order" not in stored and "per" not in stored


@pytest.mark.parametrize(
    ("field", "posted", "message"),
    [
        ("f_quality", '{"helpfulness": 6}', "quality.helpfulness: 6 is outside 1..5"),
        ("f_quality", '{"helpfulness": 4', "quality: not valid JSON"),
        ("f_per", '[{"correctness": 4}]', "per: must be a list of 3 ratings"),
        ("f_order", "[0, 0, 1]", "order: must be a permutation of 0..2"),
        ("f_order", "[0, 1]", "order: must be a permutation of 0..2 (missing 2)"),
        ("f_order", '[0, 1, 2, "x"]', "order: must be a list of response indexes"),
        ("f_preference", '{"preferred": 1}', "preference.strength: must be 1, 2 or 3"),
        ("f_preference", '{"preferred": 2, "strength": 1}', "preference.preferred: must be"),
        ("f_preference", "", "preference"),
    ],
)
def test_bad_llm_answers_are_refused_naming_the_field(
    llm_project, teammate, client_for, field, posted, message
):
    client = client_for(teammate)
    client.get(_urls(llm_project)["annotate"])
    item = Item.objects.get(project=llm_project)
    response = _post(client, llm_project, item, **_llm_answer(**{field: posted}))
    assert response.status_code == 422
    assert message in html.unescape(response.content.decode())
    assert not Annotation.objects.exists()


def test_a_tie_is_refused_when_the_field_does_not_allow_it(org, owner, teammate, client_for):
    from trainerdesk.workbench import services

    schema = {"fields": [{"name": "pick", "type": "pairwise", "source": "r", "allow_tie": False}]}
    project = services.create_project(
        organization=org, created_by=owner, name="No ties", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project, items=[{"prompt": "p", "r": ["x", "y"]}], by=project.created_by
    )
    client = client_for(teammate)
    body = client.get(_urls(project)["annotate"]).content.decode()
    assert 'data-pref-key="/"' not in body  # no tie button either
    item = Item.objects.get(project=project)
    response = _post(client, project, item, f_pick='{"preferred": "tie"}')
    assert response.status_code == 422
    assert "pick.preferred: a tie is not allowed" in html.unescape(response.content.decode())
    assert not Annotation.objects.exists()


def test_going_back_shows_the_stored_llm_answer(llm_project, teammate, client_for):
    client = client_for(teammate)
    urls = _urls(llm_project)
    client.get(urls["annotate"])
    item = Item.objects.get(project=llm_project)
    _post(client, llm_project, item, **_llm_answer())
    body = client.get(urls["annotate_back"] + "?before=", **HTMX).content.decode()
    assert f'data-item="{item.pk}"' in body
    # Compare parsed JSON: PostgreSQL's jsonb hands the keys back in its own order.
    stored = re.search(r'name="f_preference" value="([^"]*)"', body)
    assert json.loads(html.unescape(stored[1])) == {"preferred": 1, "strength": 2}
    assert 'name="ui_preference_preferred" value="1" data-pref-key="." checked' in body
    assert 'name="ui_preference_strength" value="2" checked' in body
    assert 'name="ui_quality_helpfulness" value="4" checked' in body
    assert 'name="ui_quality_harmlessness" value="3" checked' in body
    assert 'name="ui_per_correctness_1" value="1" checked' in body
    rows = [int(i) for i in re.findall(r'class="ranking-row" data-index="(\d+)"', body)]
    assert rows == [2, 0, 1]
    assert "Nine is not prime; seven is.</textarea>" in body
    assert "Ranking recorded." in body
