"""The progress page and its API: totals, per-annotator numbers, answers per day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def worked(project, owner, teammate):
    """teammate: two answers (lead times 10 s and 30 s) and a skip; owner: one answer
    (50 s) made 3 days ago and one 40 days ago (outside the chart)."""
    project = services.update_project(project=project, by=owner, overlap=1)
    services.add_items(
        project=project, items=[{"text": "fourth"}, {"text": "fifth"}], by=project.created_by
    )
    items = list(project.items.order_by("id"))
    for item, seconds in ((items[0], 10), (items[1], 30)):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": "tech"}, lead_time=seconds
        )
    services.submit_annotation(project=project, item=items[2], user=teammate, skipped=True)
    for item, days in ((items[3], 3), (items[4], 40)):
        result = services.submit_annotation(
            project=project, item=item, user=owner, answer={"topic": "sport"}, lead_time=50
        )
        moved = timezone.now() - timedelta(days=days)
        Annotation.objects.filter(pk=result.annotation.pk).update(created_at=moved)
    # The update above bypasses the services: rebuild the counters as the command would.
    services.recount_progress(project=project)
    return project


def test_overview_numbers(worked, owner):
    overview = services.progress_overview(project=worked, user=owner, everyone=True)
    assert (overview.total, overview.complete, overview.percent) == (5, 4, 80)
    rows = {row.username: row for row in overview.annotators}
    assert (rows["teammate"].done, rows["teammate"].skipped) == (2, 1)
    assert rows["teammate"].median_lead_time == 20.0  # of 10 and 30
    assert rows["owner"].done == 2 and rows["owner"].median_lead_time == 50.0
    # This ISO week: teammate's 40 s; owner's answers are 3 and 40 days old.
    assert rows["teammate"].week_hours == round(40 / 3600, 2)
    three_days_ago = (timezone.localdate() - timedelta(days=3)).isoformat()
    week_start = overview.week_start.date()
    expected_owner = 50 if timezone.localdate() - timedelta(days=3) >= week_start else 0
    assert rows["owner"].week_hours == round(expected_owner / 3600, 2)
    chart = overview.chart_data()
    assert len(chart["labels"]) == 30 and chart["labels"][-1] == timezone.localdate().isoformat()
    by_day = dict(zip(chart["labels"], chart["counts"], strict=True))
    assert by_day[timezone.localdate().isoformat()] == 2
    assert by_day[three_days_ago] == 1
    assert sum(chart["counts"]) == 3  # the 40-day-old answer is outside the window


def test_week_starts_on_monday(worked, owner):
    overview = services.progress_overview(project=worked, user=owner, everyone=True)
    assert overview.week_start.weekday() == 0 and overview.week_start.hour == 0


def test_page_for_a_manager_shows_every_annotator(client_for, owner, worked):
    response = client_for(owner).get(reverse("workbench:progress", args=[worked.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-annotator="teammate"' in text and 'data-annotator="owner"' in text
    assert '<strong id="items-done">4</strong>' in text
    assert 'id="throughput-data" type="application/json"' in text
    assert "vendor/chart.umd.min.js" in text and "<script>" not in text


def test_annotator_sees_only_their_own_row(client_for, teammate, worked):
    response = client_for(teammate).get(reverse("workbench:progress", args=[worked.pk]))
    text = response.content.decode()
    assert 'data-annotator="teammate"' in text and 'data-annotator="owner"' not in text
    body = client_for(teammate).get(f"{API}/projects/{worked.pk}/progress").json()
    assert [row["username"] for row in body["annotators"]] == ["teammate"]
    assert sum(day["answers"] for day in body["throughput"]) == 2


def test_api_has_the_same_numbers(client_for, owner, worked):
    body = client_for(owner).get(f"{API}/projects/{worked.pk}/progress").json()
    overview = services.progress_overview(project=worked, user=owner, everyone=True)
    assert body["total"] == 5 and body["complete"] == 4 and body["percent"] == 80
    assert body["annotators"] == [
        {
            "username": a.username,
            "done": a.done,
            "skipped": a.skipped,
            "median_lead_time": a.median_lead_time,
            "week_hours": a.week_hours,
        }
        for a in overview.annotators
    ]
    assert [d["answers"] for d in body["throughput"]] == overview.chart_data()["counts"]


def test_nav_links_to_progress(client_for, teammate, project):
    detail = client_for(teammate).get(reverse("workbench:project_detail", args=[project.pk]))
    assert reverse("workbench:progress", args=[project.pk]) in detail.content.decode()


def test_outsider_gets_404(client_for, outsider, project):
    client = client_for(outsider)
    assert client.get(reverse("workbench:progress", args=[project.pk])).status_code == 404
    assert client.get(f"{API}/projects/{project.pk}/progress").status_code == 404


def test_empty_project(client_for, owner, org, project):
    empty = services.create_project(
        organization=org, created_by=owner, name="Empty", label_schema=project.label_schema
    )
    response = client_for(owner).get(reverse("workbench:progress", args=[empty.pk]))
    assert response.status_code == 200 and "No annotations yet." in response.content.decode()
