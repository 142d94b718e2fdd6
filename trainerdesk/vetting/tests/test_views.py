"""A candidate takes an attempt through the HTTP client, in the normal annotation page;
the result equals a hand count; nobody sees what is not theirs."""

import re
import uuid

import pytest
from django.urls import reverse

from trainerdesk.quality import metrics
from trainerdesk.vetting.models import Attempt
from trainerdesk.workbench.models import Item

pytestmark = pytest.mark.django_db

ITEM = re.compile(r'name="item" value="(\d+)"')


def take(client, attempt, *, right):
    """Answer every item the page serves: the first `right` correctly. Returns the
    pages' bodies."""
    annotate = reverse("workbench:annotate", args=[attempt.workspace_id])
    submit = reverse("workbench:annotate_submit", args=[attempt.workspace_id])
    bodies = []
    for i in range(len(attempt.copy_item_ids)):
        body = client.get(annotate).content.decode()
        bodies.append(body)
        item = Item.objects.get(pk=int(ITEM.search(body).group(1)))
        truth = item.reference["topic"]
        wrong = next(v for v in ("business", "sport", "tech") if v != truth)
        r = client.post(
            submit,
            {
                "item": item.pk,
                "client_id": str(uuid.uuid4()),
                "lead_time": str(2 + i),
                "f_topic": truth if i < right else wrong,
            },
        )
        assert r.status_code == 302
    bodies.append(client.get(annotate).content.decode())
    return bodies


def test_candidate_takes_an_attempt_and_gets_a_hand_counted_result(
    assessment, candidate, client_for
):
    client = client_for(candidate)
    page = client.get(reverse("vetting:mine"))
    assert page.status_code == 200 and "News topics" in page.content.decode()
    r = client.post(reverse("vetting:start", args=[assessment.pk]))
    attempt = Attempt.objects.get(user=candidate)
    assert r.status_code == 302
    assert r["Location"] == reverse("workbench:annotate", args=[attempt.workspace_id])
    bodies = take(client, attempt, right=3)
    served = {int(ITEM.search(b).group(1)) for b in bodies[:-1]}
    assert served == set(attempt.copy_item_ids)  # exactly the drawn items, each once
    assert not ITEM.search(bodies[-1])  # nothing more to answer
    for body in bodies:  # nothing on the page tells a reference or that an item is gold
        assert "gold" not in body.lower() and "reference" not in body.lower()
        assert ".txt" not in body  # the pool's source path never leaves the pool
    detail = reverse("vetting:attempt", args=[attempt.pk])
    # The empty queue leads to the attempt, not to the workspace project.
    assert f'id="done-action" href="{detail}">See my result</a>' in bodies[-1]
    assert "Back to the project" not in bodies[-1]
    assert "See my result" in client.get(detail).content.decode()
    r = client.post(reverse("vetting:finish", args=[attempt.pk]))
    assert r.status_code == 302
    attempt.refresh_from_db()
    interval = metrics.wilson_interval(3, 5)
    assert (attempt.status, attempt.n, attempt.correct) == ("scored", 5, 3)
    assert (attempt.low, attempt.high) == (interval.low, interval.high)
    assert attempt.lead_time_seconds == 4.0  # median of 2..6
    body = client.get(detail).content.decode()
    assert f"{interval.low:.3f}–{interval.high:.3f}" in body
    assert attempt.valid_until.strftime("%Y-%m-%d") in body
    mine = client.get(reverse("vetting:mine")).content.decode()
    assert "You can retake it from" in mine and f"{interval.low:.3f}" in mine


def test_start_during_retake_wait_shows_the_date(assessment, candidate, client_for):
    from trainerdesk.vetting import services

    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    client = client_for(candidate)
    take(client, attempt, right=1)
    services.score_attempt(attempt=attempt, by=candidate)
    r = client.post(reverse("vetting:start", args=[assessment.pk]), follow=True)
    assert "again from" in r.content.decode()
    assert Attempt.objects.filter(user=candidate).count() == 1


@pytest.mark.parametrize("persona", ["outsider", "teammate", "member"])
def test_others_never_see_the_attempt_or_the_pool(
    assessment, candidate, persona, request, client_for
):
    from trainerdesk.vetting import services

    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    client = client_for(request.getfixturevalue(persona))
    ws = attempt.workspace_id
    for url in (
        reverse("vetting:attempt", args=[attempt.pk]),
        reverse("workbench:annotate", args=[ws]),
        reverse("workbench:project_detail", args=[ws]),
        reverse("workbench:project_detail", args=[assessment.project_id]),
        reverse("vetting:staff_edit", args=[assessment.pk]),
        reverse("vetting:staff_list"),
        reverse("vetting:staff_new"),
        f"/api/v1/vetting/attempts/{attempt.pk}",
        f"/api/v1/projects/{ws}/items",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("vetting:finish", args=[attempt.pk])).status_code == 404


def test_candidate_sees_only_their_attempt(assessment, candidate, client_for):
    from trainerdesk.vetting import services

    attempt = services.start_attempt(assessment=assessment, user=candidate, by=candidate)
    client = client_for(candidate)
    home = client.get(reverse("workbench:home")).content.decode()
    assert attempt.workspace.name in home and assessment.project.name not in home
    pool_item = Item.objects.get(pk=attempt.item_ids[0])
    for url in (
        reverse("workbench:project_detail", args=[assessment.project_id]),
        reverse("workbench:annotate", args=[assessment.project_id]),
        f"/api/v1/projects/{assessment.project_id}/items/{pool_item.pk}",
        reverse("vetting:staff_edit", args=[assessment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    # In their own workspace the item API gives the annotator view: no reference.
    items = client.get(f"/api/v1/projects/{attempt.workspace_id}/items").json()["items"]
    assert len(items) == 5 and all(
        set(i) == {"id", "external_id", "data", "priority", "created_at"} for i in items
    )
    nxt = client.get(f"/api/v1/projects/{attempt.workspace_id}/next")
    assert nxt.status_code == 200
    assert "reference" not in nxt.content.decode() and "gold" not in nxt.content.decode()
    # The workspace's management pages are a manager's: 404 for its annotator.
    for name in ("data_manager", "project_settings", "project_export"):
        url = reverse(f"workbench:{name}", args=[attempt.workspace_id])
        assert client.get(url).status_code == 404, url


def test_staff_create_edit_and_version_history(pool, staff, client_for):
    client = client_for(staff)
    assert pool.name in client.get(reverse("vetting:staff_new")).content.decode()
    r = client.post(
        reverse("vetting:staff_new"),
        {
            "project": pool.pk,
            "title": "Topics",
            "slug": "topics",
            "task_type": "text_classification",
            "domain": "news",
            "items_per_attempt": 40,
            "pass_threshold": 0.8,
            "validity_days": 365,
            "retake_wait_days": 30,
        },
    )
    assert r.status_code == 400 and "items_per_attempt" in r.content.decode()
    r = client.post(
        reverse("vetting:staff_new"),
        {
            "project": pool.pk,
            "title": "Topics",
            "slug": "topics",
            "task_type": "text_classification",
            "domain": "news",
            "items_per_attempt": 10,
            "pass_threshold": 0.8,
            "validity_days": 365,
            "retake_wait_days": 30,
        },
    )
    assert r.status_code == 302
    from trainerdesk.vetting.models import Assessment

    a = Assessment.objects.get(slug="topics")
    edit = reverse("vetting:staff_edit", args=[a.pk])
    r = client.post(
        edit,
        {
            "title": "Topics",
            "description": "",
            "items_per_attempt": 12,
            "pass_threshold": 0.8,
            "validity_days": 365,
            "retake_wait_days": 30,
        },
    )
    assert r.status_code == 302
    body = client.get(edit).content.decode()
    assert "v2" in body and "items_per_attempt: 10 → 12" in body
    client.post(reverse("vetting:staff_status", args=[a.pk]), {"action": "activate"})
    a.refresh_from_db()
    assert a.status == "active"
    assert "Topics" in client.get(reverse("vetting:staff_list")).content.decode()


def test_two_candidates_in_the_network_org_never_see_each_other(assessment, candidate, client_for):
    """Both are members of the platform organization; neither reaches the other's
    workspace, attempt or answers, and their samples differ."""
    import random

    from conftest import PASSWORD
    from trainerdesk.accounts.services import create_user
    from trainerdesk.vetting import services

    second = create_user(username="second", password=PASSWORD, email="second@example.org")
    mine = services.start_attempt(
        assessment=assessment, user=candidate, by=candidate, rng=random.Random(10)
    )
    theirs = services.start_attempt(
        assessment=assessment, user=second, by=second, rng=random.Random(11)
    )
    assert mine.item_ids != theirs.item_ids
    client = client_for(second)
    home = client.get(reverse("workbench:home")).content.decode()
    assert f"/projects/{theirs.workspace_id}/" in home
    assert f"/projects/{mine.workspace_id}/" not in home
    for url in (
        reverse("vetting:attempt", args=[mine.pk]),
        reverse("workbench:annotate", args=[mine.workspace_id]),
        reverse("workbench:project_detail", args=[mine.workspace_id]),
        f"/api/v1/projects/{mine.workspace_id}/next",
        f"/api/v1/vetting/attempts/{mine.pk}",
    ):
        assert client.get(url).status_code == 404, url


def test_a_candidate_can_abandon_an_attempt_and_waits_as_after_any(
    assessment, candidate, outsider, client_for
):
    from trainerdesk.accounts.models import AuditEvent

    client = client_for(candidate)
    client.post(reverse("vetting:start", args=[assessment.pk]))
    attempt = Attempt.objects.get(user=candidate)
    detail = reverse("vetting:attempt", args=[attempt.pk])
    abandon = reverse("vetting:abandon", args=[attempt.pk])
    assert 'id="abandon"' in client.get(detail).content.decode()
    assert client_for(outsider).post(abandon).status_code == 404
    client = client_for(candidate)
    client.post(abandon)
    attempt.refresh_from_db()
    assert attempt.status == "abandoned" and attempt.finished_at is not None
    assert AuditEvent.objects.filter(action="vetting.attempt.abandon").count() == 1
    page = client.get(detail).content.decode()
    assert 'id="abandoned"' in page and "The next attempt is possible from" in page
    # No fresh draw by abandoning: the retake wait counts from the abandoned attempt.
    again = client.post(reverse("vetting:start", args=[assessment.pk]), follow=True)
    assert "you can take News topics again from" in again.content.decode()
    assert Attempt.objects.filter(user=candidate).count() == 1
    refused = client.post(abandon, follow=True).content.decode()
    assert "attempt: it is abandoned" in refused
    scored = client.post(reverse("vetting:finish", args=[attempt.pk]), follow=True)
    assert "attempt: it was abandoned, so it has no result" in scored.content.decode()
