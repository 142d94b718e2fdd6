"""The demo never shows annotators the answer (issue 8 §1).

For every demo project with reference answers, an annotator opens items the way they can
(the annotation page, `GET /next`, the item API and the item page) and nothing outside the
content they are asked to label (the article, review, tweet or image) names the item's
reference label: no file name, external id, source path or import-order pattern.
"""

import json
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from trainerdesk.workbench import demo
from trainerdesk.workbench.models import Item, Project

# Ten per project: every BBC topic and every digit is among them.
LIMIT = 10
# What the annotation page renders as the content to label; label words may occur there
# legitimately ("business" in a business article), so the checks look everywhere else.
CONTENT_CLASSES = {"item-title", "item-text", "span-text", "responses"}
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _ItemChrome(HTMLParser):
    """Text and attribute values inside <article class="item-view">, minus the content."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside the article
        self.skip = 0  # inside a content element
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        void = tag in VOID
        if not self.depth:
            if tag == "article" and "item-view" in classes:
                self.depth = 1
            return
        if self.skip:
            self.skip += 0 if void else 1
            return
        if classes & CONTENT_CLASSES and not void:
            self.skip = 1
            return
        self.depth += 0 if void else 1
        self.parts.extend(v for _k, v in attrs if v)

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= 1
        elif self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def _chrome(html: str) -> str:
    parser = _ItemChrome()
    parser.feed(html)
    assert parser.parts, "no <article class=item-view> on the page"
    return " ".join(parser.parts)


def _labels(reference) -> set[str]:
    """Every label string in a reference answer (choice values, span labels)."""
    out: set[str] = set()
    for value in (reference or {}).values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str):
                out.add(v)
            elif isinstance(v, dict) and isinstance(v.get("label"), str):
                out.add(v["label"])
    return out


def _names(text: str, label: str) -> bool:
    """Whether `label` occurs in `text` as a word of its own (`entertainment/243.txt`
    names it; `d7e1` does not name the digit 7)."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(label)}(?![A-Za-z0-9])", text) is not None


def _assert_silent(where: str, text: str, item: Item) -> None:
    for label in _labels(item.reference):
        assert not _names(text, label), f"{where} names {label!r} of item {item.pk}: {text!r}"


@pytest.fixture
def loaded(db):
    demo.load_demo(limit=LIMIT)
    client = Client()
    client.force_login(get_user_model().objects.get(username=demo.ANNOTATORS[0]))
    return client


PROJECTS = [demo.BBC_PROJECT, demo.MOVIES_PROJECT, demo.TWEETS_PROJECT, demo.DIGITS_PROJECT]


@pytest.mark.parametrize("name", PROJECTS)
def test_no_annotator_view_of_a_demo_item_names_its_label(loaded, name):
    client = loaded
    project = Project.objects.get(name=name)
    assert project.items.exclude(reference=None).count() == LIMIT
    # What the schema renders, and the title (the one key the demo lists for annotators).
    content = {f.source for f in project.schema.fields if f.source} | {"title"}
    shown_keys = content
    seen = set()
    for _ in range(LIMIT):
        nxt = client.get(f"/api/v1/projects/{project.pk}/next").json()["item"]
        item = Item.objects.get(pk=nxt["id"])
        seen.add(item.pk)
        # /next: only the keys the schema reads (and the ones the demo lists), no ext. id.
        assert set(nxt["data"]) <= shown_keys
        assert nxt["external_id"] is None
        outside = {k: v for k, v in nxt["data"].items() if k not in content}
        _assert_silent("/next", json.dumps(outside), item)
        # The item API gives an annotator the same view.
        one = client.get(f"/api/v1/projects/{project.pk}/items/{item.pk}").json()
        assert (one["data"], one["external_id"]) == (nxt["data"], None)
        # The annotation page: the held item, and nothing around its content names it.
        page = client.get(reverse("workbench:annotate", args=[project.pk]))
        assert page.context["item"].pk == item.pk
        body = page.content.decode()
        # The project's and the item's own ids are in URLs and the "Item N" line; digit
        # labels would match them, and they are no secret.
        chrome = re.sub(rf"/projects/{project.pk}/|Item {item.pk}\b", " ", _chrome(body))
        _assert_silent("the annotation page", chrome, item)
        for ident in (item.external_id, item.data.get("filename")):
            assert ident is None or ident not in body
        for key, value in item.data.items():
            if key not in shown_keys and isinstance(value, str) and len(value) > 3:
                assert value not in chrome, f"hidden {key}={value!r} shown"
        # The item page (open to the annotator holding the item).
        detail = client.get(reverse("workbench:item_detail", args=[project.pk, item.pk]))
        assert detail.status_code == 200
        html = detail.content.decode()
        for ident in (item.external_id, item.data.get("filename")):
            assert ident is None or ident not in html
        shown = json.loads(detail.context["item_json"])
        assert shown == nxt["data"]
        _assert_silent("the item page", detail.context["external_id"] or "", item)
        # Skip on, to the next item.
        skip = client.post(
            f"/api/v1/projects/{project.pk}/annotations",
            {"item": item.pk, "skipped": True},
            content_type="application/json",
        )
        assert skip.status_code == 201
    assert len(seen) == LIMIT


@pytest.mark.parametrize("name", PROJECTS)
def test_demo_data_and_ids_name_no_label(name):
    """The stored data itself, whatever a manager later chooses to show: no value and no
    external id or file name names the label."""
    if name == demo.DIGITS_PROJECT:
        rows = [(f"{n}", {"filename": n}, {"digit": str(d)}) for n, _p, d in demo.digit_images()]
    else:
        rows = {
            demo.BBC_PROJECT: demo.bbc_rows,
            demo.MOVIES_PROJECT: demo.movie_rows,
            demo.TWEETS_PROJECT: demo.tweet_rows,
        }[name]()
        rows = [(r.external_id, r.data, r.reference) for r in rows]
    content = {"title", "text", "image"}
    for external_id, data, reference in rows:
        outside = {k: v for k, v in data.items() if k not in content}
        for label in _labels(reference):
            assert not _names(f"{external_id} {json.dumps(outside)}", label), (external_id, data)
        # A hash of the content: a running number would carry the label through the order
        # of the source files (sorted by label, or cycling through them).
        assert re.fullmatch(r"[a-z]+-[0-9a-f]{12}(\.png)?", external_id), external_id


def _labels_in_import_order(name: str) -> list[str]:
    if name == demo.DIGITS_PROJECT:
        return [str(d) for _n, _p, d in demo._mixed(demo.digit_images(), "digits")]
    rows = {
        demo.BBC_PROJECT: demo.bbc_rows,
        demo.MOVIES_PROJECT: demo.movie_rows,
        demo.TWEETS_PROJECT: demo.tweet_rows,
    }[name]()
    return [json.dumps(r.reference, sort_keys=True) for r in rows]


@pytest.mark.parametrize("name", [demo.BBC_PROJECT, demo.MOVIES_PROJECT, demo.DIGITS_PROJECT])
def test_item_ids_do_not_follow_the_labels(name):
    """Item ids follow the import order and the page shows them; the corpora are sorted or
    cycle by label, so the demo imports them shuffled. Check that the label k places back
    matches no more often than chance would have it."""
    labels = _labels_in_import_order(name)
    chance = sum((c / len(labels)) ** 2 for c in Counter(labels).values())
    for k in range(1, 11):
        same = sum(a == b for a, b in zip(labels, labels[k:], strict=False)) / (len(labels) - k)
        assert same < chance + 0.1, f"{name}: label repeats every {k} items ({same:.2f})"
