"""Per-person assignment: the queue serves assigned items to their assignee only, first;
the data manager's "assign to" action, the queue-share form, the API; who may do it."""

import random

import pytest
from django.urls import reverse

from trainerdesk.accounts.services import add_member, create_user
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _ids(project) -> list[int]:
    return list(project.items.order_by("id").values_list("id", flat=True))


@pytest.fixture
def second(org, project, owner):
    """Another annotator on the project."""
    user = create_user(username="second", password="x" * 12, email="second@example.org")
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="annotator", by=owner)
    return user


def _answer(project, user, item):
    return services.submit_annotation(
        project=project, item=item, user=user, answer={"topic": "tech"}
    )


def test_assigned_item_goes_first_and_only_to_its_assignee(project, owner, teammate, second):
    first, middle, last = _ids(project)
    services.assign_items(project=project, item_ids=[last], assignee=second, by=owner)
    # teammate never gets the item assigned to second, even with nothing else left.
    got = services.next_item(project=project, user=teammate)
    assert got.pk == first
    _answer(project, teammate, got)
    got = services.next_item(project=project, user=teammate)
    assert got.pk == middle
    _answer(project, teammate, got)
    assert services.next_item(project=project, user=teammate) is None
    # second gets their assigned item before the shared queue.
    assert services.next_item(project=project, user=second).pk == last


def test_after_the_assignee_answers_the_item_returns_to_the_shared_queue(
    project, owner, teammate, second
):
    project = services.update_project(project=project, by=owner, overlap=2)
    item_id = _ids(project)[2]
    services.assign_items(project=project, item_ids=[item_id], assignee=second, by=owner)
    got = services.next_item(project=project, user=second)
    assert got.pk == item_id
    _answer(project, second, got)
    assert Item.objects.get(pk=item_id).assignee_id is None
    # It needs a second annotator: teammate now gets it from the shared queue.
    seen = []
    while (got := services.next_item(project=project, user=teammate)) is not None:
        seen.append(got.pk)
        _answer(project, teammate, got)
    assert item_id in seen


def test_skipping_also_hands_the_item_back(project, owner, teammate, second):
    item_id = _ids(project)[0]
    services.assign_items(project=project, item_ids=[item_id], assignee=second, by=owner)
    got = services.next_item(project=project, user=second)
    services.submit_annotation(project=project, item=got, user=second, skipped=True)
    refreshed = Item.objects.get(pk=item_id)
    assert refreshed.assignee_id is None and refreshed.available
    assert services.next_item(project=project, user=teammate).pk == item_id


def test_unassign_returns_items_to_everyone(project, owner, teammate, second):
    ids = _ids(project)
    services.assign_items(project=project, item_ids=ids, assignee=second, by=owner)
    assert services.next_item(project=project, user=teammate) is None
    assert services.assign_items(project=project, item_ids=ids, assignee=None, by=owner) == 3
    assert services.next_item(project=project, user=teammate).pk == ids[0]


def test_items_the_assignee_already_worked_on_are_left_alone(project, owner, teammate):
    project = services.update_project(project=project, by=owner, overlap=2)
    item = project.items.order_by("id").first()
    _answer(project, teammate, item)
    count = services.assign_items(
        project=project, item_ids=_ids(project), assignee=teammate, by=owner
    )
    assert count == 2
    assert Item.objects.get(pk=item.pk).assignee_id is None


def test_assigning_to_a_non_member_is_refused(project, owner, outsider, org):
    with pytest.raises(services.InvalidInput) as info:
        services.assign_items(project=project, item_ids=_ids(project), assignee=outsider, by=owner)
    assert info.value.errors == [
        "assignee: outsider is not a member of this project (add them first)"
    ]
    # In the organization but without a project role: still refused.
    add_member(organization=org, user=outsider)
    with pytest.raises(services.InvalidInput):
        services.assign_items(project=project, item_ids=_ids(project), assignee=outsider, by=owner)
    assert not project.items.exclude(assignee=None).exists()


def test_removing_a_member_frees_their_items(project, owner, second):
    services.assign_items(project=project, item_ids=_ids(project), assignee=second, by=owner)
    services.remove_project_member(project=project, user=second, by=owner)
    assert not project.items.exclude(assignee=None).exists()


# --- a share of the queue ------------------------------------------------------------------


@pytest.fixture
def bigger(project):
    services.add_items(
        project=project, items=[{"text": f"extra {n}"} for n in range(17)], by=project.created_by
    )
    return project  # 20 items


def test_queue_share_by_count_in_queue_order(bigger, owner, teammate, second):
    share = services.assign_queue_share(
        project=bigger, assignees=[teammate, second], count=3, by=owner
    )
    assert share.assigned == {"teammate": 3, "second": 3}
    ids = _ids(bigger)
    assert (
        list(bigger.items.filter(assignee=teammate).order_by("id").values_list("id", flat=True))
        == ids[:3]
    )
    assert (
        list(bigger.items.filter(assignee=second).order_by("id").values_list("id", flat=True))
        == ids[3:6]
    )


def test_queue_share_by_percent_at_random(bigger, owner, teammate):
    share = services.assign_queue_share(
        project=bigger,
        assignees=[teammate],
        percent=25,
        order="random",
        by=owner,
        rng=random.Random(3),
    )
    assert share.requested == 5 and share.assigned == {"teammate": 5}
    chosen = sorted(bigger.items.filter(assignee=teammate).values_list("id", flat=True))
    assert chosen != _ids(bigger)[:5]  # not simply the head of the queue (seeded)


def test_queue_share_takes_only_unassigned_open_items(bigger, owner, teammate, second):
    ids = _ids(bigger)
    services.assign_items(project=bigger, item_ids=ids[:18], assignee=second, by=owner)
    share = services.assign_queue_share(project=bigger, assignees=[teammate], count=5, by=owner)
    assert share.assigned == {"teammate": 2}
    assert bigger.items.filter(assignee=second).count() == 18


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "count: give either a number of items or a percentage"),
        ({"count": 1, "percent": 5}, "count: give either"),
        ({"count": 0}, "count: must be between"),
        ({"percent": 101}, "percent: must be more than 0"),
        ({"count": 1, "order": "sideways"}, "order: 'sideways' is not one of"),
    ],
)
def test_queue_share_bad_input(project, owner, teammate, kwargs, message):
    with pytest.raises(services.InvalidInput) as info:
        services.assign_queue_share(project=project, assignees=[teammate], by=owner, **kwargs)
    assert info.value.errors[0].startswith(message)


# --- through the data manager --------------------------------------------------------------


def _act(client, project, **data):
    return client.post(reverse("workbench:data_manager_action", args=[project.pk]), data)


def test_bulk_assign_and_unassign(client_for, owner, teammate, project):
    ids = _ids(project)[:2]
    client = client_for(owner)
    response = _act(client, project, action="assign", item=ids, assignee="teammate")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "2 item(s) assigned to teammate." in page
    assert set(project.items.filter(assignee=teammate).values_list("id", flat=True)) == set(ids)
    # The filter and the column.
    filtered = client.get(
        reverse("workbench:data_manager", args=[project.pk]) + "?assignee=teammate"
    )
    text = filtered.content.decode()
    assert text.count('name="item"') == 2 and 'class="dm-assignee">teammate<' in text
    nobody = client.get(reverse("workbench:data_manager", args=[project.pk]) + "?assignee=-")
    assert nobody.content.decode().count('name="item"') == 1
    _act(client, project, action="unassign", item=ids)
    assert not project.items.exclude(assignee=None).exists()


def test_bulk_assign_to_a_non_member_shows_the_error(client_for, owner, outsider, project):
    client = client_for(owner)
    response = _act(client, project, action="assign", item=_ids(project), assignee="outsider")
    page = client.get(response["Location"]).content.decode()
    assert "assignee: outsider is not a member of this project" in page
    assert not project.items.exclude(assignee=None).exists()


def test_bulk_assign_needs_a_person(client_for, owner, project):
    client = client_for(owner)
    response = _act(client, project, action="assign", item=_ids(project), assignee="")
    assert "assignee: Choose the person" in client.get(response["Location"]).content.decode()


def test_queue_share_form(client_for, owner, teammate, bigger):
    client = client_for(owner)
    response = client.post(
        reverse("workbench:queue_share", args=[bigger.pk]),
        {"assignees": ["teammate"], "count": "4", "order": "queue"},
    )
    assert response.status_code == 302
    assert (
        "Assigned from the shared queue (teammate: 4)"
        in client.get(response["Location"]).content.decode()
    )
    assert bigger.items.filter(assignee=teammate).count() == 4
    bad = client.post(
        reverse("workbench:queue_share", args=[bigger.pk]),
        {"assignees": ["teammate"], "order": "queue"},
    )
    assert (
        "Give either a number of items or a percentage"
        in client.get(bad["Location"]).content.decode()
    )


def test_outsider_and_annotator_cannot_assign(client, outsider, teammate, project):
    for user in (outsider, teammate):
        client.force_login(user)
        assert (
            _act(
                client, project, action="assign", item=_ids(project), assignee="teammate"
            ).status_code
            == 404
        )
        share = client.post(
            reverse("workbench:queue_share", args=[project.pk]),
            {"assignees": ["teammate"], "count": "1"},
        )
        assert share.status_code == 404
        api = client.post(
            f"{API}/projects/{project.pk}/assign",
            {"items": _ids(project), "assignee": "teammate"},
            content_type="application/json",
        )
        assert api.status_code == 404
    assert not project.items.exclude(assignee=None).exists()


# --- the API ----------------------------------------------------------------------------------


def test_api_assign_share_and_unassign(client_for, owner, teammate, bigger):
    client = client_for(owner)
    ids = _ids(bigger)
    response = client.post(
        f"{API}/projects/{bigger.pk}/assign",
        {"items": ids[:2], "assignee": "teammate"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"assigned": 2}
    response = client.post(
        f"{API}/projects/{bigger.pk}/queue/share",
        {"assignees": ["teammate"], "percent": 50},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"each": 9, "assigned": {"teammate": 9}}
    assert bigger.items.filter(assignee=teammate).count() == 11
    response = client.post(
        f"{API}/projects/{bigger.pk}/assign",
        {"items": ids, "assignee": None},
        content_type="application/json",
    )
    assert response.json() == {"assigned": 11}


def test_api_assign_to_non_member_is_a_400_naming_the_field(client_for, owner, project):
    response = client_for(owner).post(
        f"{API}/projects/{project.pk}/assign",
        {"items": _ids(project), "assignee": "nobody-here"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "assignee: nobody-here is not a member of this project" in response.content.decode()
