"""Gold items and accuracy: marking (UI, API), accuracy with its Wilson interval and the
pass/fail rule against hand-computed values, who sees what, immediate feedback, and
snapshots that recompute to the same numbers."""

import orjson
import pytest

from trainerdesk.accounts.services import add_member, create_user
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import GoldAccuracySnapshot, QualitySettings
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item

API = "/api/v1"


def _member(project, org, owner, name, role="annotator"):
    user = create_user(username=name, password="x", check_password=False)
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role=role, by=owner)
    return user


def _gold(project, refs: dict[str, str]) -> dict[str, Item]:
    services.add_items(
        project=project,
        items=[
            {"data": {"text": t}, "gold": True, "reference": {"topic": r}} for t, r in refs.items()
        ],
        by=project.created_by,
    )
    return {i.data["text"]: i for i in Item.objects.filter(project=project, is_gold=True)}


def _answer(project, item, user, label):
    return services.submit_annotation(
        project=project, item=item, user=user, answer={"topic": label}
    ).annotation


@pytest.fixture
def scored(project, org, owner, teammate):
    """teammate: 2 of 3 gold right; ann2: 0 of 1."""
    gold = _gold(project, {"g1": "sport", "g2": "business", "g3": "tech"})
    ann2 = _member(project, org, owner, "ann2")
    _answer(project, gold["g1"], teammate, "sport")
    _answer(project, gold["g2"], teammate, "business")
    _answer(project, gold["g3"], teammate, "sport")
    _answer(project, gold["g1"], ann2, "tech")
    # Answers on non-gold items and skips on gold do not count.
    _answer(project, project.items.filter(is_gold=False).first(), teammate, "tech")
    return gold, ann2


def _json(client, method, path, body=None):
    return getattr(client, method)(
        path,
        orjson.dumps(body).decode() if body is not None else None,
        content_type="application/json",
    )


# --- accuracy ---------------------------------------------------------------------------------


def test_accuracy_wilson_and_verdict_match_hand_computed_values(project, teammate, scored):
    gold, ann2 = scored
    report = quality.gold_accuracy(project=project)
    rows = {r.username: r.verdict for r in report.annotators}
    mine = rows["teammate"]
    assert (mine.n, mine.correct, mine.accuracy) == (3, 2, pytest.approx(2 / 3))
    # Wilson 95% for 2/3 (statsmodels proportion_confint(2, 3, method="wilson")).
    assert mine.interval.low == pytest.approx(0.2076596, abs=1e-6)
    assert mine.interval.high == pytest.approx(0.9385081, abs=1e-6)
    assert mine.status == "not_enough_data"
    assert (rows["ann2"].n, rows["ann2"].correct, rows["ann2"].accuracy) == (1, 0, 0.0)
    # Hardest first: g3 (0/1), g1 (1/2), g2 (1/1).
    assert [(s.item_id, s.n, s.correct) for s in report.items] == [
        (gold["g3"].pk, 1, 0),
        (gold["g1"].pk, 2, 1),
        (gold["g2"].pk, 1, 1),
    ]


@pytest.mark.parametrize(("threshold", "status"), [(0.8, "pass"), (0.95, "fail")])
def test_pass_and_fail_over_twenty_gold_items(project, owner, teammate, threshold, status):
    gold = _gold(project, {f"gold {i}": "sport" for i in range(20)})
    for item in gold.values():
        _answer(project, item, teammate, "sport")
    quality.update_quality_settings(project=project, gold_threshold=threshold, by=owner)
    (row,) = quality.gold_accuracy(project=project).annotators
    # 20/20: the Wilson lower bound is n / (n + z^2) = 20 / 23.8414588 = 0.838874.
    assert row.verdict.interval.low == pytest.approx(0.838874, abs=1e-6)
    assert row.verdict.status == status


def test_the_time_window_limits_the_answers(project, teammate, scored):
    from datetime import timedelta

    from django.utils import timezone

    later = timezone.now() + timedelta(hours=1)
    assert quality.gold_accuracy(project=project, since=later).annotators == []
    assert len(quality.gold_accuracy(project=project, until=later).annotators) == 2


# --- the page and the API: who sees what ------------------------------------------------------


def test_manager_and_reviewer_see_everyone_annotator_only_self(
    project, org, owner, teammate, client_for, scored
):
    reviewer = _member(project, org, owner, "rev", role="reviewer")
    for user in (owner, reviewer):
        page = client_for(user).get(f"/projects/{project.pk}/gold/").content.decode()
        assert 'data-annotator="teammate"' in page and 'data-annotator="ann2"' in page
        assert "hardest first" in page
        body = client_for(user).get(f"{API}/projects/{project.pk}/gold/accuracy").json()
        assert {r["annotator"] for r in body["annotators"]} == {"teammate", "ann2"}
        assert len(body["items"]) == 3
    # Feedback is off: the annotator sees only what a manager recorded (see test_gold_secrecy).
    quality.record_gold_snapshots(project=project, by=owner)
    page = client_for(teammate).get(f"/projects/{project.pk}/gold/").content.decode()
    assert "Your accuracy" in page and "ann2" not in page
    assert "hardest first" not in page  # not which items are gold
    assert "not enough data: 3 of 20 gold items" in page
    body = client_for(teammate).get(f"{API}/projects/{project.pk}/gold/accuracy").json()
    assert [r["annotator"] for r in body["annotators"]] == ["teammate"]
    assert body["items"] is None and body["annotators"][0]["item_ids"] is None
    assert body["annotators"][0]["low"] == pytest.approx(0.2076596, abs=1e-6)


def test_outsider_gets_404_everywhere(project, outsider, client_for, scored):
    gold, _ = scored
    client = client_for(outsider)
    assert client.get(f"/projects/{project.pk}/gold/").status_code == 404
    assert client.post(f"/projects/{project.pk}/gold/").status_code == 404
    assert client.get(f"{API}/projects/{project.pk}/gold/accuracy").status_code == 404
    assert (
        _json(client, "post", f"{API}/projects/{project.pk}/gold/snapshots", {}).status_code == 404
    )
    item = gold["g1"]
    url = f"{API}/projects/{project.pk}/items/{item.pk}/gold"
    assert _json(client, "put", url, {"is_gold": False}).status_code == 404
    assert client.post(f"/projects/{project.pk}/items/{item.pk}/gold/").status_code == 404


def test_annotators_cannot_mark_gold_or_record_snapshots(project, teammate, client_for):
    client = client_for(teammate)
    item = project.items.first()
    assert client.post(f"/projects/{project.pk}/gold/").status_code == 404
    assert (
        client.post(
            f"/projects/{project.pk}/items/{item.pk}/gold/", {"is_gold": "on", "reference": "{}"}
        ).status_code
        == 404
    )
    url = f"{API}/projects/{project.pk}/gold/items"
    assert _json(client, "post", url, {"items": [item.pk], "gold": True}).status_code == 404
    assert not Item.objects.filter(is_gold=True).exists()


# --- marking gold from the UI and the API ---------------------------------------------------


def test_data_manager_marks_unmarks_and_filters_gold(project, owner, teammate, client_for):
    client = client_for(owner)
    first, second = project.items.order_by("id")[:2]
    _answer(project, first, teammate, "tech")
    action = f"/projects/{project.pk}/items/actions/"
    client.post(action, {"action": "gold", "item": [first.pk, second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_gold, first.reference) == (True, {"topic": "tech"})
    assert not second.is_gold  # nobody answered it: no reference to use
    page = client.get(f"/projects/{project.pk}/items/?gold=yes&col=gold").content.decode()
    assert f'value="{first.pk}"' in page and f'value="{second.pk}"' not in page
    assert '<span class="badge">gold</span>' in page
    assert client.get(f"/projects/{project.pk}/items/?gold=maybe").status_code == 400
    client.post(action, {"action": "ungold", "item": [first.pk]})
    first.refresh_from_db()
    assert not first.is_gold


def test_item_page_sets_the_reference_and_refuses_a_bad_one(project, owner, client_for):
    client = client_for(owner)
    item = project.items.first()
    url = f"/projects/{project.pk}/items/{item.pk}/gold/"
    detail = f"/projects/{project.pk}/items/{item.pk}/"
    assert "Reference answer (JSON)" in client.get(detail).content.decode()
    response = client.post(url, {"is_gold": "on", "reference": '{"topic": "cooking"}'}, follow=True)
    assert "reference.topic" in response.content.decode()
    item.refresh_from_db()
    assert (item.is_gold, item.reference) == (False, None)
    client.post(
        url, {"is_gold": "on", "reference": '{"topic": "sport"}', "explanation": "A match report."}
    )
    item.refresh_from_db()
    assert (item.is_gold, item.reference, item.gold_explanation) == (
        True,
        {"topic": "sport"},
        "A match report.",
    )


def test_api_sets_and_bulk_marks_gold(project, owner, teammate, client_for):
    client = client_for(owner)
    item, other = project.items.order_by("id")[:2]
    url = f"{API}/projects/{project.pk}/items/{item.pk}/gold"
    bad = _json(client, "put", url, {"is_gold": True, "reference": {"topic": "cooking"}})
    assert bad.status_code == 400 and "reference.topic" in str(bad.json())
    ok = _json(client, "put", url, {"is_gold": True, "reference": {"topic": "sport"}}).json()
    assert (ok["is_gold"], ok["reference"]) == (True, {"topic": "sport"})
    _answer(project, other, teammate, "business")
    bulk = _json(
        client,
        "post",
        f"{API}/projects/{project.pk}/gold/items",
        {"items": [other.pk], "gold": True},
    ).json()
    assert bulk == {"changed": 1, "without_answer": []}
    settings = _json(client, "patch", f"{API}/projects/{project.pk}", {"gold_rate": 0.2}).json()
    assert settings["gold_rate"] == 0.2 and settings["gold_min_items"] == 20
    assert _json(client, "patch", f"{API}/projects/{project.pk}", {"gold_rate": 2}).status_code in (
        400,
        422,
    )
    annotator_view = client_for(teammate).get(f"{API}/projects/{project.pk}").json()
    assert annotator_view["gold_rate"] is None


def test_settings_page_saves_gold_settings(project, owner, client_for):
    client = client_for(owner)
    context = client.get(f"/projects/{project.pk}/settings/").context
    # The workbench's fields and quality's section (its own form) are on one page.
    forms = [context["form"], *(section["form"] for section in context["sections"])]
    data = {k: v for form in forms for k, v in form.initial.items() if v is not None}
    data.update(gold_rate="0.1", gold_feedback="on", gold_threshold="0.9", gold_min_items="30")
    data = {k: v for k, v in data.items() if v is not False}
    assert client.post(f"/projects/{project.pk}/settings/", data).status_code == 302
    project.refresh_from_db()
    assert (project.gold_rate, project.gold_feedback) == (0.1, True)
    saved = QualitySettings.objects.get(project=project)
    assert (saved.gold_threshold, saved.gold_min_items) == (0.9, 30)


# --- immediate feedback ---------------------------------------------------------------------


def _gold_first(project, owner, *, feedback: bool):
    (item,) = _gold(project, {"a gold item": "sport"}).values()
    item.gold_explanation = "The story is about a football match."
    item.save(update_fields=["gold_explanation"])
    services.update_project(project=project, by=owner, gold_rate=1.0, gold_feedback=feedback)
    return item


def _submit(client, project, item, label, **headers):
    import uuid

    return client.post(
        f"/projects/{project.pk}/annotate/submit/",
        {"item": item.pk, "f_topic": label, "client_id": str(uuid.uuid4()), "lead_time": "1"},
        **headers,
    )


def test_feedback_after_a_wrong_gold_answer_shown_once(project, owner, teammate, client_for):
    item = _gold_first(project, owner, feedback=True)
    client = client_for(teammate)
    before = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "a gold item" in before
    assert "football match" not in before and "did not match" not in before
    assert _submit(client, project, item, "tech").status_code == 302
    after = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "Your last answer did not match the reference" in after
    assert "<td>topic</td><td>tech</td><td>sport</td>" in after
    assert "football match" in after
    again = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "did not match" not in again


def test_feedback_on_a_right_answer_through_htmx(project, owner, teammate, client_for):
    item = _gold_first(project, owner, feedback=True)
    client = client_for(teammate)
    client.get(f"/projects/{project.pk}/annotate/")
    response = _submit(client, project, item, "sport", HTTP_HX_REQUEST="true")
    assert "Your last answer was right" in response.content.decode()


def test_no_feedback_when_off_or_for_normal_items(project, owner, teammate, client_for):
    item = _gold_first(project, owner, feedback=False)
    client = client_for(teammate)
    client.get(f"/projects/{project.pk}/annotate/")
    _submit(client, project, item, "tech")
    page = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "did not match" not in page and "football match" not in page
    services.update_project(project=project, by=owner, gold_feedback=True)
    normal = services.next_item(project=project, user=teammate)
    assert not normal.is_gold
    _submit(client, project, normal, "tech")
    assert (
        "Your last answer" not in client.get(f"/projects/{project.pk}/annotate/").content.decode()
    )


# --- snapshots ---------------------------------------------------------------------------------


def test_snapshot_recomputes_to_the_same_numbers(project, owner, teammate, client_for, scored):
    gold, ann2 = scored
    response = _json(client_for(owner), "post", f"{API}/projects/{project.pk}/gold/snapshots", {})
    assert response.status_code == 201
    stored = {s["annotator"]: s for s in response.json()}
    assert (stored["teammate"]["n"], stored["teammate"]["correct"]) == (3, 2)
    # Later answers do not change a recomputation over the snapshot's window.
    _answer(project, gold["g2"], ann2, "business")
    for snap in GoldAccuracySnapshot.objects.filter(project=project):
        report = quality.gold_accuracy(
            project=project, since=snap.since, until=snap.until, annotator_ids=[snap.annotator_id]
        )
        (row,) = report.annotators
        v = row.verdict
        assert (v.n, v.correct, v.accuracy, v.status) == (
            snap.n,
            snap.correct,
            snap.accuracy,
            snap.status,
        )
        assert (v.interval.low, v.interval.high) == (snap.low, snap.high)
        assert (row.digest, row.item_ids, row.annotation_ids) == (
            snap.items_digest,
            snap.item_ids,
            snap.annotation_ids,
        )
    assert len(quality.gold_accuracy(project=project).annotators[0].item_ids) == 2  # ann2 now


def test_record_snapshot_button(project, owner, teammate, client_for, scored):
    client = client_for(owner)
    response = client.post(f"/projects/{project.pk}/gold/", follow=True)
    assert "Recorded 2 snapshot(s)." in response.content.decode()
    assert GoldAccuracySnapshot.objects.filter(project=project).count() == 2
    assert "Recorded snapshots" in client.get(f"/projects/{project.pk}/gold/").content.decode()


def test_spans_gold_is_scored_by_span_f1_and_readable_in_feedback(org, owner, teammate):
    schema = {
        "fields": [
            {"name": "ents", "type": "spans", "source": "text", "labels": [{"value": "PER"}]},
            {"name": "tags", "type": "choice", "source": "text", "multiple": True,
             "labels": [{"value": "a"}, {"value": "b"}]},
        ]
    }  # fmt: skip
    project = services.create_project(
        organization=org, created_by=owner, name="NER", label_schema=schema
    )
    project = services.update_project(project=project, by=owner, gold_feedback=True)
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    ref = {"ents": [{"start": 0, "end": 3, "label": "PER"}], "tags": ["a", "b"]}
    services.add_items(
        project=project,
        items=[{"data": {"text": "Ann met Bob."}, "gold": True, "reference": ref}],
        by=project.created_by,
    )
    item = Item.objects.get(project=project)
    right = {"ents": [{"start": 0, "end": 3, "label": "PER"}], "tags": ["b", "a"]}
    annotation = services.submit_annotation(
        project=project, item=item, user=teammate, answer=right
    ).annotation
    (row,) = quality.gold_accuracy(project=project).annotators
    assert (row.verdict.n, row.verdict.correct) == (1, 1)
    feedback = quality.gold_feedback(project=project, annotation=annotation)
    assert feedback.correct
    assert [(f.label, f.answer, f.reference) for f in feedback.fields] == [
        # One formatter for reviewers and gold feedback (workbench/readable.py).
        ("ents", "PER: «Ann» (0–3)", "PER: «Ann» (0–3)"),
        ("tags", "a, b", "a, b"),
    ]
