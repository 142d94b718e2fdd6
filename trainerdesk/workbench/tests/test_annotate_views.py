"""The annotation page through the HTTP client: full pages, htmx partials, denials."""

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
    services.add_items(project=other, items=[{"text": "elsewhere"}])
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
