"""Suggestions, undo and keyboard-only ratings and ranking in a real browser (headless
Debian chromium via Playwright), checking what was stored each time."""

import json

import pytest

from trainerdesk.workbench import blind, services
from trainerdesk.workbench.models import Annotation, Item, Prediction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(page):
    item = page.locator("#workspace").get_attribute("data-item")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{item}'])")
    return int(item)


def test_accept_a_suggested_label_undo_it_and_choose_another(
    open_annotation_page, browser_page, project
):
    page, errors = browser_page
    item = project.items.order_by("id").first()
    Prediction.objects.create(item=item, model_version="clf-v2", answer={"topic": "tech"}, score=1)
    open_annotation_page(project, ready=f"#workspace[data-item='{item.pk}'] .suggestion-note")
    tech = page.locator("input[name=f_topic][value=tech]")
    assert not tech.is_checked()  # shown, not chosen
    assert page.locator("#undo-btn").is_disabled()

    page.keyboard.press("0")  # accept the suggestion
    page.wait_for_selector("input[name=f_topic][value=tech]:checked")
    page.keyboard.press("Control+z")
    page.wait_for_selector("input[name=f_topic]:checked", state="detached")
    assert page.locator("#undo-btn").is_disabled()

    page.keyboard.press("s")
    page.wait_for_selector("input[name=f_topic][value=sport]:checked")
    page.keyboard.press("b")
    page.locator("#undo-btn").click()  # the button undoes too: back to sport
    page.wait_for_selector("input[name=f_topic][value=sport]:checked")
    assert _submit(page) == item.pk
    assert Annotation.objects.get(item=item).answer == {"topic": "sport"}
    assert errors == []


SPAN_SCHEMA = {
    "fields": [
        {
            "name": "ents",
            "type": "spans",
            "source": "text",
            "labels": [{"value": "PER", "hotkey": "p"}, {"value": "LOC", "hotkey": "l"}],
        }
    ]
}


def test_accept_a_suggested_span_accept_all_undo_and_submit(
    open_annotation_page, browser_page, org, owner, teammate
):
    project = services.create_project(
        organization=org, created_by=owner, name="NER", label_schema=SPAN_SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    suggested = [
        {"start": 0, "end": 12, "label": "PER"},
        {"start": 22, "end": 28, "label": "LOC"},
    ]
    services.add_items(
        project=project,
        items=[
            {
                "data": {"text": "Ada Lovelace lived in London"},
                "predictions": [{"answer": {"ents": suggested}, "model_version": "ner-1"}],
            }
        ],
        by=project.created_by,
    )
    page, errors = browser_page
    open_annotation_page(project, ready=".span-text .tok.sug")
    assert page.locator(".span-text .tok.in").count() == 0  # suggestions are not spans

    page.keyboard.press("'")  # select the first suggested span
    assert page.locator(".span-text .tok.sel").all_inner_texts() == ["Ada", "Lovelace"]
    page.keyboard.press("p")  # its label key accepts it
    page.wait_for_selector(".span-text .tok.in[data-tag='PER']")
    page.keyboard.press("0")  # accept the rest
    page.wait_for_selector(".span-text .tok.in[data-tag='LOC']")
    assert page.locator(".span-list li").count() == 2
    page.keyboard.press("Control+z")  # undo the accept-all: the PER span stays
    page.wait_for_selector(".span-text .tok.in[data-tag='LOC']", state="detached")
    assert page.locator(".span-list li").count() == 1

    item = _submit(page)
    assert Annotation.objects.get(item_id=item).answer == {
        "ents": [{"start": 0, "end": 12, "label": "PER", "text": "Ada Lovelace"}]
    }
    assert errors == []


LLM_SCHEMA = {
    "fields": [
        {"name": "order", "type": "ranking", "source": "responses"},
        {
            "name": "quality",
            "type": "rating",
            "source": "responses",
            "criteria": [
                {"name": "helpfulness", "min": 1, "max": 5},
                {"name": "harmlessness", "min": 1, "max": 5},
            ],
        },
        {
            "name": "per",
            "type": "rating",
            "source": "responses",
            "per_response": True,
            "criteria": [{"name": "correct", "min": 1, "max": 3}],
        },
    ]
}


def test_rank_and_rate_blind_with_the_keyboard_only(
    open_annotation_page, browser_page, org, owner, teammate
):
    project = services.create_project(
        organization=org, created_by=owner, name="Blind keys", label_schema=LLM_SCHEMA
    )
    assert project.blind_order  # the default
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    responses = [{"text": f"Reply {i}.", "model": f"model-{i}"} for i in range(3)]
    for n in range(20):  # an item this annotator sees shuffled, so the mapping shows
        services.add_items(
            project=project,
            items=[{"prompt": f"Hi {n}", "responses": responses}],
            by=project.created_by,
        )
        item = Item.objects.filter(project=project).latest("id")
        if blind.shown_order(item_id=item.pk, user_id=teammate.pk, source="responses", n=3) != [
            0,
            1,
            2,
        ]:
            break
        item.delete()
    else:
        raise AssertionError("no shuffled order in 20 items")
    page, errors = browser_page
    open_annotation_page(project, ready=".ranking-row[data-index='2']")
    assert "model-" not in page.content()
    order = json.loads(page.locator("input[name=response_order]").input_value())["responses"]
    shown = page.locator(".responses .response-text").all_inner_texts()
    assert shown == [responses[i]["text"] for i in order]

    # Ranking (shown A, B, C): A down, C up twice gives C, B, A; undo the last move.
    page.keyboard.press("ArrowDown")  # focus A
    page.keyboard.press("Shift+ArrowDown")  # B, A, C
    page.keyboard.press("ArrowDown")  # focus C
    page.keyboard.press("Shift+ArrowUp")  # B, C, A
    page.keyboard.press("Shift+ArrowUp")  # C, B, A
    page.wait_for_selector(".ranking-row:first-child[data-index='2']")
    page.keyboard.press("Control+z")  # back to B, C, A
    page.wait_for_selector(".ranking-row:first-child[data-index='1']")
    assert json.loads(page.locator("input[name=f_order]").input_value()) == [1, 2, 0]

    # Ratings: the focus is still on C (second); two more rows down is helpfulness.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("4")  # helpfulness, then the focus moves on
    page.keyboard.press("5")  # harmlessness
    page.keyboard.press("1")  # per response: A
    page.keyboard.press("3")  # B
    page.keyboard.press("2")  # C
    page.keyboard.press("ArrowUp")
    page.keyboard.press("9")  # outside 1..3: nothing changes, no label is picked either
    page.wait_for_selector("input[name=ui_per_correct_2][value='2']:checked")
    assert _submit(page) == item.pk

    annotation = Annotation.objects.get(item=item)
    shown_ranking = [1, 2, 0]
    per_shown = [1, 3, 2]
    per = [None] * 3
    for pos, score in enumerate(per_shown):
        per[order[pos]] = {"correct": score}
    assert annotation.answer == {
        "order": [order[p] for p in shown_ranking],
        "quality": {"helpfulness": 4, "harmlessness": 5},
        "per": per,
    }
    assert annotation.response_order == order
    assert errors == []


def test_accept_suggested_preference_and_relations_then_undo(
    open_annotation_page, browser_page, org, owner, teammate
):
    schema = {
        "fields": [
            {"name": "pref", "type": "pairwise", "source": "responses", "strength": True},
            {"name": "ents", "type": "spans", "source": "prompt", "labels": ["PER", "LOC"]},
            {"name": "rels", "type": "relations", "spans": "ents", "labels": ["in"]},
        ]
    }
    project = services.create_project(
        organization=org, created_by=owner, name="Mixed", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    answer = {
        "pref": {"preferred": 1, "strength": 2},
        "ents": [{"start": 0, "end": 3, "label": "PER"}, {"start": 7, "end": 12, "label": "LOC"}],
        "rels": [{"from": 0, "to": 1, "label": "in"}],
    }
    data = {"prompt": "Ada in Paris", "responses": ["one", "two"]}
    services.add_items(
        project=project,
        items=[{"data": data, "predictions": [{"answer": answer}]}],
        by=project.created_by,
    )
    page, errors = browser_page
    open_annotation_page(project, ready=".span-text .tok.sug")
    order = json.loads(page.locator("input[name=response_order]").input_value())["responses"]
    assert page.locator("input[name=f_pref]").input_value() == ""

    page.keyboard.press("0")
    page.wait_for_selector(".rel-list li")
    suggested_side = order.index(1)  # shown position of the item's response 1
    assert json.loads(page.locator("input[name=f_pref]").input_value()) == {
        "preferred": suggested_side,
        "strength": 2,
    }
    page.keyboard.press("Control+z")  # one step undoes the whole accept
    page.wait_for_selector(".rel-list li", state="detached")
    assert page.locator("input[name=f_pref]").input_value() == ""
    assert page.locator(".span-text .tok.in").count() == 0

    page.keyboard.press("0")
    page.wait_for_selector(".rel-list li")
    item = _submit(page)
    stored = Annotation.objects.get(item_id=item)
    assert stored.answer["pref"] == {"preferred": 1, "strength": 2}  # the item's own order
    assert stored.answer["rels"] == [{"from": 0, "to": 1, "label": "in"}]
    assert [s["text"] for s in stored.answer["ents"]] == ["Ada", "Paris"]
    assert errors == []


def test_accept_a_suggested_ranking_and_undo_it(
    open_annotation_page, browser_page, org, owner, teammate
):
    schema = {"fields": [{"name": "order", "type": "ranking", "source": "responses"}]}
    project = services.create_project(
        organization=org, created_by=owner, name="Rank hint", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    prediction = {"answer": {"order": [2, 0, 1]}, "model_version": "judge"}
    services.add_items(
        project=project,
        items=[
            {"data": {"prompt": "p", "responses": ["x", "y", "z"]}, "predictions": [prediction]}
        ],
        by=project.created_by,
    )
    page, errors = browser_page
    open_annotation_page(project, ready=".suggested-order")
    order = json.loads(page.locator("input[name=response_order]").input_value())["responses"]
    page.keyboard.press("0")
    page.wait_for_function("document.querySelector('input[name=f_order]').value !== ''")
    shown = json.loads(page.locator("input[name=f_order]").input_value())
    assert [order[p] for p in shown] == [2, 0, 1]
    page.keyboard.press("Control+z")
    page.wait_for_function("document.querySelector('input[name=f_order]').value === ''")
    page.keyboard.press("0")
    page.wait_for_function("document.querySelector('input[name=f_order]').value !== ''")
    item = _submit(page)
    assert Annotation.objects.get(item_id=item).answer == {"order": [2, 0, 1]}
    assert errors == []
