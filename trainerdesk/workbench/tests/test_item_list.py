"""GET /projects/{id}/items: the hand-built response stays byte for byte what ninja renders
from ItemPage, for managers and annotators, and pages use the keyset index."""

import datetime as dt

import pytest
from django.db import connection

from trainerdesk.api import api
from trainerdesk.workbench import access, services
from trainerdesk.workbench.api import _item
from trainerdesk.workbench.api_items import ItemPage
from trainerdesk.workbench.models import Item

API = "/api/v1"


def _ninja_rendering(project, user, *, after: int, limit: int) -> bytes:
    """What the endpoint returned when it went through the ORM and ItemPage validation."""
    project = access.get_project_for_user(user, project.pk)
    full = access.can(project, "see_all_work")
    page = list(Item.objects.filter(project=project, pk__gt=after).order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    data = {
        "items": [_item(item, full=full, project=project) for item in page],
        "next_after": page[-1].pk if more else None,
    }
    dumped = ItemPage.model_validate(data).model_dump(exclude_unset=True)
    return api.renderer.render(None, dumped, response_status=200).encode()


@pytest.fixture
def varied(project, owner):
    services.add_items(
        project=project,
        by=owner,
        items=[
            {"text": 'Ünïcode — 東京 😀 "q" \\ \t', "z": 1, "a": [0.1, 1e-07, 1e20, None]},
            {"text": "Gold row.", "reference": {"topic": "tech"}, "meta": {"b": True, "a": -3}},
            {"text": "Nested", "source": {"deep": [{"x": "y"}, [], {}]}, "n": 12345678901234},
        ],
    )
    items = list(project.items.order_by("id"))
    Item.objects.filter(pk=items[0].pk).update(
        external_id="ext-ü-1", created_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    Item.objects.filter(pk=items[4].pk).update(
        is_gold=True, gold_explanation="Because — ü.", priority=-7, done_count=2, skip_count=1
    )
    project.annotator_fields = ["source", "missing"]
    project.save(update_fields=["annotator_fields"])
    return project


@pytest.mark.parametrize("see_external_id", [False, True])
@pytest.mark.parametrize("persona", ["owner", "teammate"])
def test_list_is_ninjas_rendering_byte_for_byte(
    varied, persona, see_external_id, request, client_for
):
    user = request.getfixturevalue(persona)
    varied.annotators_see_external_id = see_external_id
    varied.save(update_fields=["annotators_see_external_id"])
    client = client_for(user)
    url = f"{API}/projects/{varied.pk}/items"
    first_id = varied.items.order_by("id").first().pk

    for after, limit in [(0, 100), (0, 2), (first_id + 1, 2), (first_id + 5, 3), (10**9, 5)]:
        response = client.get(url, {"after": after, "limit": limit})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.content == _ninja_rendering(varied, user, after=after, limit=limit)


def test_list_is_still_documented_as_an_item_page(client_for, owner):
    schema = client_for(owner).get(f"{API}/openapi.json").json()
    get = schema["paths"]["/api/v1/projects/{project_id}/items"]["get"]
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ItemPage")


def test_list_pages_walk_the_keyset_index(project):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id, data FROM workbench_item"
            " WHERE project_id = %s AND id > %s ORDER BY id LIMIT 101",
            [project.pk, 0],
        )
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "item_keyset" in plan
    assert "TEMP B-TREE" not in plan
