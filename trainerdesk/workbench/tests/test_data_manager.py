"""The data manager: filters in the URL, keyset pages, bulk actions, permissions."""

import html
import re
from datetime import date, timedelta

import orjson
import pytest
from django.urls import reverse
from django.utils import timezone

from trainerdesk.accounts.services import add_member
from trainerdesk.workbench import services
from trainerdesk.workbench.filters import FilterErrors, ItemFilter, parse_filters
from trainerdesk.workbench.models import Annotation, Item, Lease

pytestmark = pytest.mark.django_db

_IDS = re.compile(r'name="item" value="(\d+)"')


def _url(project, **params):
    url = reverse("workbench:data_manager", args=[project.pk])
    return url + ("?" + ItemFilter().query(**params) if params else "")


def _ids(response) -> list[int]:
    return [int(pk) for pk in _IDS.findall(response.content.decode())]


def _items(project) -> dict[str, Item]:
    return {item.data["text"]: item for item in project.items.all()}


@pytest.fixture
def worked(project, owner, teammate):
    """The three topic items, worked on: "Shares" answered business by teammate and owner
    (done at overlap 2), "goal" answered sport by teammate (in progress), "chip" skipped
    by teammate; plus a fourth, untouched item carrying metadata."""
    project = services.update_project(project=project, by=owner, overlap=2)
    services.add_items(
        project=project,
        items=[{"text": "Quiet market day.", "source": "wire", "rank": 3, "external_id": "w-1"}],
        by=project.created_by,
    )
    items = _items(project)
    for user, text, answer in [
        (teammate, "Shares rose sharply.", {"topic": "business"}),
        (owner, "Shares rose sharply.", {"topic": "business"}),
        (teammate, "A late goal won it.", {"topic": "sport"}),
    ]:
        services.submit_annotation(project=project, item=items[text], user=user, answer=answer)
    services.submit_annotation(
        project=project, item=items["A new chip."], user=teammate, skipped=True
    )
    return _items(project)


def _page_ids(client, project, **params):
    response = client.get(_url(project, **params))
    assert response.status_code == 200, response.content.decode()[:2000]
    return _ids(response)


# --- the pure parser ---------------------------------------------------------------------


def test_parse_filters_reads_every_filter():
    params = {
        "status": "done",
        "label": "sport",
        "annotator": " ann ",
        "created_from": "2026-01-01",
        "created_to": "2026-01-31",
        "meta_key": "source",
        "meta_value": "wire",
        "q": "goal",
        "sort": "-priority",
        "after": "17",
    }
    parsed = parse_filters(params.get, labels=["sport"])
    assert parsed == ItemFilter(
        status="done",
        label="sport",
        annotator="ann",
        created_from=date(2026, 1, 1),
        created_to=date(2026, 1, 31),
        meta_key="source",
        meta_value="wire",
        q="goal",
        sort="-priority",
        after=17,
    )
    # The canonical query string round-trips.
    again = parse_filters(
        dict(p.split("=") for p in parsed.query().split("&")).get, labels=["sport"]
    )
    assert again == parsed


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "finished"}, "status: 'finished' is not one of"),
        ({"label": "weather"}, "label: 'weather' is not a label of this project"),
        ({"created_from": "yesterday"}, "created_from: 'yesterday' is not a date"),
        ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, "created_to: is before"),
        ({"meta_key": "a__contains"}, "meta_key: 'a__contains' is not a metadata key"),
        ({"meta_key": "x y"}, "meta_key: 'x y' is not a metadata key"),
        ({"meta_value": "3"}, "meta_key: required when meta_value"),
        ({"sort": "random"}, "sort: 'random' is not one of"),
        ({"after": "-3"}, "after: '-3' is not an item id"),
        ({"before": "99999999999999999999"}, "before: '99999999999999999999' is not an item id"),
        ({"after": "1", "before": "2"}, "before: give either after or before"),
        ({"q": "x" * 201}, "q: at most 200 characters"),
    ],
)
def test_parse_filters_names_the_bad_filter(params, message):
    with pytest.raises(FilterErrors) as info:
        parse_filters(params.get, labels=["sport"])
    assert any(e.startswith(message) for e in info.value.errors), info.value.errors


# --- filters on the page -----------------------------------------------------------------


def test_status_filters(client_for, owner, worked):
    client, project = client_for(owner), worked["A new chip."].project
    assert _page_ids(client, project, status="done") == [worked["Shares rose sharply."].pk]
    assert _page_ids(client, project, status="in_progress") == [worked["A late goal won it."].pk]
    assert _page_ids(client, project, status="skipped") == [worked["A new chip."].pk]
    assert _page_ids(client, project, status="new") == [worked["Quiet market day."].pk]


def test_leased_item_is_in_progress_not_new(client_for, owner, teammate, worked):
    project = worked["A new chip."].project
    outsider_of_work = worked["Quiet market day."]
    leased = services.next_item(project=project, user=teammate)
    assert leased.pk == outsider_of_work.pk
    client = client_for(owner)
    assert _page_ids(client, project, status="new") == []
    assert outsider_of_work.pk in _page_ids(client, project, status="in_progress")


def test_label_filter_uses_non_skipped_answers(client_for, owner, worked):
    client, project = client_for(owner), worked["A new chip."].project
    assert _page_ids(client, project, label="sport") == [worked["A late goal won it."].pk]
    assert _page_ids(client, project, label="business") == [worked["Shares rose sharply."].pk]
    assert _page_ids(client, project, label="tech") == []


def test_label_filter_on_multiple_choice(client_for, owner, org):
    project = services.create_project(
        organization=org,
        created_by=owner,
        name="Tags",
        label_schema={
            "fields": [
                {
                    "name": "tags",
                    "type": "choice",
                    "source": "text",
                    "multiple": True,
                    "labels": [{"value": "red"}, {"value": "reddish"}],
                }
            ]
        },
    )
    services.add_items(
        project=project, items=[{"text": "one"}, {"text": "two"}], by=project.created_by
    )
    one, two = project.items.order_by("id")
    services.submit_annotation(project=project, item=one, user=owner, answer={"tags": ["red"]})
    services.submit_annotation(project=project, item=two, user=owner, answer={"tags": ["reddish"]})
    client = client_for(owner)
    assert _page_ids(client, project, label="red") == [one.pk]
    assert _page_ids(client, project, label="reddish") == [two.pk]


def test_annotator_filter(client_for, owner, teammate, worked):
    client, project = client_for(owner), worked["A new chip."].project
    by_teammate = {
        worked[t].pk for t in ("Shares rose sharply.", "A late goal won it.", "A new chip.")
    }
    assert set(_page_ids(client, project, annotator="teammate")) == by_teammate
    assert _page_ids(client, project, annotator="owner") == [worked["Shares rose sharply."].pk]
    assert _page_ids(client, project, annotator="nobody") == []


def test_date_filter_is_inclusive_by_day(client_for, owner, worked):
    project = worked["A new chip."].project
    old = worked["A late goal won it."]
    Item.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    client = client_for(owner)
    recent = _page_ids(client, project, created_from=today)
    assert old.pk not in recent and len(recent) == 3
    assert _page_ids(client, project, created_to=today - timedelta(days=5)) == [old.pk]
    assert _page_ids(
        client,
        project,
        created_from=today - timedelta(days=10),
        created_to=today - timedelta(days=10),
    ) == [old.pk]


def test_metadata_filter_matches_text_and_numbers(client_for, owner, worked):
    client, project = client_for(owner), worked["A new chip."].project
    quiet = worked["Quiet market day."].pk
    assert _page_ids(client, project, meta_key="source", meta_value="wire") == [quiet]
    assert _page_ids(client, project, meta_key="source", meta_value="web") == []
    assert _page_ids(client, project, meta_key="rank", meta_value="3") == [quiet]
    assert _page_ids(client, project, meta_key="rank", meta_value="4") == []


def test_free_text_is_case_insensitive(client_for, owner, worked):
    client, project = client_for(owner), worked["A new chip."].project
    assert _page_ids(client, project, q="SHARES") == [worked["Shares rose sharply."].pk]
    assert _page_ids(client, project, q="zzz") == []


def test_filters_combine(client_for, owner, worked):
    client, project = client_for(owner), worked["A new chip."].project
    goal = worked["A late goal won it."].pk
    assert _page_ids(
        client, project, annotator="teammate", label="sport", status="in_progress"
    ) == [goal]
    assert _page_ids(client, project, annotator="teammate", label="sport", status="done") == []
    assert _page_ids(client, project, annotator="teammate", q="chip", status="skipped") == [
        worked["A new chip."].pk
    ]


def test_table_shows_columns_and_final_answer(client_for, owner, worked):
    project = worked["A new chip."].project
    text = client_for(owner).get(_url(project)).content.decode()
    assert "Shares rose sharply." in text
    assert "topic: business" in text
    assert "w-1" in text  # external id
    assert "done" in text and "in progress" in text and "skipped" in text


def test_excerpt_is_cut_at_120_characters(client_for, owner, project):
    services.add_items(project=project, items=[{"text": "a" * 119 + "XYZ"}], by=project.created_by)
    text = client_for(owner).get(_url(project)).content.decode()
    assert "a" * 119 + "X" in text
    assert "a" * 119 + "XY" not in text


# --- keyset pages --------------------------------------------------------------------------


@pytest.fixture
def many(project):
    services.add_items(
        project=project,
        items=[{"text": f"item {n}", "priority": n % 7} for n in range(130)],
        by=project.created_by,
    )
    return project


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("id", ["id"]),
        ("-id", ["-id"]),
        ("priority", ["priority", "id"]),
        ("-priority", ["-priority", "-id"]),
        ("done_count", ["done_count", "id"]),
    ],
)
def test_keyset_pages_forward_and_back(client_for, owner, many, sort, order):
    client = client_for(owner)
    expected = list(many.items.order_by(*order).values_list("id", flat=True))
    assert len(expected) == 133
    pages, url = [], _url(many, sort=sort)
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(_ids(response))
        text = response.content.decode()
        assert "OFFSET" not in text
        link = re.search(r'rel="next" href="([^"]+)"', text)
        url = html.unescape(link[1]) if link else None
    assert [len(p) for p in pages] == [50, 50, 33]
    assert [pk for page in pages for pk in page] == expected
    # And back from the last page, page by page.
    back = [pages[-1]]
    text = response.content.decode()
    while link := re.search(r'rel="prev" href="([^"]+)"', text):
        text = client.get(html.unescape(link[1])).content.decode()
        back.append([int(pk) for pk in _IDS.findall(text)])
    assert back == pages[::-1]
    assert 'rel="prev"' not in client.get(_url(many, sort=sort)).content.decode()


def test_keyset_page_queries_use_no_offset(owner, many):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    parsed = parse_filters({"after": str(many.items.order_by("id")[60].pk)}.get)
    with CaptureQueriesContext(connection) as queries:
        page = services.item_page(project=many, filters=parsed)
    assert len(page.rows) == 50 and page.has_prev and page.has_next
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    # cursor lookup, page, "is there a previous page", the page's annotations
    assert len(queries.captured_queries) == 4


def test_cursor_to_a_deleted_item_is_a_clear_error(client_for, owner, project):
    response = client_for(owner).get(_url(project, after=10**9))
    assert response.status_code == 400
    assert "after: item 1000000000 is not in this project" in response.content.decode()


# --- bad input, htmx, permissions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=finished", "status: &#x27;finished&#x27; is not one of"),
        ("created_from=2026-13-01", "created_from: &#x27;2026-13-01&#x27; is not a date"),
        ("meta_key=a__b", "meta_key: &#x27;a__b&#x27; is not a metadata key"),
        ("sort=text", "sort: &#x27;text&#x27; is not one of"),
        ("after=abc", "after: &#x27;abc&#x27; is not an item id"),
        ("label=weather", "label: &#x27;weather&#x27; is not a label"),
    ],
)
def test_bad_filter_values_get_a_message(client_for, owner, project, query, message):
    url = reverse("workbench:data_manager", args=[project.pk]) + "?" + query
    response = client_for(owner).get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_search_covers_every_text_value_of_the_item(client_for, owner, org):
    # Projects without a text field are searchable too: the index holds every string.
    project = services.create_project(
        organization=org,
        created_by=owner,
        name="Pairs",
        label_schema={"fields": [{"name": "note", "type": "text"}]},
    )
    services.add_items(
        project=project, items=[{"a": "left side", "b": ["nested words"]}], by=project.created_by
    )
    client = client_for(owner)
    assert _page_ids(client, project, q="nested") == [project.items.get().pk]
    assert _page_ids(client, project, q="zzz") == []


def test_htmx_request_gets_only_the_table(client_for, owner, worked):
    project = worked["A new chip."].project
    client = client_for(owner)
    response = client.get(_url(project, status="done"), headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="dm-table"')
    assert "<html" not in text and "dm-filters" not in text
    assert _ids(response) == [worked["Shares rose sharply."].pk]
    bad = client.get(_url(project) + "?status=x", headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "status:" in bad.content.decode()


def test_full_page_has_filter_form_with_htmx_and_fallback(client_for, owner, project):
    text = client_for(owner).get(_url(project, status="new")).content.decode()
    assert 'method="get"' in text and 'hx-get="' in text and 'hx-push-url="true"' in text
    assert '<option value="new" selected>' in text


def test_overview_links_to_items_for_managers(client_for, owner, teammate, project):
    items_url = reverse("workbench:data_manager", args=[project.pk])
    detail = reverse("workbench:project_detail", args=[project.pk])
    assert items_url in client_for(owner).get(detail).content.decode()
    assert items_url not in client_for(teammate).get(detail).content.decode()


def test_outsider_and_annotator_get_404(client, owner, teammate, outsider, project):
    for user in (outsider, teammate):
        client.force_login(user)
        assert client.get(_url(project)).status_code == 404
        response = client.post(
            reverse("workbench:data_manager_action", args=[project.pk]),
            {"action": "delete", "item": [project.items.first().pk]},
        )
        assert response.status_code == 404
    assert project.items.count() == 3


def test_reviewer_sees_table_but_cannot_act(client_for, org, owner, teammate, project):
    services.set_project_member(project=project, user=teammate, role="reviewer", by=owner)
    client = client_for(teammate)
    response = client.get(_url(project))
    assert response.status_code == 200
    assert "Shares rose sharply." in response.content.decode()
    assert _ids(response) == []  # no checkboxes without the right to act
    denied = client.post(
        reverse("workbench:data_manager_action", args=[project.pk]),
        {"action": "delete", "item": [project.items.first().pk]},
    )
    assert denied.status_code == 404
    assert project.items.count() == 3


# --- bulk actions --------------------------------------------------------------------------


def _act(client, project, **data):
    return client.post(reverse("workbench:data_manager_action", args=[project.pk]), data)


def test_bulk_delete(client_for, owner, worked):
    project = worked["A new chip."].project
    gone = [worked["Shares rose sharply."].pk, worked["A new chip."].pk]
    response = _act(client_for(owner), project, action="delete", item=gone, query="status=done")
    assert response.status_code == 302
    assert response["Location"].endswith("/items/?status=done")
    assert not Item.objects.filter(pk__in=gone).exists()
    assert not Annotation.objects.filter(item_id__in=gone).exists()
    assert project.items.count() == 2


def test_bulk_delete_leaves_other_projects_alone(client_for, owner, org, project):
    other = services.create_project(
        organization=org, created_by=owner, name="Other", label_schema=project.label_schema
    )
    services.add_items(project=other, items=[{"text": "elsewhere"}], by=other.created_by)
    foreign = other.items.get().pk
    _act(client_for(owner), project, action="delete", item=[foreign])
    assert other.items.filter(pk=foreign).exists()


def test_bulk_priority(client_for, owner, project):
    ids = list(project.items.order_by("id").values_list("id", flat=True))[:2]
    _act(client_for(owner), project, action="priority", item=ids, priority="7")
    assert sorted(project.items.values_list("priority", flat=True)) == [0, 7, 7]


def test_bulk_priority_needs_a_number(client_for, owner, project):
    ids = list(project.items.values_list("id", flat=True))
    client = client_for(owner)
    response = _act(client, project, action="priority", item=ids, priority="")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "priority: Give the priority to set." in page
    assert set(project.items.values_list("priority", flat=True)) == {0}


def test_bulk_action_needs_a_selection(client_for, owner, project):
    client = client_for(owner)
    response = _act(client, project, action="delete")
    assert "item: select at least one item" in client.get(response["Location"]).content.decode()
    assert project.items.count() == 3


def test_bad_item_id_is_named(client_for, owner, project):
    client = client_for(owner)
    response = _act(client, project, action="delete", item=["12x"])
    assert (
        "item: &#x27;12x&#x27; is not an item id"
        in client.get(response["Location"]).content.decode()
    )
    assert project.items.count() == 3


def test_bulk_export_selection_is_jsonl_of_those_items(client_for, owner, worked):
    project = worked["A new chip."].project
    chosen = [worked["Shares rose sharply."].pk, worked["A new chip."].pk]
    response = _act(client_for(owner), project, action="export", item=chosen)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    records = [orjson.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [r["id"] for r in records] == sorted(chosen)
    assert records[0]["final"] == {"topic": "business"}
    assert len(records[0]["annotations"]) == 2


def test_bulk_requeue_drops_leases(client_for, owner, teammate, project):
    leased = services.next_item(project=project, user=teammate)
    assert Item.objects.get(pk=leased.pk).leased_count == 1
    _act(client_for(owner), project, action="requeue", item=[leased.pk])
    assert not Lease.objects.filter(item=leased).exists()
    refreshed = Item.objects.get(pk=leased.pk)
    assert refreshed.leased_count == 0 and refreshed.available


def test_org_member_without_project_role_gets_404(client_for, owner, outsider, org, project):
    # Joining the organization is not enough: the data manager needs a project role.
    add_member(organization=org, user=outsider)
    assert client_for(outsider).get(_url(project)).status_code == 404
