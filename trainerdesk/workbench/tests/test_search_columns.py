"""The data manager's full-text search (FTS5 / PostgreSQL) and its column choice."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from trainerdesk.workbench import services
from trainerdesk.workbench.filters import (
    FilterErrors,
    SearchSyntaxError,
    SearchTerm,
    fts5_query,
    parse_filters,
    parse_search,
    tsquery,
)
from trainerdesk.workbench.models import Item

pytestmark = pytest.mark.django_db

_IDS = re.compile(r'name="item" value="(\d+)"')


def _get(client, project, query=""):
    return client.get(reverse("workbench:data_manager", args=[project.pk]) + "?" + query)


def _ids(client, project, query) -> list[int]:
    response = _get(client, project, query)
    assert response.status_code == 200, response.content.decode()[:1500]
    return [int(pk) for pk in _IDS.findall(response.content.decode())]


@pytest.fixture
def texts(project):
    services.add_items(
        project=project,
        items=[
            {"text": "The market rallied after strong earnings.", "source": "wire"},
            {"text": "Markets fell; earnings were weak.", "source": "blog"},
            {"text": "Strong winds closed the stadium."},
        ],
        by=project.created_by,
    )
    return {item.data["text"]: item.pk for item in project.items.all()}


# --- the pure parser -----------------------------------------------------------------------


def test_parse_search_words_phrases_and_prefixes():
    assert parse_search('Strong "market rallied" earn*') == [
        SearchTerm(("strong",)),
        SearchTerm(("market", "rallied")),
        SearchTerm(("earn",), prefix=True),
    ]
    # Punctuation inside a word makes a phrase of its parts, as both tokenizers split it.
    assert parse_search("don't") == [SearchTerm(("don", "t"))]


def test_queries_for_both_databases():
    terms = parse_search('strong "market rallied" earn*')
    assert fts5_query(terms) == '"strong" "market rallied" "earn"*'
    assert tsquery(terms) == "'strong' & ('market' <-> 'rallied') & 'earn':*"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"market', 'a quote (") is not closed'),
        ("ma*rket", "ma*rket: * may only end a word"),
        ("*", "*: * needs at least one letter"),
        ('"earn*"', "* works on single words"),
        ('""', "an empty phrase"),
        ("!!! ???", "no words to search for"),
        (" ".join(f"w{n}" for n in range(17)), "at most 16 words or phrases"),
    ],
)
def test_bad_search_syntax_is_named(text, message):
    with pytest.raises(SearchSyntaxError, match=re.escape(message)):
        parse_search(text)
    with pytest.raises(FilterErrors) as info:
        parse_filters({"q": text}.get)
    assert info.value.errors[0].startswith("q: ")


# --- on the page, through the index --------------------------------------------------------


def test_words_are_anded(client_for, owner, texts):
    client, project = client_for(owner), None
    project = Item.objects.get(pk=texts["Strong winds closed the stadium."]).project
    assert _ids(client, project, "q=strong") == sorted(
        [
            texts["The market rallied after strong earnings."],
            texts["Strong winds closed the stadium."],
        ]
    )
    assert _ids(client, project, "q=strong+earnings") == [
        texts["The market rallied after strong earnings."]
    ]


def test_phrase_and_prefix(client_for, owner, texts):
    client = client_for(owner)
    project = Item.objects.get(pk=texts["Strong winds closed the stadium."]).project
    rallied = texts["The market rallied after strong earnings."]
    assert _ids(client, project, 'q="market rallied"') == [rallied]
    assert _ids(client, project, 'q="rallied market"') == []
    assert _ids(client, project, "q=market*") == sorted(
        [rallied, texts["Markets fell; earnings were weak."]]
    )
    assert _ids(client, project, "q=market") == [rallied]  # a word, not a prefix


def test_search_covers_other_data_fields(client_for, owner, texts):
    client = client_for(owner)
    project = Item.objects.get(pk=texts["Strong winds closed the stadium."]).project
    assert _ids(client, project, "q=blog") == [texts["Markets fell; earnings were weak."]]


def test_bad_syntax_is_a_400_with_the_message_not_a_500(client_for, owner, project):
    response = _get(client_for(owner), project, "q=%22unclosed")
    assert response.status_code == 400
    assert "q: a quote (&quot;) is not closed" in response.content.decode()
    # Query-language syntax the user types is only ever text to both databases.
    for hostile in ("NEAR(a b)", "a:b", "a & b | !c", "col:foo OR bar", "'quote"):
        assert _get(client_for(owner), project, "q=" + hostile).status_code == 200


def test_search_is_scoped_to_the_project(client_for, owner, org, project, texts):
    other = services.create_project(
        organization=org, created_by=owner, name="Other", label_schema=project.label_schema
    )
    services.add_items(project=other, items=[{"text": "market elsewhere"}], by=other.created_by)
    assert _ids(client_for(owner), other, "q=market") == [other.items.get().pk]
    assert other.items.get().pk not in _ids(client_for(owner), project, "q=market")


def test_deleted_items_leave_the_index(client_for, owner, texts):
    project = Item.objects.get(pk=texts["Strong winds closed the stadium."]).project
    gone = texts["Strong winds closed the stadium."]
    services.delete_items(project=project, item_ids=[gone], by=owner)
    assert _ids(client_for(owner), project, "q=winds") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM workbench_item_fts WHERE workbench_item_fts MATCH 'winds'"
            )
            assert cursor.fetchall() == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the worker-built index is SQLite's")
def test_index_pending_notice_until_the_worker_catches_up(client_for, owner, project, settings):
    # Add items without running the indexing task, as while the worker is busy.
    from unittest import mock

    from trainerdesk.workbench.tests import test_search_columns as me  # noqa: F401

    with mock.patch.object(services.imports, "schedule_search_indexing"):
        services.add_items(
            project=project, items=[{"text": "brand new words"}], by=project.created_by
        )
    client = client_for(owner)
    page = _get(client, project, "q=brand").content.decode()
    assert "Search index updating" in page
    assert services.search_index_pending(project=project)
    assert services.index_pending_items() == 1
    page = _get(client, project, "q=brand").content.decode()
    assert "Search index updating" not in page
    assert len(_IDS.findall(page)) == 1


# --- columns -------------------------------------------------------------------------------


def test_default_columns(client_for, owner, project):
    text = _get(client_for(owner), project).content.decode()
    for header in (
        "External ID",
        "Text",
        "Status",
        "Answers",
        "Final answer",
        "Priority",
        "Assignee",
    ):
        assert f"<th>{header}</th>" in text
    assert "<th>Created</th>" not in text and "<th>Annotators</th>" not in text


def test_chosen_columns_and_data_fields_stay_in_the_url(client_for, owner, teammate, texts):
    project = Item.objects.get(pk=texts["Strong winds closed the stadium."]).project
    item = Item.objects.get(pk=texts["Markets fell; earnings were weak."])
    services.submit_annotation(
        project=project, item=item, user=teammate, answer={"topic": "business"}
    )
    client = client_for(owner)
    response = _get(client, project, "col=annotators&col=created&col=data.source&q=weak")
    text = response.content.decode()
    headers = re.findall(r"<th>([^<]+)</th>", text)
    assert headers == ["Select", "ID", "Annotators", "Created", "source"]
    assert "<td>teammate</td>" in text and "<td>blog</td>" in text
    # The next-page links and the bulk form carry the column choice.
    assert (
        'name="query" value="q=weak&amp;col=annotators&amp;col=created&amp;col=data.source"' in text
    )


def test_bad_column_is_named(client_for, owner, project):
    response = _get(client_for(owner), project, "col=secret&col=data.a__b")
    assert response.status_code == 400
    text = response.content.decode()
    assert "col: &#x27;secret&#x27; is not a column" in text
    assert "col: &#x27;data.a__b&#x27; is not a column" in text


@pytest.mark.parametrize("sort", ["id", "-id", "priority"])
def test_search_pages_forward_and_back(client_for, owner, project, sort):
    import html

    services.add_items(
        project=project,
        items=[{"text": f"word{n % 2} item {n}", "priority": n % 3} for n in range(250)],
        by=project.created_by,
    )
    order = {"id": ["id"], "-id": ["-id"], "priority": ["priority", "id"]}[sort]
    wanted = {i.pk for i in project.items.all() if i.data["text"].startswith("word1 ")}
    expected = [
        pk for pk in project.items.order_by(*order).values_list("id", flat=True) if pk in wanted
    ]
    assert len(expected) == 125
    client = client_for(owner)
    url = reverse("workbench:data_manager", args=[project.pk]) + f"?q=word1&sort={sort}"
    pages = []
    while url:
        text = client.get(url).content.decode()
        pages.append([int(pk) for pk in _IDS.findall(text)])
        link = re.search(r'rel="next" href="([^"]+)"', text)
        url = html.unescape(link[1]) if link else None
    assert [pk for page in pages for pk in page] == expected
    assert [len(p) for p in pages] == [50, 50, 25]
    back = [pages[-1]]
    while link := re.search(r'rel="prev" href="([^"]+)"', text):
        text = client.get(html.unescape(link[1])).content.decode()
        back.append([int(pk) for pk in _IDS.findall(text)])
    assert back == pages[::-1]
