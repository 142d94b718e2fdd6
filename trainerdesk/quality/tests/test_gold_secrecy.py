"""Annotators cannot find out which items are gold, or their reference answers, by
re-answering and watching their accuracy (issue 8, section 6). teammate is the annotator."""

import uuid

import orjson

from trainerdesk.quality import services as quality
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item

API = "/api/v1"


def _gold_project(project, owner, *, feedback: bool) -> Item:
    services.add_items(
        project=project,
        items=[{"data": {"text": "g"}, "gold": True, "reference": {"topic": "sport"}}],
        by=project.created_by,
    )
    services.update_project(project=project, by=owner, gold_rate=1.0, gold_feedback=feedback)
    return Item.objects.get(project=project, is_gold=True)


def _answer(client, project, item, label):
    return client.post(
        f"{API}/projects/{project.pk}/annotations",
        orjson.dumps({"item": item.pk, "answer": {"topic": label}}).decode(),
        content_type="application/json",
    )


def _accuracy(client, project):
    return client.get(f"{API}/projects/{project.pk}/gold/accuracy").json()


def test_with_feedback_off_re_answering_reveals_nothing(project, owner, teammate, client_for):
    gold = _gold_project(project, owner, feedback=False)
    client = client_for(teammate)
    served = client.get(f"{API}/projects/{project.pk}/next").json()["item"]
    assert served["id"] == gold.pk
    assert _answer(client, project, gold, "tech").status_code == 201
    # No live numbers for the annotator at all until a manager records a snapshot.
    assert _accuracy(client, project)["annotators"] == []
    quality.record_gold_snapshots(project=project, by=owner)
    before = _accuracy(client, project)["annotators"]
    assert [(r["n"], r["correct"], r["item_ids"], r["items_digest"]) for r in before] == [
        (1, 0, None, None)
    ]
    # Trying another label (allowed: locking it would tell them the item is gold).
    assert _answer(client, project, gold, "sport").status_code == 200
    assert _accuracy(client, project)["annotators"] == before
    page = client.get(f"/projects/{project.pk}/gold/").content.decode()
    assert "0 of 1 gold items" in page and f"/items/{gold.pk}/" not in page
    card = client.get(f"{API}/projects/{project.pk}/annotators/teammate/scorecard").json()
    assert card["gold_accuracy"]["correct"] == 0 and "digest" not in card["gold_accuracy"]
    card_page = client.get(f"/projects/{project.pk}/annotators/teammate/scorecard/")
    assert "(0 of 1)" in card_page.content.decode()
    # Managers see the live numbers and the gold items.
    manager = _accuracy(client_for(owner), project)
    assert manager["annotators"][0]["correct"] == 1
    assert manager["annotators"][0]["item_ids"] == [gold.pk]
    assert [i["id"] for i in manager["items"]] == [gold.pk]


def test_an_annotator_cannot_record_a_live_scorecard(project, owner, teammate, client_for):
    gold = _gold_project(project, owner, feedback=False)
    client = client_for(teammate)
    client.get(f"{API}/projects/{project.pk}/next")
    _answer(client, project, gold, "sport")
    recorded = client.post(f"{API}/projects/{project.pk}/annotators/teammate/scorecard")
    assert recorded.status_code == 201
    assert recorded.json()["data"]["gold_accuracy"]["available"] is False


def test_with_feedback_on_a_gold_answer_is_locked(project, owner, teammate, client_for):
    gold = _gold_project(project, owner, feedback=True)
    client = client_for(teammate)
    client.get(f"/projects/{project.pk}/annotate/")  # leases the gold item
    data = {"item": gold.pk, "f_topic": "tech", "client_id": str(uuid.uuid4())}
    assert client.post(f"/projects/{project.pk}/annotate/submit/", data).status_code == 302
    feedback = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "did not match the reference" in feedback
    response = _answer(client, project, gold, "sport")
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"item {gold.pk} is a gold item and you were shown feedback on your answer:"
        " it can no longer be changed"
    )
    data["client_id"] = str(uuid.uuid4())
    page = client.post(f"/projects/{project.pk}/annotate/submit/", data | {"f_topic": "sport"})
    assert "can no longer be changed" in page.content.decode()
    assert Annotation.objects.get(item=gold, annotator=teammate).answer == {"topic": "tech"}
    # Locked answers cannot be probed, so the live number is theirs to see (no item ids).
    (row,) = _accuracy(client, project)["annotators"]
    assert (row["n"], row["correct"], row["item_ids"]) == (1, 0, None)
