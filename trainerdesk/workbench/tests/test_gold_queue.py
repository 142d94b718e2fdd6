"""Gold items in the queue: outside the overlap, each reaching every annotator once, mixed in
at the project's gold rate, and never visible as gold to the annotator."""

import random
import re
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from trainerdesk.accounts.services import add_member, create_user
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item, Lease

API = "/api/v1"


def _annotator(project, org, owner, name):
    user = create_user(username=name, password="x", check_password=False)
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="annotator", by=owner)
    return user


def _add_gold(project, texts, label="sport"):
    result = services.add_items(
        project=project,
        items=[{"data": {"text": t}, "gold": True, "reference": {"topic": label}} for t in texts],
        by=project.created_by,
    )
    assert not result.errors
    return list(Item.objects.filter(project=project, is_gold=True).order_by("random_key", "id"))


def _drain(project, user, *, rng=None, limit=100):
    """Everything the queue hands this user, answering each item."""
    served = []
    for _ in range(limit):
        item = services.next_item(project=project, user=user, rng=rng)
        if item is None:
            break
        served.append(item)
        services.submit_annotation(project=project, item=item, user=user, answer={"topic": "tech"})
    return served


def _set(project, **changes):
    project.__dict__.update(changes)
    project.save(update_fields=list(changes))


def test_gold_items_are_never_available_in_the_shared_queue(project):
    gold = _add_gold(project, ["g1", "g2"])
    assert not any(item.available for item in gold)
    assert Item.objects.filter(project=project, available=True).count() == 3


def test_gold_rate_zero_never_serves_gold(project, teammate):
    _add_gold(project, ["g1", "g2"])
    served = _drain(project, teammate)
    assert [i.is_gold for i in served] == [False, False, False]


def test_gold_rate_one_serves_every_gold_item_first_then_the_queue(project, teammate):
    gold = _add_gold(project, ["g1", "g2"])
    _set(project, gold_rate=1.0)
    served = _drain(project, teammate)
    assert [i.pk for i in served[:2]] == [g.pk for g in gold]
    assert [i.is_gold for i in served] == [True, True, False, False, False]


def test_gold_is_served_at_the_rate_drawn_from_the_rng(project, teammate):
    services.add_items(
        project=project, items=[{"text": f"n{i}"} for i in range(60)], by=project.created_by
    )
    _add_gold(project, [f"g{i}" for i in range(60)])
    _set(project, gold_rate=0.3)
    served = _drain(project, teammate, rng=random.Random(7), limit=40)
    # One draw per handed-out item, so the same seed predicts each choice exactly.
    replay = random.Random(7)
    expected = [replay.random() < 0.3 for _ in range(40)]
    assert [i.is_gold for i in served] == expected
    assert 5 <= sum(expected) <= 20


def test_every_annotator_gets_each_gold_item_once_beyond_the_overlap(project, org, owner, teammate):
    gold = _add_gold(project, ["g1", "g2"])
    _set(project, gold_rate=1.0)
    people = [teammate] + [_annotator(project, org, owner, f"ann{i}") for i in range(3)]
    for person in people:
        served = _drain(project, person)
        assert sorted(i.pk for i in served if i.is_gold) == sorted(g.pk for g in gold)
    for g in gold:
        assert Annotation.objects.filter(item=g).count() == len(people)
        g.refresh_from_db()
        assert (g.done_count, g.available) == (len(people), False)


def test_gold_does_not_use_up_the_overlap_of_normal_items(project, org, owner, teammate):
    _add_gold(project, ["g1", "g2", "g3"])
    _set(project, gold_rate=1.0, overlap=2)
    other = _annotator(project, org, owner, "other")
    third = _annotator(project, org, owner, "third")
    normal_a = [i.pk for i in _drain(project, teammate) if not i.is_gold]
    normal_b = [i.pk for i in _drain(project, other) if not i.is_gold]
    assert len(normal_a) == len(normal_b) == 3
    # Overlap 2 is reached on every normal item; the third person gets only gold.
    normal = Item.objects.filter(project=project, is_gold=False)
    assert sorted(normal.values_list("done_count", "available")) == [(2, False)] * 3
    assert [i.is_gold for i in _drain(project, third)] == [True, True, True]


def test_a_gold_answer_is_accepted_after_the_lease_expired(project, org, owner, teammate):
    (gold,) = _add_gold(project, ["g1"])
    _set(project, gold_rate=1.0)
    other = _annotator(project, org, owner, "other")
    assert services.next_item(project=project, user=teammate).pk == gold.pk
    services.release_expired_leases(project=project, now=timezone.now() + timedelta(days=1))
    assert not Lease.objects.filter(annotator=teammate).exists()
    _drain(project, other)  # overlap 1 long reached on the gold item
    gold.refresh_from_db()
    result = services.submit_annotation(
        project=project, item=gold, user=teammate, answer={"topic": "sport"}
    )
    assert result.created


def test_marking_and_unmarking_moves_items_out_of_and_back_into_the_queue(project, owner):
    item = project.items.order_by("id").first()
    services.submit_annotation(project=project, item=item, user=owner, answer={"topic": "sport"})
    project = services.update_project(project=project, by=owner, overlap=3)
    marked, missing = services.mark_gold(
        project=project, item_ids=[i.pk for i in project.items.all()], by=owner
    )
    assert marked == 1 and len(missing) == 2
    item.refresh_from_db()
    assert (item.is_gold, item.available, item.reference) == (True, False, {"topic": "sport"})
    assert services.unmark_gold(project=project, item_ids=[item.pk], by=owner) == 1
    item.refresh_from_db()
    assert (item.is_gold, item.available, item.reference) == (False, True, {"topic": "sport"})


def test_set_gold_refuses_a_bad_or_missing_reference(project, owner):
    item = project.items.first()
    with pytest.raises(services.InvalidInput, match="reference.topic"):
        services.set_gold(
            project=project, item=item, reference={"topic": "x"}, is_gold=True, by=owner
        )
    with pytest.raises(services.InvalidInput, match="needs its reference"):
        services.set_gold(project=project, item=item, reference=None, is_gold=True, by=owner)
    item.refresh_from_db()
    assert (item.is_gold, item.reference) == (False, None)


def test_gold_items_do_not_hold_back_project_completion(project, owner, teammate):
    from trainerdesk.workbench.models import Webhook, WebhookDelivery

    _add_gold(project, ["g1"])
    services.create_webhook(
        project=project, url="http://127.0.0.1:9/hook", events=["project.completed"], by=owner
    )
    _drain(project, teammate)
    assert WebhookDelivery.objects.filter(event=Webhook.Event.PROJECT_COMPLETED).exists()


# --- import -------------------------------------------------------------------------------


def _import(project, owner, name, payload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = services.start_import(project=project, upload=SimpleUploadedFile(name, payload), by=owner)
    return services.run_import(job_id=job.pk)


def test_jsonl_gold_rows_need_a_valid_reference(project, owner):
    job = _import(
        project,
        owner,
        "gold.jsonl",
        b'{"text": "ok", "gold": true, "reference": {"topic": "sport"}, '
        b'"gold_explanation": "Goal."}\n'
        b'{"text": "no ref", "gold": true}\n'
        b'{"text": "bad ref", "gold": true, "reference": {"topic": "cooking"}}\n'
        b'{"text": "bad flag", "gold": "maybe", "reference": {"topic": "sport"}}\n',
    )
    gold = Item.objects.get(project=project, data__text="ok")
    assert (gold.is_gold, gold.available, gold.gold_explanation) == (True, False, "Goal.")
    assert not Item.objects.filter(data__text__in=["no ref", "bad ref", "bad flag"]).exists()
    errors = {e["line"]: e["message"] for e in job.errors}
    assert 'field "reference"' in errors[2]
    assert "reference.topic" in errors[3]
    assert 'field "gold"' in errors[4]


def test_csv_gold_columns(project, owner):
    _import(
        project,
        owner,
        "gold.csv",
        b'text,gold,reference\n"csv gold",true,"{""topic"": ""tech""}"\n"csv plain",,\n',
    )
    assert Item.objects.get(data__text="csv gold").is_gold
    assert Item.objects.get(data__text="csv gold").reference == {"topic": "tech"}
    assert not Item.objects.get(data__text="csv plain").is_gold
    assert "gold" not in Item.objects.get(data__text="csv plain").data


def test_label_studio_gold_tasks(project, owner):
    _import(
        project,
        owner,
        "ls.json",
        b'[{"data": {"text": "ls gold"}, "gold": true, "reference": {"topic": "business"}},'
        b' {"data": {"text": "ls plain"}}]',
    )
    assert Item.objects.get(data__text="ls gold").is_gold
    assert not Item.objects.get(data__text="ls plain").is_gold


def test_label_studio_ground_truth_annotation_becomes_the_reference(project, owner):
    result = [
        {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["tech"]}}
    ]
    task = {"data": {"text": "ls truth"}, "annotations": [{"result": result, "ground_truth": True}]}
    _import(project, owner, "truth.json", orjson.dumps([task]))
    item = Item.objects.get(data__text="ls truth")
    assert (item.is_gold, item.reference) == (True, {"topic": "tech"})


def test_api_add_items_with_gold(project, owner, client_for):
    response = client_for(owner).post(
        f"{API}/projects/{project.pk}/items",
        orjson.dumps([{"text": "api gold", "gold": True}]).decode(),
        content_type="application/json",
    )
    assert "reference" in str(response.json())
    assert not Item.objects.filter(data__text="api gold").exists()


# --- nothing reveals gold to the annotator --------------------------------------------------


def _normalised(html: str) -> str:
    html = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r'CSRFToken": "[^"]+"', "CSRF", html)


def test_the_page_and_api_look_the_same_for_a_gold_item(project, owner, teammate, client_for):
    (gold,) = _add_gold(project, ["a gold text"])
    services.set_gold(
        project=project,
        item=gold,
        reference={"topic": "sport"},
        is_gold=True,
        explanation="SECRET-EXPLANATION",
        by=owner,
    )
    _set(project, gold_rate=1.0, gold_feedback=True)
    client = client_for(teammate)
    as_gold = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert "a gold text" in as_gold
    body = client.get(f"{API}/projects/{project.pk}/next").json()
    assert body["item"] == {"id": gold.pk, "external_id": None, "data": {"text": "a gold text"}}
    assert "gold" not in str(body).lower().replace("a gold text", "")
    item_api = client.get(f"{API}/projects/{project.pk}/items/{gold.pk}").json()
    assert "is_gold" not in item_api and "reference" not in item_api
    assert "SECRET-EXPLANATION" not in as_gold
    # The same item once it is not gold (same lease): the page is identical.
    services.unmark_gold(project=project, item_ids=[gold.pk], by=owner)
    as_plain = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert _normalised(as_gold) == _normalised(as_plain)
