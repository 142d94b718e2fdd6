"""The new-project form's task types (text, image, LLM) and the blind-order switch on
project creation: through the page, the service and the API; and the form's behaviour in a
real browser (the source key relabelled per type, Custom pre-filled from the type)."""

import json

import orjson
import pytest
from django.urls import reverse

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.schema import parse_schema

API = "/api/v1"


def _form(org, **overrides):
    form = {
        "organization": org.pk,
        "name": "New one",
        "description": "",
        "instructions": "",
        "task_type": "classification",
        "source": "",
        "labels": "",
        "label_schema": "",
        "overlap": 1,
        "ordering": "sequential",
        "blind_order": "on",
    }
    return form | overrides


def _create(client, org, **overrides):
    response = client.post(reverse("workbench:project_new"), _form(org, **overrides))
    assert response.status_code == 302, response.context["form"].errors
    project = Project.objects.get(name=overrides.get("name", "New one"))
    parse_schema(project.label_schema)  # what the form built is a valid schema
    return project


def _fields(project):
    return {f["name"]: f for f in project.label_schema["fields"]}


@pytest.mark.django_db
def test_image_classification_reads_the_image_key_single_or_multiple(client_for, owner, org):
    client = client_for(owner)
    single = _create(
        client, org, name="Pets", task_type="image_classification", labels="cat:c\ndog"
    )
    field = _fields(single)["label"]
    assert (field["type"], field["source"], field["source_kind"]) == ("choice", "image", "image")
    assert field["multiple"] is False
    assert [lb["value"] for lb in field["labels"]] == ["cat", "dog"]
    several = _create(
        client, org, name="Tags", task_type="image_classification", labels="a\nb", multiple="on",
        source="photo",
    )  # fmt: skip
    field = _fields(several)["label"]
    assert (field["source"], field["multiple"]) == ("photo", True)
    # The image switch does not leak into text classification if left ticked.
    text = _create(client, org, name="Text", task_type="classification", labels="a", multiple="on")
    assert _fields(text)["label"]["multiple"] is False
    assert services.image_keys(several.schema) == ["photo"]


@pytest.mark.django_db
def test_bounding_boxes_read_the_image_key(client_for, owner, org):
    project = _create(client_for(owner), org, task_type="boxes", labels="car:c\nperson:p")
    field = _fields(project)["objects"]
    assert (field["type"], field["source"]) == ("boxes", "image")
    assert [(lb["value"], lb["hotkey"]) for lb in field["labels"]] == [
        ("car", "c"),
        ("person", "p"),
    ]


@pytest.mark.django_db
def test_labelled_types_need_labels_and_report_bad_ones_by_line(client_for, owner, org):
    client = client_for(owner)
    response = client.post(reverse("workbench:project_new"), _form(org, task_type="boxes"))
    assert response.status_code == 400
    assert "labels" in response.context["form"].errors
    form = _form(org, task_type="image_classification", labels="cat:c\ndog:C")
    response = client.post(reverse("workbench:project_new"), form)
    assert any(e.startswith("line 2 (dog)") for e in response.context["form"].errors["labels"])
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_llm_comparison_builds_preference_ratings_rationale_and_rewrite(client_for, owner, org):
    project = _create(client_for(owner), org, task_type="llm_compare")  # no labels needed
    fields = _fields(project)
    assert fields["preference"] | {} == {
        "name": "preference", "type": "pairwise", "source": "responses", "required": True,
        "allow_tie": True, "strength": True,
    }  # fmt: skip
    ratings = fields["ratings"]
    assert ratings["per_response"] is True and ratings["source"] == "responses"
    assert [(c["name"], c["min"], c["max"]) for c in ratings["criteria"]] == [
        ("helpfulness", 1, 5), ("correctness", 1, 5), ("harmlessness", 1, 5),
    ]  # fmt: skip
    assert fields["rationale"]["type"] == "text" and fields["rationale"]["required"] is False
    assert fields["ideal_response"]["source"] == "responses"  # the rewrite box
    assert project.blind_order is True
    # An item of that shape imports, and an answer to it validates.
    data = {"prompt": "Hi?", "responses": ["Hello.", {"text": "Hey!", "model": "m2"}]}
    assert project.schema.validate_item(data) == []
    project.schema.validate_answer(
        {"preference": {"preferred": 1, "strength": 2},
         "ratings": [{"helpfulness": 2}, {"helpfulness": 5, "harmlessness": 5}],
         "rationale": "B greets back.", "ideal_response": "Hey there!"}, data,
    )  # fmt: skip


@pytest.mark.django_db
def test_the_built_llm_schemas_give_working_annotation_pages(client_for, owner, teammate, org):
    # A model name no CSRF token or id on the page can contain by chance.
    item = {
        "prompt": "Hi?",
        "responses": [{"text": "Hello.", "model": "secret-model-name"}, "Hey!", "Yo."],
    }
    for task, marks in (
        ("llm_compare", ['data-rewrite-source="responses"', 'data-criterion="harmlessness"']),
        ("llm_rank", ["ranking-list"]),
    ):
        project = _create(client_for(owner), org, name=task, task_type=task)
        services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
        assert services.add_items(project=project, items=[item], by=project.created_by).added == 1
        page = client_for(teammate).get(reverse("workbench:annotate", args=[project.pk]))
        body = page.content.decode()
        assert page.status_code == 200
        for mark in marks:
            assert mark in body, (task, mark)
        assert "secret-model-name" not in body  # blind by default: model names hidden


@pytest.mark.django_db
def test_llm_ranking_with_a_custom_key_and_blind_order_off(client_for, owner, org):
    project = _create(
        client_for(owner), org, task_type="llm_rank", source="answers", blind_order=""
    )
    fields = _fields(project)
    assert (fields["ranking"]["type"], fields["ranking"]["source"]) == ("ranking", "answers")
    assert "rationale" in fields
    assert project.blind_order is False


@pytest.mark.django_db
def test_page_offers_every_type_with_its_key_label_and_a_valid_template(client_for, owner, org):
    response = client_for(owner).get(reverse("workbench:project_new"))
    templates = response.context["form"].task_templates()
    body = response.content.decode()
    assert json.loads(body.split('id="task-templates" type="application/json">')[1].split("<")[0])
    labels = {t: v["source_label"] for t, v in templates.items()}
    assert labels["boxes"] == labels["image_classification"] == "Image key"
    assert labels["llm_compare"] == labels["llm_rank"] == "Responses key"
    assert labels["ner"] == "Text key"
    for template in templates.values():
        parse_schema(template["schema"])
    assert 'name="blind_order"' in body and "checked" in body.split('name="blind_order"')[1][:40]


@pytest.mark.django_db
def test_service_and_api_take_blind_order_defaulting_to_on(client_for, owner, org, outsider):
    schema = {"fields": [{"name": "r", "type": "ranking", "source": "responses"}]}
    made = services.create_project(
        organization=org, created_by=owner, name="S", label_schema=schema
    )
    assert made.blind_order is True
    client = client_for(owner)
    for body, expected in (({}, True), ({"blind_order": False}, False)):
        payload = {"organization": org.slug, "name": f"A{expected}", "label_schema": schema}
        response = client.post(
            f"{API}/projects", orjson.dumps(payload | body), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["blind_order"] is expected
        assert Project.objects.get(pk=response.json()["id"]).blind_order is expected
    denied = client_for(outsider).post(
        f"{API}/projects",
        orjson.dumps({"organization": org.slug, "name": "X", "label_schema": schema}),
        content_type="application/json",
    )
    assert denied.status_code == 404


# --- in the browser ---------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_form_relabels_the_key_and_prefills_custom_per_type(live_server, browser_page, owner, org):
    from conftest import PASSWORD

    page, errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")
    page.goto(f"{live_server.url}/projects/new/")
    blind = page.locator("input[name=blind_order]")
    assert page.locator("label[for=id_source]").inner_text() == "Text key:"
    assert not blind.is_visible()

    page.select_option("select[name=task_type]", "boxes")
    assert page.locator("label[for=id_source]").inner_text() == "Image key:"
    assert page.input_value("input[name=source]") == "image"
    page.fill("textarea[name=labels]", "car:c\nperson")
    page.select_option("select[name=task_type]", "custom")
    schema = json.loads(page.input_value("textarea[name=label_schema]"))
    assert schema == {"fields": [{"name": "objects", "type": "boxes", "source": "image",
                                  "labels": [{"value": "car", "hotkey": "c"},
                                             {"value": "person"}]}]}  # fmt: skip

    page.fill("textarea[name=label_schema]", "")
    page.select_option("select[name=task_type]", "llm_compare")
    assert page.locator("label[for=id_source]").inner_text() == "Responses key:"
    assert page.input_value("input[name=source]") == "responses"
    assert blind.is_visible() and blind.is_checked()
    assert not page.locator("textarea[name=labels]").is_visible()
    page.select_option("select[name=task_type]", "custom")
    types = [
        f["type"] for f in json.loads(page.input_value("textarea[name=label_schema]"))["fields"]
    ]
    assert types == ["pairwise", "rating", "text", "text"]

    page.select_option("select[name=task_type]", "llm_rank")
    blind.uncheck()
    page.fill("input[name=name]", "Ranked")
    page.click("#project-form button[type=submit]")
    page.wait_for_url("**/import/")
    project = Project.objects.get(name="Ranked")
    assert project.blind_order is False
    assert project.label_schema["fields"][0]["type"] == "ranking"
    assert errors == []
