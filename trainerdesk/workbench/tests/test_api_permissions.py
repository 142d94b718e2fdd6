"""Who may call which workbench API endpoint: outsiders and annotators get 404 where they
have no business, tokens and sessions reach the same endpoints, anonymous callers get 401."""

import pytest
from django.test import Client

from conftest import TOPIC_SCHEMA
from trainerdesk.accounts.services import create_api_token
from trainerdesk.workbench import services
from trainerdesk.workbench.models import ImportJob
from trainerdesk.workbench.tests.test_api import API, _json

# --- who may do what --------------------------------------------------------------------

PROJECT_ENDPOINTS = [
    ("get", "/projects/{p}", None),
    ("patch", "/projects/{p}", {"name": "Taken over"}),
    ("get", "/projects/{p}/schema", None),
    ("put", "/projects/{p}/schema", TOPIC_SCHEMA),
    ("get", "/projects/{p}/guidelines", None),
    ("get", "/projects/{p}/members", None),
    ("put", "/projects/{p}/members", {"username": "outsider", "role": "manager"}),
    ("delete", "/projects/{p}/members/teammate", None),
    ("get", "/projects/{p}/items", None),
    ("post", "/projects/{p}/items", [{"text": "Injected."}]),
    ("get", "/projects/{p}/items/{i}", None),
    ("get", "/projects/{p}/imports", None),
    ("post", "/projects/{p}/imports", None),
    ("get", "/projects/{p}/imports/{j}", None),
    ("get", "/projects/{p}/next", None),
    ("post", "/projects/{p}/annotations", {"item": "{i}", "answer": {"topic": "sport"}}),
    ("get", "/projects/{p}/annotations", None),
    ("get", "/projects/{p}/annotations/{a}", None),
    ("get", "/projects/{p}/export", None),
]
MANAGER_ONLY = {
    ("patch", "/projects/{p}"),
    ("put", "/projects/{p}/schema"),
    ("put", "/projects/{p}/members"),
    ("delete", "/projects/{p}/members/teammate"),
    ("post", "/projects/{p}/items"),
    ("get", "/projects/{p}/imports"),
    ("post", "/projects/{p}/imports"),
    ("get", "/projects/{p}/imports/{j}"),
    ("get", "/projects/{p}/export"),
}


@pytest.fixture
def ids(project, owner, teammate):
    item, answered = project.items.order_by("id")[::2]
    # The owner's answer goes on another item so `item` is still open for the annotator.
    annotation = services.submit_annotation(
        project=project, item=answered, user=owner, answer={"topic": "sport"}
    ).annotation
    job = ImportJob.objects.create(
        project=project, created_by=owner, original_name="a.jsonl", format="jsonl"
    )
    return {"p": project.pk, "i": item.pk, "a": annotation.pk, "j": job.pk}


def _call(client, method, path, body, ids):
    url = API + path.format(**ids)
    if method == "post" and path.endswith("/imports"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(url, {"file": SimpleUploadedFile("x.jsonl", b'{"text": "Injected."}\n')})
    if isinstance(body, dict) and body.get("item") == "{i}":
        body = {**body, "item": ids["i"]}
    return _json(client, method, url, body)


@pytest.mark.parametrize(("method", "path", "body"), PROJECT_ENDPOINTS)
def test_outsider_gets_404_on_every_project_endpoint(
    ids, project, outsider, client_for, method, path, body
):
    response = _call(client_for(outsider), method, path, body, ids)

    assert response.status_code == 404
    assert response.json()["message"] == "No such project"
    project.refresh_from_db()
    assert project.name == "News topics"
    assert project.items.count() == 3
    assert project.members.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "body"), [e for e in PROJECT_ENDPOINTS if e[:2] in MANAGER_ONLY]
)
def test_annotator_gets_404_on_manager_endpoints(
    ids, project, teammate, client_for, method, path, body
):
    response = _call(client_for(teammate), method, path, body, ids)

    assert response.status_code == 404
    assert response.json()["message"] == "No such project"
    assert project.items.count() == 3
    assert project.members.get().role == "annotator"


# The fixture annotation is the owner's, which an annotator must not see (tested above).
ANNOTATOR_ALLOWED = [
    e for e in PROJECT_ENDPOINTS if e[:2] not in MANAGER_ONLY and not e[1].endswith("{a}")
]


@pytest.mark.parametrize(("method", "path", "body"), ANNOTATOR_ALLOWED)
def test_annotator_may_use_the_other_endpoints(
    ids, project, owner, teammate, client_for, method, path, body
):
    if isinstance(body, dict) and "item" in body:  # answers go to items the queue gave them
        services.assign_items(project=project, item_ids=[ids["i"]], assignee=teammate, by=owner)
    response = _call(client_for(teammate), method, path, body, ids)

    assert response.status_code < 300, response.content


def test_token_auth_reaches_project_endpoints(project, owner):
    _, full = create_api_token(user=owner, name="ci")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {full}").get(f"{API}/projects/{project.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "News topics"


def test_anonymous_gets_401_not_data(project):
    response = Client().get(f"{API}/projects/{project.pk}/items")

    assert response.status_code == 401
    assert "message" in response.json()
