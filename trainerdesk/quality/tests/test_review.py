"""Review: decisions, history, fixes, send-back, the review queue, final-label rules and
their export, through the HTTP client and the services."""

import json

import orjson
import pytest
from django.urls import reverse

from conftest import _user
from trainerdesk.accounts.services import add_member
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import Review
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item


@pytest.fixture
def reviewer(org, project, owner):
    user = _user("rita")
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="reviewer", by=owner)
    return user


@pytest.fixture
def annie(org, project, owner):
    user = _user("annie")
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="annotator", by=owner)
    return user


def _items(project):
    return list(project.items.order_by("id"))


def _answer(project, item, user, topic):
    return services.submit_annotation(
        project=project, item=item, user=user, answer={"topic": topic}
    ).annotation


def _counters_match(project):
    """Every item's counters equal what its annotations and leases say."""
    for item in Item.objects.filter(project=project):
        done = item.annotations.filter(skipped=False).count()
        skipped = item.annotations.filter(skipped=True).count()
        leased = item.leases.count()
        assert (item.done_count, item.skip_count, item.leased_count) == (done, skipped, leased)
        assert item.available == (done + leased < project.overlap)


def _decide(client, project, annotation, decision, htmx=False, **fields):
    url = reverse("quality:review_decide", args=[project.pk])
    data = {"item": annotation.item_id, "annotation": annotation.pk, "decision": decision}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url, data | fields, **headers)


# --- permissions


def test_review_page_is_for_reviewers_and_managers_only(
    client_for, project, owner, teammate, outsider, reviewer
):
    url = reverse("quality:review", args=[project.pk])
    assert client_for(owner).get(url).status_code == 200
    assert client_for(reviewer).get(url).status_code == 200
    for user in (teammate, outsider):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).get(url + "next/?after=1").status_code == 404
        api = f"/api/v1/projects/{project.pk}/review/queue"
        assert client_for(user).get(api).status_code == 404


def test_annotator_and_outsider_cannot_decide(client_for, project, teammate, outsider):
    item = _items(project)[0]
    annotation = _answer(project, item, teammate, "business")
    for user in (teammate, outsider):
        assert _decide(client_for(user), project, annotation, "accepted").status_code == 404
        response = client_for(user).post(
            f"/api/v1/projects/{project.pk}/reviews",
            {"annotation": annotation.pk, "decision": "accepted"},
            content_type="application/json",
        )
        assert response.status_code == 404
        reviews = f"/api/v1/projects/{project.pk}/items/{item.pk}/reviews"
        assert client_for(user).get(reviews).status_code == 404
    assert not Review.objects.exists()


def test_annotation_of_another_item_is_refused(client_for, project, teammate, reviewer):
    first, second = _items(project)[:2]
    annotation = _answer(project, first, teammate, "business")
    url = reverse("quality:review_decide", args=[project.pk])
    data = {"item": second.pk, "annotation": annotation.pk, "decision": "accepted"}
    assert client_for(reviewer).post(url, data).status_code == 404


# --- decisions and history


def test_page_shows_the_item_and_each_answer_readably(client_for, project, teammate, reviewer):
    item = _items(project)[0]
    _answer(project, item, teammate, "business")
    body = client_for(reviewer).get(reverse("quality:review", args=[project.pk])).content.decode()
    assert "Shares rose sharply." in body
    assert "teammate" in body and "business" in body and "not reviewed" in body


def test_accept_then_reject_keeps_history_and_the_latest_counts(
    client_for, project, teammate, reviewer
):
    item = _items(project)[0]
    annotation = _answer(project, item, teammate, "business")
    client = client_for(reviewer)
    response = _decide(client, project, annotation, "accepted", htmx=True)
    assert response.status_code == 200
    assert "Accepted by rita" in response.content.decode()
    assert "<html" not in response.content.decode()  # htmx: only the workspace partial
    response = _decide(client, project, annotation, "rejected", reason="It is about markets")
    assert response.status_code == 302  # plain form: back to the item
    reviews = list(Review.objects.filter(annotation=annotation).order_by("created_at", "id"))
    assert [r.decision for r in reviews] == ["accepted", "rejected"]
    assert reviews[1].reason == "It is about markets"
    assert reviews[1].original_answer == {"topic": "business"}
    latest = Review.objects.filter(annotation=annotation).latest_per_annotation()
    assert [r.decision for r in latest] == ["rejected"]
    annotation.refresh_from_db()
    assert annotation.answer == {"topic": "business"}  # the annotation itself is untouched


def test_reject_needs_a_reason(client_for, project, teammate, reviewer):
    annotation = _answer(project, _items(project)[0], teammate, "business")
    response = _decide(client_for(reviewer), project, annotation, "rejected", htmx=True)
    assert response.status_code == 422
    assert "reason: say why" in response.content.decode()
    assert not Review.objects.exists()


def test_fix_stores_the_reviewers_answer_and_keeps_the_original(
    client_for, project, teammate, reviewer
):
    annotation = _answer(project, _items(project)[0], teammate, "sport")
    response = _decide(client_for(reviewer), project, annotation, "fixed", f_topic="business")
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.decision == "fixed"
    assert review.fixed_answer == {"topic": "business"}
    assert review.original_answer == {"topic": "sport"}
    annotation.refresh_from_db()
    assert annotation.answer == {"topic": "sport"}


def test_fix_errors_name_the_field_and_store_nothing(client_for, project, teammate, reviewer):
    annotation = _answer(project, _items(project)[0], teammate, "sport")
    client = client_for(reviewer)
    response = _decide(client, project, annotation, "fixed", htmx=True, f_topic="weather")
    assert response.status_code == 422
    body = response.content.decode()
    assert "fixed_answer.topic" in body
    response = client.post(
        f"/api/v1/projects/{project.pk}/reviews",
        {"annotation": annotation.pk, "decision": "fixed", "fixed_answer": {"topic": "weather"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert any(e.startswith("fixed_answer.topic") for e in response.json()["errors"])
    response = client.post(
        f"/api/v1/projects/{project.pk}/reviews",
        {"annotation": annotation.pk, "decision": "maybe"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "decision: Input should be" in response.json()["errors"][0]
    assert not Review.objects.exists()


def test_fix_of_a_json_field_is_validated_by_the_schema(org, owner, teammate, client_for):
    schema = {
        "fields": [
            {"name": "ents", "type": "spans", "source": "text", "labels": [{"value": "ORG"}]}
        ]
    }
    project = services.create_project(
        organization=org, created_by=owner, name="NER", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[{"text": "Acme hired Bo."}], by=project.created_by)
    item = project.items.get()
    annotation = services.submit_annotation(
        project=project,
        item=item,
        user=teammate,
        answer={"ents": [{"start": 0, "end": 3, "label": "ORG"}]},
    ).annotation
    client = client_for(owner)
    page = client.get(reverse("quality:review", args=[project.pk])).content.decode()
    assert "ORG: «Acm» (0–3)" in page
    bad = _decide(client, project, annotation, "fixed", htmx=True, f_ents="[{not json")
    assert bad.status_code == 422 and "fixed_answer.ents: not valid JSON" in bad.content.decode()
    outside = json.dumps([{"start": 0, "end": 99, "label": "ORG"}])
    bad = _decide(client, project, annotation, "fixed", htmx=True, f_ents=outside)
    assert bad.status_code == 422 and "fixed_answer.ents" in bad.content.decode()
    good = json.dumps([{"start": 0, "end": 4, "label": "ORG"}])
    assert _decide(client, project, annotation, "fixed", f_ents=good).status_code == 302
    fixed = Review.objects.get().fixed_answer["ents"]
    assert [(s["start"], s["end"], s["label"]) for s in fixed] == [(0, 4, "ORG")]


# --- send back


def test_send_back_returns_the_item_to_its_annotator_first(
    client_for, project, teammate, reviewer, annie
):
    first, second, third = _items(project)
    _answer(project, first, teammate, "business")
    sent = _answer(project, second, teammate, "tech")
    _counters_match(project)
    response = _decide(
        client_for(reviewer),
        project,
        sent,
        "rejected",
        reason="A goal is sport",
        send_back="1",
    )
    assert response.status_code == 302
    assert not Annotation.objects.filter(pk=sent.pk).exists()
    review = Review.objects.get()
    assert review.annotation is None and review.sent_back
    assert review.original_answer == {"topic": "tech"} and review.annotator == teammate
    second.refresh_from_db()
    assert second.assignee == teammate
    assert (second.done_count, second.available) == (0, True)
    _counters_match(project)
    # Someone else is not handed the sent-back item: the queue keeps it for teammate.
    assert services.next_item(project=project, user=annie).pk == third.pk
    _counters_match(project)
    # The annotator gets it back first (before the unanswered third item)...
    assert services.next_item(project=project, user=teammate).pk == second.pk
    _counters_match(project)
    # ...and the annotation page shows why.
    page = client_for(teammate).get(reverse("workbench:annotate", args=[project.pk]))
    body = page.content.decode()
    assert "Sent back by rita" in body and "A goal is sport" in body
    services.submit_annotation(
        project=project, item=second, user=teammate, answer={"topic": "sport"}
    )
    second.refresh_from_db()
    assert second.assignee is None and second.done_count == 1
    _counters_match(project)
    assert quality.return_note(item=second, user=teammate) is None
    # The new answer is unreviewed again; the history keeps the sent-back one.
    queue = quality.review_queue(project=project, reviewed=False)
    assert second.pk in [e.item.pk for e in queue]


def test_send_back_through_the_api_and_reviews_of_the_item(client_for, project, teammate, reviewer):
    item = _items(project)[0]
    annotation = _answer(project, item, teammate, "tech")
    client = client_for(reviewer)
    response = client.post(
        f"/api/v1/projects/{project.pk}/reviews",
        {"annotation": annotation.pk, "decision": "send_back", "reason": "Markets"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"] == "rejected" and body["sent_back"] is True
    assert body["annotation_id"] is None and body["original_answer"] == {"topic": "tech"}
    item.refresh_from_db()
    assert item.assignee == teammate and item.done_count == 0
    _counters_match(project)
    listing = client.get(f"/api/v1/projects/{project.pk}/items/{item.pk}/reviews").json()
    assert [(r["decision"], r["reviewer"], r["reason"]) for r in listing] == [
        ("rejected", "rita", "Markets")
    ]


def test_imported_annotation_cannot_be_sent_back(project, reviewer):
    item = _items(project)[0]
    annotation = Annotation.objects.create(
        project=project, item=item, imported_annotator="legacy", answer={"topic": "tech"},
        guideline_version=1, origin="import",
    )  # fmt: skip
    with pytest.raises(services.InvalidInput, match="send_back: an imported annotation"):
        quality.record_review(
            project=project, annotation=annotation, reviewer=reviewer,
            decision="rejected", reason="x", send_back=True,
        )  # fmt: skip


def test_skipped_annotation_sent_back_fixes_the_skip_counter(project, teammate, reviewer):
    item = _items(project)[0]
    annotation = services.submit_annotation(
        project=project, item=item, user=teammate, skipped=True
    ).annotation
    quality.record_review(
        project=project, annotation=annotation, reviewer=reviewer,
        decision="rejected", reason="Please answer it", send_back=True,
    )  # fmt: skip
    _counters_match(project)


# --- the queue


@pytest.fixture
def double(project, owner, teammate, annie):
    """Overlap 2: item 1 agreed (business), item 2 disputed, item 3 answered once."""
    project = services.update_project(project=project, by=owner, overlap=2)
    first, second, third = _items(project)
    for user, topics in ((teammate, ["business", "sport", "tech"]), (annie, ["business", "tech"])):
        for item, topic in zip([first, second, third], topics, strict=False):
            _answer(project, item, user, topic)
    return project


def test_queue_scopes(double):
    first, second, third = _items(double)
    ids = lambda scope: [e.item.pk for e in quality.review_queue(project=double, scope=scope)]  # noqa: E731
    assert ids("all") == [first.pk, second.pk, third.pk]
    assert ids("disagreement") == [second.pk]
    assert ids("low") == [second.pk, third.pk]  # fewer than 2 agreeing answers


def test_queue_low_confidence_includes_low_scored_predictions(double):
    first = _items(double)[0]
    services.add_prediction(
        project=double,
        item=first,
        answer={"topic": "business"},
        score=0.2,
        model_version="m",
        by=double.created_by,
    )
    assert first.pk in [e.item.pk for e in quality.review_queue(project=double, scope="low")]


def test_queue_puts_unreviewed_items_first(double, reviewer, client_for):
    first, second, third = _items(double)
    for annotation in first.annotations.all():
        quality.record_review(
            project=double, annotation=annotation, reviewer=reviewer, decision="accepted"
        )
    assert [e.item.pk for e in quality.review_queue(project=double)] == [
        second.pk,
        third.pk,
        first.pk,
    ]
    client = client_for(reviewer)
    page = client.get(reverse("quality:review", args=[double.pk]))
    assert page.context["item"].pk == second.pk
    # Enter: the next item after the second is the third, then wraps to reviewed ones.
    url = reverse("quality:review_next", args=[double.pk])
    nxt = client.get(url, {"after": second.pk, "scope": "all"}, HTTP_HX_REQUEST="true")
    assert f'data-item="{third.pk}"' in nxt.content.decode()
    assert nxt["HX-Push-Url"].endswith(f"item={third.pk}")
    nxt = client.get(url, {"after": third.pk})
    assert nxt.status_code == 302 and f"item={second.pk}" in nxt["Location"]
    api = client.get(f"/api/v1/projects/{double.pk}/review/queue?scope=disagreement").json()
    assert [(e["item_id"], e["disagreement"], e["reviewed"]) for e in api] == [
        (second.pk, True, False)
    ]
    assert client.get(f"/api/v1/projects/{double.pk}/review/queue?scope=bad").status_code == 422


# --- final labels and the export


def _export(project, **options):
    return {r["id"]: r for r in services.export_records(project=project, **options)}


def test_rules_pick_final_labels(double, owner, reviewer):
    first, second, third = _items(double)
    records = _export(double)
    assert records[first.pk]["final"] == {"topic": "business"}
    assert records[second.pk]["final"] is None  # sport vs tech: a tie has no final answer
    # The reviewer's fix decides under the reviewer rule...
    sport = second.annotations.get(answer__topic="sport")
    quality.record_review(
        project=double, annotation=sport, reviewer=reviewer, decision="fixed",
        fixed_answer={"topic": "sport"},
    )  # fmt: skip
    # ...and a rejection takes an answer out of the vote.
    tech = third.annotations.get()
    quality.record_review(
        project=double, annotation=tech, reviewer=reviewer, decision="rejected", reason="no"
    )
    records = _export(double)
    assert records[second.pk]["final"] == {"topic": "sport"}
    assert records[third.pk]["final"] is None
    reviews = records[second.pk]["annotations"][0]["reviews"]
    assert [(r["decision"], r["reviewer"], r["fixed_answer"]) for r in reviews] == [
        ("fixed", "rita", {"topic": "sport"})
    ]
    quality.update_quality_settings(project=double, final_label_rule="majority", by=owner)
    records = _export(double)
    assert records[second.pk]["final"] is None and records[third.pk]["final"] == {"topic": "tech"}


def test_dawid_skene_rule_follows_the_accurate_annotator(org, owner):
    """One careful annotator and four careless ones (seeded, as in test_review_rules):
    the export's final labels under dawid_skene are right more often than majority's."""
    from trainerdesk.quality.tests.test_review_rules import _synthetic
    from trainerdesk.workbench.schema import classification_schema

    classes = ["a", "b", "c"]
    truth, items, annotators, labels = _synthetic(seed=5, n_items=60)
    project = services.create_project(
        organization=org, created_by=owner, name="DS", overlap=5,
        label_schema=classification_schema("topic", classes).to_dict(),
    )  # fmt: skip
    quality.update_quality_settings(project=project, final_label_rule="dawid_skene", by=owner)
    services.add_items(
        project=project, items=[{"text": f"t{i}"} for i in range(60)], by=project.created_by
    )
    users = []
    for n in range(5):
        users.append(_user(f"a{n}"))
        add_member(organization=org, user=users[-1])
        services.set_project_member(project=project, user=users[-1], role="annotator", by=owner)
    item_list = list(project.items.order_by("id"))
    for i, j, label in zip(items, annotators, labels, strict=True):
        services.submit_annotation(
            project=project, item=item_list[i], user=users[j], answer={"topic": classes[label]}
        )

    def right(records):
        finals = [(r["final"] or {}).get("topic") for r in records]
        return sum(f == classes[t] for f, t in zip(finals, truth, strict=True))

    ds = right(services.export_records(project=project))
    quality.update_quality_settings(project=project, final_label_rule="majority", by=owner)
    majority = right(services.export_records(project=project))
    assert ds > majority, (ds, majority)
    assert ds >= 55


def test_jsonl_export_carries_reviews_and_sent_back_answers(
    client_for, project, owner, teammate, reviewer
):
    first, second, _third = _items(project)
    accepted = _answer(project, first, teammate, "business")
    quality.record_review(
        project=project, annotation=accepted, reviewer=reviewer, decision="accepted"
    )
    sent = _answer(project, second, teammate, "tech")
    quality.record_review(
        project=project, annotation=sent, reviewer=reviewer, decision="rejected",
        reason="A goal is sport", send_back=True,
    )  # fmt: skip
    url = f"/api/v1/projects/{project.pk}/export?format=jsonl"
    lines = b"".join(client_for(owner).get(url).streaming_content).splitlines()
    records = {r["id"]: r for r in map(orjson.loads, lines)}
    review = records[first.pk]["annotations"][0]["reviews"][0]
    assert (review["decision"], review["reviewer"], review["reason"]) == ("accepted", "rita", "")
    assert records[first.pk]["final"] == {"topic": "business"}
    returned = records[second.pk]["returned"][0]
    assert returned["annotator"] == "teammate" and returned["reason"] == "A goal is sport"
    assert returned["original_answer"] == {"topic": "tech"}
    assert records[second.pk]["annotations"] == []
    # Final labels only, or annotations only.
    final_only = b"".join(client_for(owner).get(url + "&labels=final").streaming_content)
    first_line = orjson.loads(final_only.splitlines()[0])
    assert "annotations" not in first_line and first_line["final"] == {"topic": "business"}
    only = b"".join(client_for(owner).get(url + "&labels=annotations").streaming_content)
    first_line = orjson.loads(only.splitlines()[0])
    assert "final" not in first_line and first_line["annotations"][0]["reviews"]


def test_export_page_and_cli_offer_the_labels_choice(
    client_for, project, owner, teammate, tmp_path
):
    from django.core.management import call_command

    _answer(project, _items(project)[0], teammate, "business")
    url = reverse("workbench:project_export", args=[project.pk])
    page = client_for(owner).get(url).content.decode()
    assert 'name="labels"' in page
    body = b"".join(
        client_for(owner).get(url, {"format": "jsonl", "labels": "final"}).streaming_content
    )
    assert b'"annotations"' not in body and b'"final":{"topic":"business"}' in body
    out = tmp_path / "out.jsonl"
    call_command("export", str(project.pk), "--labels", "annotations", "-o", str(out))
    first = orjson.loads(out.read_bytes().splitlines()[0])
    assert "final" not in first and first["annotations"]


def test_final_label_rule_in_settings_and_api(client_for, project, owner):
    client = client_for(owner)
    url = reverse("workbench:project_settings", args=[project.pk])
    assert 'name="final_label_rule"' in client.get(url).content.decode()
    response = client.patch(
        f"/api/v1/projects/{project.pk}",
        {"final_label_rule": "dawid_skene"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["final_label_rule"] == "dawid_skene"
    bad = client.patch(
        f"/api/v1/projects/{project.pk}",
        {"final_label_rule": "coin"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "final_label_rule" in bad.json()["errors"][0]


# --- other task types on the page


def test_pairwise_and_multi_label_items_are_reviewable(org, owner, teammate, client_for):
    schema = {
        "fields": [
            {"name": "pref", "type": "pairwise", "source": "responses", "strength": True},
            {
                "name": "tags",
                "type": "choice",
                "source": "prompt",
                "multiple": True,
                "labels": [{"value": "safe"}, {"value": "helpful"}],
            },
        ]
    }
    project = services.create_project(
        organization=org, created_by=owner, name="LLM", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    responses = [{"text": "Answer zero.", "model": "model-zero"}, {"text": "Answer one."}]
    services.add_items(
        project=project, items=[{"prompt": "Q?", "responses": responses}], by=project.created_by
    )
    item = project.items.get()
    annotation = services.submit_annotation(
        project=project,
        item=item,
        user=teammate,
        answer={"pref": {"preferred": 1, "strength": 2}, "tags": ["safe", "helpful"]},
    ).annotation
    client = client_for(owner)
    body = client.get(reverse("quality:review", args=[project.pk])).content.decode()
    assert "Answer zero." in body and "Answer one." in body and "model-zero" not in body
    assert "B is better (strength 2)" in body and "safe, helpful" in body
    response = _decide(
        client, project, annotation, "fixed", f_pref='{"preferred": 5}', f_tags="safe"
    )
    assert response.status_code == 200  # no response 5: the page again, with the error
    assert "fixed_answer.pref" in response.content.decode()
    response = _decide(
        client, project, annotation, "fixed", f_pref='{"preferred": 0, "strength": 1}',
        f_tags="safe",
    )  # fmt: skip
    assert response.status_code == 302
    assert Review.objects.get().fixed_answer == {
        "pref": {"preferred": 0, "strength": 1},
        "tags": ["safe"],
    }


def test_review_page_opens_on_disagreements_first(double, reviewer, client_for):
    first, second, third = _items(double)
    client = client_for(reviewer)
    url = reverse("quality:review", args=[double.pk])
    # Item 1 (everyone agreed) comes first in id order; the page opens on item 2.
    page = client.get(url)
    assert page.context["item"].pk == second.pk and page.context["scope"] == "disagreement"
    body = page.content.decode()
    assert 'aria-current="page">Disagreement' in body
    assert "opens on items whose answers differ" in body
    # Once the disagreement is reviewed, the page opens on every item, unreviewed first.
    for annotation in second.annotations.all():
        quality.record_review(
            project=double, annotation=annotation, reviewer=reviewer, decision="accepted"
        )
    page = client.get(url)
    assert page.context["item"].pk == first.pk and page.context["scope"] == "all"
    # An explicit scope is kept.
    assert client.get(url, {"scope": "all"}).context["scope"] == "all"


def test_sent_back_answer_reaches_the_inbox_and_comes_before_the_open_item(
    client_for, project, teammate, reviewer, annie
):
    first, second, third = _items(project)
    one = _answer(project, first, teammate, "business")
    sent = _answer(project, second, teammate, "tech")
    # The annotator has the third item open (leased) when the reviewer sends one back.
    assert services.next_item(project=project, user=teammate).pk == third.pk
    quality.record_review(
        project=project, annotation=sent, reviewer=reviewer, decision="rejected",
        reason="A goal is sport", send_back=True,
    )  # fmt: skip
    client = client_for(teammate)
    inbox = client.get(reverse("workbench:inbox")).content.decode()
    assert "rita" in inbox and "sent your answer back" in inbox and "A goal is sport" in inbox
    api = client.get("/api/v1/inbox?unread=true").json()
    assert [(n["kind"], n["item"], n["actor"], n["message"]) for n in api] == [
        ("returned", second.pk, "rita", "A goal is sport")
    ]
    assert client_for(annie).get("/api/v1/inbox").json() == []
    # Their next `next` serves the sent-back item first; the open one goes back to the queue.
    assert services.next_item(project=project, user=teammate).pk == second.pk
    third.refresh_from_db()
    assert third.leased_count == 0 and third.available
    _counters_match(project)
    assert services.next_item(project=project, user=teammate).pk == second.pk  # kept
    # Two sent back: the one they hold stays theirs until answered (no swapping).
    quality.record_review(
        project=project, annotation=one, reviewer=reviewer, decision="rejected",
        reason="Check again", send_back=True,
    )  # fmt: skip
    assert services.next_item(project=project, user=teammate).pk == second.pk
    _answer(project, second, teammate, "sport")
    assert services.next_item(project=project, user=teammate).pk == first.pk
    _counters_match(project)
    # Opening the inbox entry marks it read and goes to the annotation page.
    entry = api[0]["id"]
    client = client_for(teammate)  # the test client was logged in as annie above
    opened = client.get(reverse("workbench:inbox_open", args=[entry]))
    assert opened["Location"] == reverse("workbench:annotate", args=[project.pk])
    assert entry not in [n["id"] for n in client.get("/api/v1/inbox?unread=true").json()]
