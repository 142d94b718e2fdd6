"""A pairwise field over two data keys (Label Studio's <Pairwise toName="left,right">)."""

import html
import json
import re

import pytest

from trainerdesk.workbench import blind, formats, services
from trainerdesk.workbench.models import Annotation, Item
from trainerdesk.workbench.schema import SchemaError, parse_schema
from trainerdesk.workbench.tests.test_annotate_views import _post, _urls

FIELD = {"name": "preference", "type": "pairwise", "sources": ["left", "right"]}
ITEM = {"prompt": "Capital of France?", "left": "Lyon.", "right": "Paris."}


def test_sources_parse_validate_and_round_trip():
    schema = parse_schema({"fields": [FIELD]})
    assert schema.to_dict()["fields"][0]["sources"] == ["left", "right"]
    assert parse_schema(schema.to_dict()) == schema
    assert schema.validate_item(ITEM) == []
    assert schema.validate_item({"left": "x"}) == [
        'data.right: required by field "preference" (pairwise) but missing'
    ]
    assert schema.validate_answer({"preference": {"preferred": 1}}, ITEM) == {
        "preference": {"preferred": 1}
    }


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (FIELD | {"sources": ["left"]}, "fields[0].sources: must be a list of at least 2"),
        (FIELD | {"source": "r"}, "fields[0]: give source (one list of responses) or sources"),
        (FIELD | {"sources": ["a", "a"]}, "fields[0].sources: each data key may appear once"),
    ],
)
def test_bad_sources_are_refused_by_path(field, message):
    with pytest.raises(SchemaError) as exc:
        parse_schema({"fields": [field]})
    assert any(e.startswith(message) for e in exc.value.errors), exc.value.errors


def test_label_studio_left_right_map_both_ways():
    fields = [FIELD]
    for selected, preferred in (("left", 0), ("right", 1)):
        result = formats.answer_to_ls_result({"preference": {"preferred": preferred}}, fields, ITEM)
        assert result == [
            {
                "from_name": "preference",
                "to_name": "preference",  # as Label Studio writes <Pairwise> regions
                "type": "pairwise",
                "value": {"selected": selected},
            }
        ]
        assert formats.ls_result_to_answer(result, fields) == {
            "preference": {"preferred": preferred}
        }


def test_annotation_page_shows_both_texts_blind_and_stores_the_items_order(
    org, owner, teammate, client_for
):
    project = services.create_project(
        organization=org, created_by=owner, name="LS pairs", label_schema={"fields": [FIELD]}
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[ITEM], by=project.created_by)
    item = Item.objects.get(project=project)
    client = client_for(teammate)
    body = client.get(_urls(project)["annotate"]).content.decode()
    texts = re.findall(r'<div class="response-text">([^<]*)</div>', body)
    raw = re.search(r'name="response_order" value="([^"]*)"', body)[1]
    order = json.loads(html.unescape(raw))["left+right"]
    shuffle = blind.shown_order(item_id=item.pk, user_id=teammate.pk, source="left+right", n=2)
    assert order == shuffle
    assert texts == [["Lyon.", "Paris."][i] for i in order]
    assert "Capital of France?" in body
    # The annotator picks "Paris." where it was shown.
    shown_paris = order.index(1)
    response = _post(
        client,
        project,
        item,
        response_order=json.dumps({"left+right": order}),
        f_preference=json.dumps({"preferred": shown_paris}),
    )
    assert response.status_code == 200, response.content.decode()[:500]
    annotation = Annotation.objects.get(item=item)
    assert annotation.answer == {"preference": {"preferred": 1}}  # right, in item order
    tasks = json.loads(
        b"".join(
            services.export_stream(
                project=project,
                fmt="labelstudio",
                only_labeled=False,
                include_annotations=True,
                by=project.created_by,
            )
        )
    )
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"selected": "right"}


def test_review_page_shows_both_texts_as_the_two_responses(org, owner, teammate, client_for):
    from django.urls import reverse

    project = services.create_project(
        organization=org, created_by=owner, name="LS pairs", label_schema={"fields": [FIELD]}
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[ITEM], by=project.created_by)
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(
        project=project, item=item, user=teammate, answer={"preference": {"preferred": 1}}
    )
    page = client_for(owner).get(reverse("quality:review", args=[project.pk])).content.decode()
    texts = re.findall(r'<div class="response-text">([^<]*)</div>', page)
    assert texts == ["Lyon.", "Paris."]
    assert "B is better" in page
