"""What annotators see of an item (workbench/visibility.py): the data keys the schema reads
plus the ones the manager lists (Project.annotator_fields), the external id only when the
project says so; managers and reviewers see the whole item outside the annotation page.
"""

import pytest
from django.urls import reverse

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Comment, Item
from trainerdesk.workbench.tests.test_project_views import settings_form

API = "/api/v1"
LEAKY = {"text": "A late goal won it.", "title": "Cup final", "file": "sport/0042.txt"}


@pytest.fixture
def leaky(project, owner):
    """The shape of the BBC demo's old items: the answer in a file name and the ext. id."""
    services.add_items(
        project=project, items=[{"data": LEAKY, "external_id": "sport/42"}], by=project.created_by
    )
    return Item.objects.get(project=project, external_id="sport/42")


def _hold(client, project, item):
    """Take items from the queue until `item` is the one leased (the fixture has four)."""
    for _ in range(5):
        body = client.get(f"{API}/projects/{project.pk}/next").json()
        if body["item"]["id"] == item.pk:
            return body
        client.post(
            f"{API}/projects/{project.pk}/annotations",
            {"item": body["item"]["id"], "skipped": True},
            content_type="application/json",
        )
    raise AssertionError("the item never came")


def test_annotators_see_only_what_the_schema_reads(client_for, teammate, project, leaky):
    client = client_for(teammate)
    nxt = _hold(client, project, leaky)
    assert nxt["item"] == {"id": leaky.pk, "external_id": None, "data": {"text": LEAKY["text"]}}
    one = client.get(f"{API}/projects/{project.pk}/items/{leaky.pk}").json()
    assert (one["data"], one["external_id"]) == ({"text": LEAKY["text"]}, None)
    listed = client.get(f"{API}/projects/{project.pk}/items").json()["items"]
    assert {"file", "title"}.isdisjoint(k for i in listed for k in i["data"])
    assert all(i["external_id"] is None for i in listed)

    page = client.get(reverse("workbench:annotate", args=[project.pk])).content.decode()
    assert LEAKY["text"] in page
    for hidden in ("sport/0042.txt", "sport/42", "Cup final"):
        assert hidden not in page

    detail = client.get(reverse("workbench:item_detail", args=[project.pk, leaky.pk]))
    html = detail.content.decode()
    assert LEAKY["text"] in html and "sport/0042" not in html and "sport/42" not in html


def test_managers_see_the_whole_item_but_annotate_blind(client_for, owner, project, leaky):
    client = client_for(owner)
    one = client.get(f"{API}/projects/{project.pk}/items/{leaky.pk}").json()
    assert (one["data"], one["external_id"]) == (LEAKY, "sport/42")
    html = client.get(reverse("workbench:item_detail", args=[project.pk, leaky.pk])).content
    assert b"sport/0042.txt" in html and b"sport/42" in html
    # Annotating, a manager gets the annotator view: their answers count as much.
    nxt = _hold(client, project, leaky)
    assert nxt["item"]["data"] == {"text": LEAKY["text"]}
    page = client.get(reverse("workbench:annotate", args=[project.pk])).content.decode()
    assert "sport/0042.txt" not in page and "sport/42" not in page


def test_the_manager_chooses_fields_and_external_ids(client_for, owner, teammate, project, leaky):
    client = client_for(owner)
    response = client.patch(
        f"{API}/projects/{project.pk}",
        {"annotator_fields": ["title", "file"], "annotators_see_external_id": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["annotator_fields"] == ["title", "file"]
    assert response.json()["annotators_see_external_id"] is True

    client = client_for(teammate)
    nxt = _hold(client, project, leaky)
    assert nxt["item"]["data"] == LEAKY
    assert nxt["item"]["external_id"] == "sport/42"
    page = client.get(reverse("workbench:annotate", args=[project.pk])).content.decode()
    assert '<h2 class="item-title">Cup final</h2>' in page
    assert "<dt>file</dt><dd>sport/0042.txt</dd>" in page
    assert "sport/42" in page


def test_bad_annotator_fields_are_refused_by_name(client_for, owner, project):
    client = client_for(owner)
    response = client.patch(
        f"{API}/projects/{project.pk}",
        {"annotator_fields": ["title", " "]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "annotator_fields: [1]: must be a non-empty string" in response.content.decode()
    with pytest.raises(services.InvalidInput, match="annotator_fields: must be a list"):
        services.update_project(project=project, by=owner, annotator_fields="title")
    project.refresh_from_db()
    assert project.annotator_fields == []


def test_settings_form_sets_the_annotator_view(client_for, owner, project):
    url = reverse("workbench:project_settings", args=[project.pk])
    client = client_for(owner)
    assert 'name="annotator_fields"' in client.get(url).content.decode()
    chosen = {"annotator_fields": "title, file,title", "annotators_see_external_id": "on"}
    response = client.post(url, settings_form(project, **chosen))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.annotator_fields == ["title", "file"]
    assert project.annotators_see_external_id
    assert 'value="title, file"' in client.get(url).content.decode()
    # A form posted without the setting (an older page) leaves it alone.
    client.post(url, settings_form(project, name="Renamed"))
    project.refresh_from_db()
    assert (project.name, project.annotator_fields) == ("Renamed", ["title", "file"])
    assert project.annotators_see_external_id


def test_the_inbox_hides_external_ids_from_annotators(client_for, owner, teammate, project, leaky):
    client = client_for(teammate)
    _hold(client, project, leaky)
    result = services.post_comment(
        project=project, item=leaky, author=owner, body="@teammate look", parent=None
    )
    assert Comment.objects.filter(pk=result.comment.pk).exists()
    assert "sport/42" not in client.get(reverse("workbench:inbox")).content.decode()
    services.update_project(project=project, by=owner, annotators_see_external_id=True)
    assert "sport/42" in client.get(reverse("workbench:inbox")).content.decode()


def test_a_new_project_can_list_fields_for_annotators(client_for, owner, org):
    from conftest import TOPIC_SCHEMA

    response = client_for(owner).post(
        f"{API}/projects",
        {"organization": org.pk, "name": "Titled", "label_schema": TOPIC_SCHEMA,
         "annotator_fields": ["title"]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["annotator_fields"], body["annotators_see_external_id"]) == (["title"], False)
