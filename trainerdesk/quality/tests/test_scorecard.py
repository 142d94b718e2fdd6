"""Annotator scorecards: the numbers (done, skipped, lead time, peer agreement from the
latest report, accuracy on reference and gold items with Wilson intervals, review acceptance),
who may see whose, recording a snapshot, and the API."""

import pytest

from trainerdesk.accounts.services import add_member
from trainerdesk.quality import agreement, metrics
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import Scorecard
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item


@pytest.fixture
def third(org, owner):
    from conftest import _user

    user = _user("third")
    add_member(organization=org, user=user)
    return user


@pytest.fixture
def worked(project, owner, teammate, third, django_capture_on_commit_callbacks):
    """Teammate and third annotate the three items (they disagree on one); teammate skips
    nothing, third skips a fourth item; items 0 and 1 have reference answers."""
    services.set_project_member(project=project, user=third, role="annotator", by=owner)
    project.overlap = 2
    project.save(update_fields=["overlap"])
    items = list(Item.objects.filter(project=project).order_by("id"))
    extra = services.add_items(
        project=project, items=[{"text": "Skipped one."}], by=project.created_by
    )
    assert extra.added == 1
    plan = {
        teammate: ["business", "sport", "tech"],
        third: ["business", "tech", "tech"],
    }
    for user, labels in plan.items():
        for item, label in zip(items, labels, strict=True):
            services.submit_annotation(
                project=project, item=item, user=user, answer={"topic": label}, lead_time=4.0
            )
    skipped = Item.objects.filter(project=project).order_by("-id").first()
    services.submit_annotation(project=project, item=skipped, user=third, skipped=True)
    Item.objects.filter(pk=items[0].pk).update(reference={"topic": "business"})
    Item.objects.filter(pk=items[1].pk).update(reference={"topic": "sport"})
    with django_capture_on_commit_callbacks(execute=True):
        quality.start_agreement_report(project=project, by=owner)
    return project


def test_scorecard_numbers(worked, teammate, third):
    card = quality.build_scorecard(project=worked, annotator=third)
    assert (card["items_done"], card["items_skipped"]) == (3, 1)
    assert card["median_lead_time"] == 4.0
    r = agreement.Ratings.from_tuples(
        [(0, "t", "business"), (1, "t", "sport"), (2, "t", "tech")]
        + [(0, "h", "business"), (1, "h", "tech"), (2, "h", "tech")],
        categories=("business", "sport", "tech"),
    )
    peer = card["peer_agreement"]["topic"]
    assert peer["mean_kappa"] == pytest.approx(agreement.cohen_kappa(r, 0, 1).value, 1e-12)
    assert peer["mean_percent_agreement"] == pytest.approx(2 / 3)
    acc = card["reference_accuracy"]
    interval = metrics.wilson_interval(1, 2)
    assert (acc["correct"], acc["n"]) == (1, 2) and acc["label"] == "accuracy on reference items"
    assert (acc["low"], acc["high"]) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert card["review_acceptance"] == {
        "available": False,
        "reason": "not enough data: none of their answers reviewed",
    }
    assert card["gold_accuracy"] == {
        "available": False,
        "reason": "not available: the project has no gold items",
    }
    assert len(card["trend"]) == 8 and card["trend"][-1]["done"] == 3
    # Agreement with the other annotator this week: 2 of 3 items.
    assert card["trend"][-1]["agreement_with_majority"] == pytest.approx(2 / 3)
    assert (
        quality.build_scorecard(project=worked, annotator=teammate)["reference_accuracy"]["correct"]
        == 2
    )


def test_without_reference_items_the_slot_says_so(project, owner, teammate):
    card = quality.build_scorecard(project=project, annotator=teammate)
    assert card["reference_accuracy"]["available"] is False
    assert card["reference_accuracy"]["reason"].startswith("not enough data")
    assert card["peer_agreement"] == {} and card["report"] is None


def test_recording_stores_a_reproducible_snapshot(worked, owner, third, client_for):
    client = client_for(owner)
    response = client.post(f"/projects/{worked.pk}/annotators/third/scorecard/")
    assert response.status_code == 302
    snap = Scorecard.objects.get(project=worked, annotator=third)
    again = quality.build_scorecard(project=worked, annotator=third)
    assert snap.digest == again["digest"] and snap.recorded_by == owner
    assert snap.data["items_done"] == 3 and snap.report_id == again["report"]["id"]
    item = Item.objects.filter(project=worked).order_by("id").first()
    services.submit_annotation(project=worked, item=item, user=third, answer={"topic": "tech"})
    assert quality.build_scorecard(project=worked, annotator=third)["digest"] != snap.digest


def test_who_sees_which_scorecard(worked, owner, teammate, third, outsider, client_for):
    url = f"/projects/{worked.pk}/annotators/{{}}/scorecard/"
    assert client_for(outsider).get(url.format("third")).status_code == 404
    client = client_for(teammate)  # an annotator: only their own
    assert client.get(url.format("teammate")).status_code == 200
    assert client.get(url.format("third")).status_code == 404
    assert client.post(url.format("third")).status_code == 404
    assert client.get(f"/projects/{worked.pk}/annotators/").status_code == 404
    assert client.get(f"/api/v1/projects/{worked.pk}/annotators/third/scorecard").status_code == 404
    assert (
        client.get(f"/api/v1/projects/{worked.pk}/annotators/teammate/scorecard").json()[
            "items_done"
        ]
        == 3
    )
    # The project bar leads each to what they may open.
    own = f'href="/projects/{worked.pk}/annotators/teammate/scorecard/"'
    assert own in client.get(f"/projects/{worked.pk}/progress/").content.decode()
    manager = client_for(owner)
    bar = manager.get(f"/projects/{worked.pk}/progress/").content.decode()
    assert f'href="/projects/{worked.pk}/annotators/"' in bar and own not in bar
    listing = manager.get(f"/projects/{worked.pk}/annotators/").content.decode()
    assert f"/projects/{worked.pk}/annotators/third/scorecard/" in listing
    page = manager.get(url.format("third")).content.decode()
    assert "none of their answers reviewed" in page and "accuracy" in page
    assert manager.get(url.format("nobody")).status_code == 404
    api = manager.post(f"/api/v1/projects/{worked.pk}/annotators/third/scorecard")
    assert api.status_code == 201 and api.json()["data"]["items_done"] == 3


def test_reviews_and_gold_reach_the_scorecard(worked, owner, teammate, client_for):
    from trainerdesk.workbench.models import Annotation

    mine = list(Annotation.objects.filter(item__project=worked, annotator=teammate).order_by("id"))
    decisions = [("accepted", {}), ("accepted", {}), ("rejected", {"reason": "Wrong topic."})]
    for annotation, (decision, extra) in zip(mine, decisions, strict=True):
        quality.record_review(
            project=worked, annotation=annotation, reviewer=owner, decision=decision, **extra
        )
    # A later decision on the first answer replaces the earlier one.
    quality.record_review(
        project=worked,
        annotation=mine[0],
        reviewer=owner,
        decision="fixed",
        fixed_answer={"topic": "tech"},
    )
    # Two gold items: teammate answered the first right ("business"), the second wrong.
    first, second = (a.item for a in mine[:2])
    services.set_gold(
        project=worked, item=first, reference={"topic": "business"}, is_gold=True, by=owner
    )
    services.set_gold(
        project=worked, item=second, reference={"topic": "tech"}, is_gold=True, by=owner
    )

    card = quality.build_scorecard(project=worked, annotator=teammate)
    reviews = card["review_acceptance"]
    interval = metrics.wilson_interval(1, 3)
    assert (reviews["reviewed"], reviews["accepted"], reviews["fixed"], reviews["rejected"]) == (
        3,
        1,
        1,
        1,
    )
    assert reviews["rate"] == pytest.approx(1 / 3)
    assert (reviews["low"], reviews["high"]) == (
        pytest.approx(interval.low),
        pytest.approx(interval.high),
    )
    gold = card["gold_accuracy"]
    assert gold["available"] and (gold["n"], gold["correct"]) == (2, 1)
    assert gold["status"] == "not_enough_data"  # 2 of the default 20 gold items

    page = client_for(owner).get(f"/projects/{worked.pk}/annotators/teammate/scorecard/")
    body = page.content.decode()
    assert "0.333 accepted (1 of 3 reviewed; 1 fixed, 1 rejected)" in body
    assert "(1 of 2)" in body


def test_annotators_list_shows_key_figures_sorted_on_the_server(
    worked, owner, teammate, third, client_for
):
    from trainerdesk.workbench.models import Annotation

    # teammate: one answer accepted of one reviewed; a gold item they got right (sport) and
    # third got wrong (tech).
    mine = Annotation.objects.filter(project=worked, annotator=teammate).order_by("id")[1]
    quality.record_review(project=worked, annotation=mine, reviewer=owner, decision="accepted")
    services.set_gold(
        project=worked, item=mine.item, reference={"topic": "sport"}, is_gold=True, by=owner
    )
    client = client_for(owner)
    url = f"/projects/{worked.pk}/annotators/"
    page = client.get(url)
    rows = {r.annotator: r for r in page.context["rows"]}
    # Only people who annotated: the owner (a manager who never annotated) is not listed.
    assert set(rows) == {"teammate", "third"}
    t = rows["teammate"]
    card = quality.build_scorecard(project=worked, annotator=teammate)
    assert t.items_done == card["items_done"] == 3
    assert (t.gold_accuracy, t.gold_n) == (1.0, 1)
    assert t.gold_low == pytest.approx(card["gold_accuracy"]["low"])
    assert t.agreement == pytest.approx(card["peer_agreement"]["topic"]["mean_kappa"])
    assert t.review_acceptance == 1.0 and t.median_lead_time == 4.0
    assert rows["third"].review_acceptance is None and rows["third"].items_skipped == 1
    body = page.content.decode()
    assert 'data-annotator="teammate"' in body and "Gold lower bound" in body
    # Sorted on the server, either way; missing figures last.
    by = lambda sort: [r.annotator for r in client.get(url, {"sort": sort}).context["rows"]]  # noqa: E731
    assert by("annotator") == ["teammate", "third"] and by("-annotator") == ["third", "teammate"]
    assert by("acceptance") == ["teammate", "third"] == by("-acceptance")
    assert by("-done") == ["teammate", "third"]  # 3 done each: then by name
    assert 'href="?sort=-annotator"' in body  # clicking the sorted column reverses it
    bad = client.get(url, {"sort": "shoe_size"})
    assert (
        bad.status_code == 400
        and "sort: &#x27;shoe_size&#x27; is not one of" in bad.content.decode()
    )
    api = client.get(f"/api/v1/projects/{worked.pk}/annotators?sort=-gold").json()
    assert [r["annotator"] for r in api] == ["teammate", "third"]
    assert api[0]["gold_accuracy"] == 1.0 and api[1]["gold_accuracy"] == 0.0
    assert client.get(f"/api/v1/projects/{worked.pk}/annotators?sort=x").status_code == 400
    assert client_for(teammate).get(f"/api/v1/projects/{worked.pk}/annotators").status_code == 404


def test_scorecard_shows_times_like_the_rest_of_the_app(worked, owner, client_for):
    from django.utils import timezone

    page = client_for(owner).get(f"/projects/{worked.pk}/annotators/third/scorecard/")
    body = page.content.decode()
    computed = page.context["card"]["report"]["computed_at"]
    assert computed not in body  # the raw ISO text
    shown = timezone.localtime(timezone.datetime.fromisoformat(computed)).strftime("%Y-%m-%d %H:%M")
    assert f"(computed {shown})" in body
