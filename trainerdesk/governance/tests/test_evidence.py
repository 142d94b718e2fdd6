"""The evidence view: annotations and audit events merged, filtered, keyset pages with no
entry skipped or repeated, CSV, links, and only owners/managers let in."""

import csv
import io

import pytest

from trainerdesk.governance import services
from trainerdesk.governance.services import evidence
from trainerdesk.lib.errors import InvalidInput


@pytest.fixture
def history(labelled, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.create_version(project=labelled, name="v1", by=owner)
    return version


def test_merges_annotations_and_events_newest_first(history, labelled, teammate):
    entries, after = evidence.page(project=labelled, filters=evidence.Filters(), limit=500)

    assert after is None
    keys = [e.sort_key() for e in entries]
    assert keys == sorted(keys, reverse=True)
    labelled_rows = [e for e in entries if e.category == "labelled"]
    assert len(labelled_rows) == 2 and {e.actor for e in labelled_rows} == {"teammate"}
    assert labelled_rows[0].url.startswith(f"/projects/{labelled.pk}/items/")
    versioned = [e for e in entries if e.category == "versioned"]
    assert {e.action for e in versioned} >= {
        "governance.dataset_version.create",
        "governance.dataset_version.finish",
    }
    assert versioned[0].url == f"/projects/{labelled.pk}/versions/{history.pk}/"
    assert any(e.action == "workbench.project.create" for e in entries)


def test_keyset_pages_cover_everything_once(history, labelled):
    every, _ = evidence.page(project=labelled, filters=evidence.Filters(), limit=500)
    seen, after = [], None
    while True:
        page, after = evidence.page(
            project=labelled, filters=evidence.Filters(), after=after, limit=2
        )
        seen += [(e.source, e.id) for e in page]
        if after is None:
            break
    assert seen == [(e.source, e.id) for e in every]


def test_filters(history, labelled, owner, teammate):
    def ids(**params):
        entries, _ = evidence.page(
            project=labelled, filters=evidence.parse_filters(params), limit=500
        )
        return entries

    assert {e.actor for e in ids(actor="teammate")} == {"teammate"}
    assert {e.category for e in ids(category="labelled")} == {"labelled"}
    only = ids(action="governance.dataset_version.create")
    assert [e.action for e in only] == ["governance.dataset_version.create"]
    assert ids(since="2999-01-01") == []
    assert ids(until="2000-01-01") == []
    assert ids(actor="system:task:build_dataset_version")[0].action.endswith(".finish")
    for bad in ({"category": "nope"}, {"action": "x.y"}, {"since": "yesterday"}):
        with pytest.raises(InvalidInput):
            evidence.parse_filters(bad)
    with pytest.raises(InvalidInput, match="cursor"):
        evidence.page(project=labelled, filters=evidence.Filters(), after="garbage")


def test_categories():
    assert evidence.category_of("quality.review.accept") == "reviewed"
    assert evidence.category_of("workbench.export.create") == "exported"
    assert evidence.category_of("evaluation.training.finish") == "trained"
    assert evidence.category_of("evaluation.run.finish") == "evaluated"
    assert evidence.category_of("governance.dataset_version.export") == "exported"
    assert evidence.category_of("governance.document.approve") == "approved"


def test_page_csv_and_access(client, history, labelled, owner, teammate, outsider):
    url = f"/projects/{labelled.pk}/evidence/"
    client.force_login(owner)
    page = client.get(url, {"category": "versioned"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "governance.dataset_version.create" in body
    assert f"/projects/{labelled.pk}/versions/{history.pk}/" in body
    assert f"/org/{labelled.organization_id}/audit/heads/" in body  # the owner may see them
    assert client.get(url, {"since": "soon"}).status_code == 400

    first = client.get(url + "?limit=1")
    assert first.status_code == 200
    response = client.get(f"/projects/{labelled.pk}/evidence.csv", {"actor": "teammate"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2 and {r["category"] for r in rows} == {"labelled"}

    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(f"/projects/{labelled.pk}/evidence.csv").status_code == 404


def test_api_pages_and_access(client, history, labelled, owner, teammate, outsider):
    url = f"/api/v1/projects/{labelled.pk}/evidence"
    client.force_login(owner)
    every = client.get(url, {"limit": 1000}).json()
    assert every["next_after"] is None
    seen, after = [], ""
    while True:
        body = client.get(url, {"limit": 3, "after": after}).json()
        seen += [(e["source"], e["id"]) for e in body["entries"]]
        if not body["next_after"]:
            break
        after = body["next_after"]
    assert seen == [(e["source"], e["id"]) for e in every["entries"]]
    labelled_only = client.get(url, {"category": "labelled"}).json()["entries"]
    assert len(labelled_only) == 2 and labelled_only[0]["source"] == "annotation"
    assert client.get(url, {"category": "nope"}).status_code == 400
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_the_event_pages_read_the_project_time_index(labelled):
    # Without auditevent_project_time SQLite took the organization's index and sorted all
    # of its events for every page (the plan said USE TEMP B-TREE FOR ORDER BY).
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    qs = evidence._events(labelled, evidence.Filters())
    plan = qs.order_by("-created_at", "-pk")[:51].explain()
    assert "auditevent_project_time" in plan
    assert "TEMP B-TREE" not in plan
