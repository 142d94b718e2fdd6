"""Answers and skips only for items the queue gave the annotator (leased or assigned to
them) or that they answered before: never for any item id they can guess, which would also
open that item's comments to them (issue 8, section 6)."""

import uuid

import orjson
import pytest

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item

API = "/api/v1"


def _api_submit(client, project, item, **body):
    payload = {"item": item.pk, "answer": {"topic": "sport"}, **body}
    return client.post(
        f"{API}/projects/{project.pk}/annotations",
        orjson.dumps(payload).decode(),
        content_type="application/json",
    )


def _page_submit(client, project, item, **fields):
    data = {"item": item.pk, "f_topic": "sport", "client_id": str(uuid.uuid4()), **fields}
    return client.post(f"/projects/{project.pk}/annotate/submit/", data, HTTP_HX_REQUEST="true")


@pytest.fixture
def leased_and_other(project, teammate):
    """The teammate holds a lease on one item; `other` was never given to them."""
    leased = services.next_item(project=project, user=teammate)
    other = project.items.exclude(pk=leased.pk).order_by("id").first()
    return leased, other


@pytest.mark.parametrize("skipped", [False, True])
def test_api_refuses_an_item_not_leased_to_the_annotator(
    project, teammate, client_for, leased_and_other, skipped
):
    _, other = leased_and_other
    response = _api_submit(client_for(teammate), project, other, skipped=skipped)
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"item {other.pk} is not leased to you (or your lease on it expired): "
        "ask for your next item"
    )
    assert not Annotation.objects.filter(item=other).exists()
    other.refresh_from_db()
    assert other.done_count == 0 and other.skip_count == 0


def test_api_refuses_a_skip_on_an_item_that_has_all_its_answers(
    project, owner, teammate, client_for
):
    full = project.items.order_by("id").last()
    services.submit_annotation(project=project, item=full, user=owner, answer={"topic": "tech"})
    response = _api_submit(client_for(teammate), project, full, skipped=True)
    assert response.status_code == 409 and "not leased to you" in response.json()["message"]
    assert Annotation.objects.filter(item=full).count() == 1


@pytest.mark.parametrize("action", ["", "skip"])
def test_page_refuses_an_item_not_leased_to_the_annotator(
    project, teammate, client_for, leased_and_other, action
):
    _, other = leased_and_other
    leased, other = leased_and_other
    response = _page_submit(client_for(teammate), project, other, action=action)
    assert response.status_code == 422
    body = response.content.decode()
    assert "is not leased to you" in body
    # The page shows their own item, not the one they asked for.
    assert leased.data["text"] in body and other.data["text"] not in body
    assert not Annotation.objects.filter(item=other).exists()


def test_a_refused_submit_keeps_the_items_comments_closed(
    project, owner, teammate, client_for, leased_and_other
):
    _, other = leased_and_other
    services.post_comment(project=project, item=other, author=owner, body="secret note")
    client = client_for(teammate)
    _api_submit(client, project, other, skipped=True)
    _page_submit(client, project, other, action="skip")
    comments = client.get(f"{API}/projects/{project.pk}/items/{other.pk}/comments")
    assert comments.status_code == 404
    assert "secret note" not in comments.content.decode()


def test_the_page_does_not_open_another_item_while_holding_a_lease(
    project, teammate, client_for, leased_and_other
):
    _, other = leased_and_other
    response = client_for(teammate).get(f"/projects/{project.pk}/annotate/?item={other.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/annotate/"


def test_leased_assigned_and_earlier_answers_are_accepted(
    project, owner, teammate, client_for, leased_and_other
):
    leased, other = leased_and_other
    client = client_for(teammate)
    assert _api_submit(client, project, leased).status_code == 201
    # Changing an earlier answer needs no lease.
    assert _api_submit(client, project, leased, answer={"topic": "tech"}).status_code == 200
    assert Annotation.objects.get(item=leased, annotator=teammate).answer == {"topic": "tech"}
    services.assign_items(project=project, item_ids=[other.pk], assignee=teammate, by=owner)
    assert _page_submit(client, project, Item.objects.get(pk=other.pk)).status_code == 200
    assert Annotation.objects.filter(item=other, annotator=teammate).exists()


def test_the_lease_check_costs_no_query(project, teammate, org, owner):
    """The hot path's speed target: the check reads the lease DELETE's row count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trainerdesk.accounts.services import add_member, create_user

    other = create_user(username="other", password="x", check_password=False)
    add_member(organization=org, user=other)
    services.set_project_member(project=project, user=other, role="annotator", by=owner)
    counts = []
    for user, require_lease in ((teammate, False), (other, True)):
        item = services.next_item(project=project, user=user)
        with CaptureQueriesContext(connection) as queries:
            services.submit_annotation(
                project=project,
                item=item,
                user=user,
                answer={"topic": "sport"},
                require_lease=require_lease,
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
