"""Span (NER) annotation in a real browser (headless Debian chromium via Playwright):
select with the keyboard and with the mouse, label by hotkey, remove and relabel by
clicking, submit with Enter, go back, and check what was stored.
"""

import pytest

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Ada Lovelace met Charles Babbage in London"
SCHEMA = {
    "fields": [
        {
            "name": "ents",
            "type": "spans",
            "source": "text",
            "labels": [{"value": "PER", "hotkey": "p"}, {"value": "ORG", "hotkey": "o"}],
        }
    ]
}


@pytest.fixture
def span_project(org, owner, teammate):
    project = services.create_project(
        organization=org, created_by=owner, name="People", label_schema=SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project,
        items=[{"text": TEXT}, {"text": "Grace Hopper at Yale"}],
        by=project.created_by,
    )
    return project


def _token(page, word):
    return page.locator(".span-text").get_by_text(word, exact=True)


def _submit(page):
    item = page.locator("#workspace").get_attribute("data-item")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{item}'])")
    return int(item)


def test_label_spans_with_keyboard_and_mouse(
    open_annotation_page, live_server, browser_page, span_project
):
    page, errors = browser_page
    open_annotation_page(span_project, ready=".span-text .tok.cur")
    assert page.locator("#workspace").get_attribute("data-item") == str(
        Item.objects.get(data__text=TEXT).pk
    )

    # Keyboard: the cursor starts on the first token; Shift+Right extends; p labels PER.
    page.keyboard.press("Shift+ArrowRight")
    assert page.locator(".span-text .tok.sel").all_inner_texts() == ["Ada", "Lovelace"]
    page.keyboard.press("p")
    page.wait_for_selector(".span-text .tok.in[data-tag='PER']")
    assert page.locator(".span-text .tok.in").all_inner_texts() == ["Ada", "Lovelace"]

    # Mouse: a click selects one token; o labels ORG.
    _token(page, "London").click()
    page.keyboard.press("o")
    page.wait_for_selector(".span-text .tok.in[data-tag='ORG']")
    assert page.locator(".span-list li").count() == 2

    item = _submit(page)
    stored = Annotation.objects.get(item_id=item, annotator__username="teammate")
    assert stored.answer == {
        "ents": [
            {"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"},
            {"start": 36, "end": 42, "label": "ORG", "text": "London"},
        ]
    }
    assert errors == []


def test_drag_remove_relabel_and_go_back(
    open_annotation_page, live_server, browser_page, span_project
):
    page, errors = browser_page
    open_annotation_page(span_project, ready=".span-text .tok.cur")

    # Drag across two tokens, label PER; overlapping ORG on a token of it replaces it.
    charles, babbage = (
        _token(page, "Charles").bounding_box(),
        _token(page, "Babbage").bounding_box(),
    )
    page.mouse.move(charles["x"] + 3, charles["y"] + charles["height"] / 2)
    page.mouse.down()
    page.mouse.move(babbage["x"] + 5, babbage["y"] + babbage["height"] / 2, steps=4)
    page.mouse.up()
    assert page.locator(".span-text .tok.sel").all_inner_texts() == ["Charles", "Babbage"]
    page.keyboard.press("p")
    page.wait_for_selector(".span-text .tok.in[data-tag='PER']")

    # Clicking a labelled token removes its span and leaves its tokens selected: o relabels.
    _token(page, "Babbage").click()
    page.wait_for_selector(".span-text .tok.in", state="detached")
    assert page.locator(".span-text .tok.sel").all_inner_texts() == ["Charles", "Babbage"]
    page.keyboard.press("o")
    page.wait_for_selector(".span-text .tok.in[data-tag='ORG']")

    # A span on "in", then x with the cursor on it removes it again.
    _token(page, "in").click()
    page.keyboard.press("p")
    page.wait_for_selector(".span-text .tok.in[data-tag='PER']")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("x")
    page.wait_for_selector(".span-text .tok.in[data-tag='PER']", state="detached")

    item = _submit(page)
    expected = [{"start": 17, "end": 32, "label": "ORG", "text": "Charles Babbage"}]
    assert Annotation.objects.get(item_id=item).answer == {"ents": expected}

    # Back shows the stored span on the tokens.
    page.keyboard.press("Backspace")
    page.wait_for_selector(f"#workspace[data-item='{item}'] .span-text .tok.in[data-tag='ORG']")
    assert page.locator(".span-text .tok.in").all_inner_texts() == ["Charles", "Babbage"]
    assert errors == []


def test_relation_between_two_spans_with_the_keyboard(
    open_annotation_page, browser_page, org, owner, teammate
):
    schema = {
        "fields": [
            SCHEMA["fields"][0],
            {
                "name": "rels",
                "type": "relations",
                "spans": "ents",
                "labels": [{"value": "met", "hotkey": "m"}],
            },
        ]
    }
    project = services.create_project(
        organization=org, created_by=owner, name="Who met whom", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[{"text": TEXT}], by=project.created_by)
    page, errors = browser_page
    open_annotation_page(project, ready=".span-text .tok.cur")

    for key in ("Shift+ArrowRight", "p", "ArrowRight", "Shift+ArrowRight", "p"):
        page.keyboard.press(key)  # Ada Lovelace, then Charles Babbage, both PER
    page.wait_for_selector(".span-list li:nth-child(2)")
    # Relations need both ends: m alone explains itself.
    page.keyboard.press("m")
    page.wait_for_selector(".rel-status:has-text('Pick the start span')")
    page.keyboard.press("ArrowLeft")  # the cursor sits after the span: back onto Babbage
    page.keyboard.press("]")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("[")
    assert page.locator(".tok.rel-from").all_inner_texts() == ["Ada", "Lovelace"]
    assert page.locator(".tok.rel-to").all_inner_texts() == ["Charles", "Babbage"]
    page.keyboard.press("m")
    page.wait_for_selector(".rel-list li")
    assert page.locator(".tok.rel-from").count() == 0

    item = _submit(page)
    answer = Annotation.objects.get(item_id=item).answer
    assert answer["rels"] == [{"from": 0, "to": 1, "label": "met"}]
    assert [s["text"] for s in answer["ents"]] == ["Ada Lovelace", "Charles Babbage"]

    # Back shows the relation; removing one of its spans removes the relation too.
    page.keyboard.press("Backspace")
    page.wait_for_selector(f"#workspace[data-item='{item}'] .rel-list li")
    page.keyboard.press("x")  # the cursor starts on "Ada"
    page.wait_for_selector(".rel-list li", state="detached")
    assert page.locator("input[name=f_rels]").input_value() == "[]"
    assert page.locator("input[name=f_ents]").input_value() == (
        '[{"start":17,"end":32,"label":"PER"}]'
    )
    assert errors == []
