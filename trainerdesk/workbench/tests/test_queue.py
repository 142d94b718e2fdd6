"""The annotation queue rules, through the service layer."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from trainerdesk.accounts.services import add_member, create_user
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item, Lease


def _answer(label="sport"):
    return {"topic": label}


def _user(org, name):
    user = create_user(username=name, password="x", check_password=False)
    add_member(organization=org, user=user)
    return user


def _annotator(project, org, owner, name):
    user = _user(org, name)
    services.set_project_member(project=project, user=user, role="annotator", by=owner)
    return user


def test_items_come_in_import_order_and_reload_returns_the_same(project, teammate):
    first = services.next_item(project=project, user=teammate)
    assert first.data["text"] == "Shares rose sharply."
    # A reload before submitting must not hand out a second item.
    assert services.next_item(project=project, user=teammate).pk == first.pk
    assert Lease.objects.filter(annotator=teammate).count() == 1


def test_never_an_item_already_answered_or_skipped(project, teammate):
    seen = []
    for step in range(3):
        item = services.next_item(project=project, user=teammate)
        seen.append(item.pk)
        services.submit_annotation(
            project=project,
            item=item,
            user=teammate,
            answer=_answer(),
            skipped=step == 1,
            skip_reason="unsure" if step == 1 else "",
        )
    assert len(set(seen)) == 3
    assert services.next_item(project=project, user=teammate) is None


def test_skipped_item_still_goes_to_someone_else(project, org, owner, teammate):
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(project=project, item=item, user=teammate, skipped=True)
    other = _annotator(project, org, owner, "other")
    assert services.next_item(project=project, user=other).pk == item.pk


def test_overlap_one_hands_each_item_to_one_annotator(project, org, owner, teammate):
    other = _annotator(project, org, owner, "other")
    a = services.next_item(project=project, user=teammate)
    b = services.next_item(project=project, user=other)
    assert a.pk != b.pk


def test_overlap_two_shares_items_but_never_three(project, org, owner, teammate):
    services.update_project(project=project, by=owner, overlap=2)
    project.refresh_from_db()
    second = _annotator(project, org, owner, "second")
    third = _annotator(project, org, owner, "third")
    a = services.next_item(project=project, user=teammate)
    b = services.next_item(project=project, user=second)
    c = services.next_item(project=project, user=third)
    assert a.pk == b.pk
    assert c.pk != a.pk
    for user, item in ((teammate, a), (second, b)):
        services.submit_annotation(project=project, item=item, user=user, answer=_answer())
    assert Item.objects.get(pk=a.pk).done_count == 2
    assert not Item.objects.get(pk=a.pk).available


def test_expired_lease_frees_the_item(project, org, owner, teammate):
    other = _annotator(project, org, owner, "other")
    item = services.next_item(project=project, user=teammate)
    later = timezone.now() + timedelta(minutes=31)
    # The first annotator walked away: after the lease runs out someone else gets it.
    assert services.next_item(project=project, user=other, now=later).pk == item.pk
    assert not Lease.objects.filter(annotator=teammate).exists()


def test_late_submit_after_expiry_is_refused_when_item_is_full(project, org, owner, teammate):
    other = _annotator(project, org, owner, "other")
    item = services.next_item(project=project, user=teammate)
    later = timezone.now() + timedelta(minutes=31)
    services.next_item(project=project, user=other, now=later)
    services.submit_annotation(project=project, item=item, user=other, answer=_answer())
    with pytest.raises(services.ConflictError, match="already has the 1 annotation"):
        services.submit_annotation(project=project, item=item, user=teammate, answer=_answer())
    assert Annotation.objects.filter(item=item).count() == 1


def test_late_submit_is_accepted_while_there_is_room(project, teammate):
    item = services.next_item(project=project, user=teammate)
    Lease.objects.all().update(expires_at=timezone.now() - timedelta(seconds=1))
    services.release_expired_leases(project=project)
    services.submit_annotation(project=project, item=item, user=teammate, answer=_answer())
    assert Item.objects.get(pk=item.pk).done_count == 1


def test_submit_is_idempotent_by_client_id(project, teammate):
    item = services.next_item(project=project, user=teammate)
    key = uuid.uuid4()
    first = services.submit_annotation(
        project=project, item=item, user=teammate, answer=_answer(), client_id=key
    )
    retry = services.submit_annotation(
        project=project, item=item, user=teammate, answer=_answer(), client_id=key
    )
    assert first.created and not retry.created
    assert retry.annotation.pk == first.annotation.pk
    assert Annotation.objects.count() == 1
    assert Item.objects.get(pk=item.pk).done_count == 1


def test_changing_an_answer_updates_it_in_place(project, teammate):
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(project=project, item=item, user=teammate, answer=_answer())
    services.submit_annotation(
        project=project, item=item, user=teammate, answer=_answer("tech"), lead_time=2.0
    )
    annotation = Annotation.objects.get(item=item)
    assert annotation.answer == {"topic": "tech"}
    assert Item.objects.get(pk=item.pk).done_count == 1
    # Changing an answer to a skip gives the slot back to the queue.
    services.submit_annotation(project=project, item=item, user=teammate, skipped=True)
    refreshed = Item.objects.get(pk=item.pk)
    assert (refreshed.done_count, refreshed.skip_count, refreshed.available) == (0, 1, True)


def test_annotation_records_who_when_version_and_lead_time(project, owner, teammate):
    services.update_project(project=project, by=owner, instructions="New rules.")
    project.refresh_from_db()
    item = services.next_item(project=project, user=teammate)
    result = services.submit_annotation(
        project=project, item=item, user=teammate, answer=_answer(), lead_time=4.5
    )
    annotation = result.annotation
    assert annotation.annotator == teammate
    assert annotation.guideline_version == 2
    assert annotation.lead_time == 4.5
    assert annotation.created_at <= timezone.now()


def test_invalid_answer_is_refused_with_the_field_named(project, teammate):
    item = services.next_item(project=project, user=teammate)
    with pytest.raises(services.InvalidInput, match="answer.topic"):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": "weather"}
        )
    assert not Annotation.objects.exists()
    # The lease survives a refused answer, so the annotator keeps their item.
    assert Lease.objects.filter(annotator=teammate, item=item).exists()


def test_priority_ordering_serves_highest_first(project, owner, teammate):
    services.update_project(project=project, by=owner, ordering="priority")
    project.refresh_from_db()
    target = Item.objects.get(data__text="A new chip.")
    services.set_priority(project=project, item_ids=[target.pk], priority=10, by=project.created_by)
    assert services.next_item(project=project, user=teammate).pk == target.pk


def test_random_ordering_still_hands_out_every_item_once(project, owner, teammate):
    services.update_project(project=project, by=owner, ordering="random")
    project.refresh_from_db()
    seen = set()
    while item := services.next_item(project=project, user=teammate):
        assert item.pk not in seen
        seen.add(item.pk)
        services.submit_annotation(project=project, item=item, user=teammate, answer=_answer())
    assert len(seen) == 3


def test_raising_overlap_reopens_finished_items(project, owner, org, teammate):
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(project=project, item=item, user=teammate, answer=_answer())
    assert not Item.objects.get(pk=item.pk).available
    services.update_project(project=project, by=owner, overlap=2)
    assert Item.objects.get(pk=item.pk).available


def test_a_lease_made_by_the_same_users_other_request_is_not_an_error(
    project, teammate, monkeypatch
):
    # PostgreSQL interleaves two /next requests of one annotator (double click, two tabs):
    # both find no lease, the second INSERT meets lease_one_per_user. Simulated here by
    # leasing another item to them between the look-up and the INSERT.
    from trainerdesk.workbench.services import queue

    original = queue._pick_item
    calls = []

    def racing_pick(**kwargs):
        item = original(**kwargs)
        if not calls:
            other = Item.objects.filter(project=project).exclude(pk=item.pk).first()
            Lease.objects.create(
                project=project,
                item=other,
                annotator=teammate,
                expires_at=timezone.now() + timedelta(minutes=5),
            )
        calls.append(item.pk)
        return item

    monkeypatch.setattr(queue, "_pick_item", racing_pick)
    item = services.next_item(project=project, user=teammate)

    assert item is not None and len(calls) == 2
    lease = Lease.objects.get(annotator=teammate)
    assert lease.item_id == item.pk
    assert Item.objects.get(pk=item.pk).leased_count == 1
    assert sum(Item.objects.filter(project=project).values_list("leased_count", flat=True)) == 1


def test_the_shared_queue_lookup_reads_its_index_in_order(project, teammate):
    # With one (project, assignee, rank) index PostgreSQL sorted every open item before
    # LIMIT 1 (it does not take `assignee IS NULL` as fixing the column): 0.5 s per /next
    # at 5,000 items. The plan must walk an index in queue order and stop at the first.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        services.next_item(project=project, user=teammate)
    lookup = next(q["sql"] for q in queries if "assignee_id IS NULL" in q["sql"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test tables are tiny; rule out the plans only a tiny table would get.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {lookup}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "item_queue" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
