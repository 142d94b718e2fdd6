"""The vetting API: staff manage assessments, candidates take them; keyset pages; 404s."""

import pytest

from trainerdesk.vetting import services
from trainerdesk.vetting.models import Attempt

pytestmark = pytest.mark.django_db


def j(client, method, url, body=None):
    return getattr(client, method)(url, body or {}, content_type="application/json")


def test_staff_create_patch_and_revisions(pool, staff, client_for):
    client = client_for(staff)
    body = {
        "project": pool.pk,
        "slug": "t",
        "title": "Topics",
        "task_type": "text_classification",
        "domain": "news",
        "items_per_attempt": 30,
    }
    r = j(client, "post", "/api/v1/vetting/assessments", body)
    assert r.status_code == 400 and "items_per_attempt" in r.json()["message"]
    body["items_per_attempt"] = 6
    r = j(client, "post", "/api/v1/vetting/assessments", body)
    assert r.status_code == 201 and r.json()["status"] == "draft" and r.json()["project"] == pool.pk
    aid = r.json()["id"]
    r = j(client, "patch", f"/api/v1/vetting/assessments/{aid}", {"pass_threshold": 0.9})
    assert r.json()["version"] == 2
    revs = client.get(f"/api/v1/vetting/assessments/{aid}/revisions").json()
    assert [v["version"] for v in revs] == [2, 1]
    r = j(client, "post", f"/api/v1/vetting/assessments/{aid}/activate")
    assert r.json()["status"] == "active"


def test_non_staff_cannot_manage(pool, assessment, candidate, member, client_for):
    for persona in (candidate, member):
        client = client_for(persona)
        body = {
            "project": pool.pk,
            "slug": "x",
            "title": "X",
            "task_type": "text_classification",
            "domain": "news",
            "items_per_attempt": 2,
        }
        assert j(client, "post", "/api/v1/vetting/assessments", body).status_code == 404
        url = f"/api/v1/vetting/assessments/{assessment.pk}"
        assert j(client, "patch", url, {"title": "Mine"}).status_code == 404
        assert j(client, "post", url + "/retire").status_code == 404
        assert client.get(url + "/revisions").status_code == 404
        # They see it (it is active) but not which project holds the pool.
        assert client.get(url).json()["project"] is None


def test_draft_is_invisible_to_candidates(pool, staff, candidate, client_for):
    a = services.create_assessment(
        project=pool,
        slug="d",
        title="Draft",
        by=staff,
        task_type="sentiment",
        domain="reviews",
        items_per_attempt=3,
        pass_threshold=0.5,
    )
    client = client_for(candidate)
    assert client.get(f"/api/v1/vetting/assessments/{a.pk}").status_code == 404
    assert j(client, "post", f"/api/v1/vetting/assessments/{a.pk}/attempts").status_code == 404
    assert client.get("/api/v1/vetting/assessments").json()["assessments"] == []


def test_assessment_list_pages_by_keyset(pool, staff, client_for):
    from trainerdesk.workbench import services as workbench

    from .conftest import pool_rows

    for n in range(3):
        p = workbench.create_project(
            organization=pool.organization,
            created_by=staff,
            name=f"Pool {n}",
            label_schema=pool.label_schema,
        )
        workbench.add_items(project=p, items=pool_rows(3), by=staff)
        services.create_assessment(
            project=p,
            slug=f"a{n}",
            title=f"A{n}",
            by=staff,
            task_type="text_classification",
            domain="news",
            items_per_attempt=2,
            pass_threshold=0.5,
        )
    client = client_for(staff)
    first = client.get("/api/v1/vetting/assessments?limit=2").json()
    assert [a["slug"] for a in first["assessments"]] == ["a0", "a1"]
    rest = client.get(f"/api/v1/vetting/assessments?limit=2&after={first['next_after']}").json()
    assert [a["slug"] for a in rest["assessments"]] == ["a2"] and rest["next_after"] is None


def test_candidate_takes_it_over_the_api(assessment, candidate, outsider, client_for):
    client = client_for(candidate)
    r = j(client, "post", f"/api/v1/vetting/assessments/{assessment.pk}/attempts")
    assert r.status_code == 201
    attempt = r.json()
    assert attempt["pool_item_ids"] is None and attempt["items"] == 5
    again = j(client, "post", f"/api/v1/vetting/assessments/{assessment.pk}/attempts")
    assert again.status_code == 409 and "in progress" in again.json()["message"]
    early = j(client, "post", f"/api/v1/vetting/attempts/{attempt['id']}/score")
    assert early.status_code == 409 and "still to answer" in early.json()["message"]
    ws = attempt["project"]
    truth = {}
    from trainerdesk.workbench.models import Item

    for _ in range(5):
        item = client.get(f"/api/v1/projects/{ws}/next").json()["item"]
        assert "reference" not in item and "is_gold" not in item
        truth[item["id"]] = Item.objects.get(pk=item["id"]).reference["topic"]
        r = j(
            client,
            "post",
            f"/api/v1/projects/{ws}/annotations",
            {"item": item["id"], "answer": {"topic": truth[item["id"]]}},
        )
        assert r.status_code in (200, 201)
    other = client_for(outsider)
    assert j(other, "post", f"/api/v1/vetting/attempts/{attempt['id']}/score").status_code == 404
    client = client_for(candidate)
    scored = j(client, "post", f"/api/v1/vetting/attempts/{attempt['id']}/score").json()
    assert (scored["n"], scored["correct"], scored["accuracy"], scored["passed"]) == (
        5,
        5,
        1.0,
        True,
    )
    listed = client.get("/api/v1/vetting/attempts").json()
    assert [a["id"] for a in listed["attempts"]] == [attempt["id"]]
    ev = client.get("/api/v1/vetting/evidence").json()["evidence"]
    assert len(ev) == 1 and ev[0]["attempt"] == attempt["id"] and ev[0]["valid"] is True
    assert client_for(outsider).get("/api/v1/vetting/evidence").json()["evidence"] == []
    assert client_for(outsider).get("/api/v1/vetting/attempts").json()["attempts"] == []


def test_staff_see_the_drawn_pool_items(assessment, candidate, staff, client_for):
    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    body = client_for(staff).get(f"/api/v1/vetting/attempts/{attempt.pk}").json()
    assert body["pool_item_ids"] == attempt.item_ids
    assert Attempt.objects.count() == 1


def test_openapi_documents_vetting(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/vetting/assessments",
        "/api/v1/vetting/attempts/{attempt_id}/score",
        "/api/v1/vetting/evidence",
    ):
        assert path in paths
    op = paths["/api/v1/vetting/assessments/{assessment_id}/attempts"]["post"]
    assert "404" in op["responses"] and op["summary"]
