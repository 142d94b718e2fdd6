"""Immediate feedback on a gold item in a real browser: the annotator answers a gold item
wrongly by keyboard and the next item comes with the feedback and the reference answer."""

import pytest

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item
from trainerdesk.workbench.tests.conftest import open_annotation_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_wrong_gold_answer_shows_feedback_with_the_reference(
    open_annotation_page,  # noqa: F811
    browser_page,
    project,
    owner,
    teammate,
):
    services.add_items(
        project=project,
        items=[
            {
                "data": {"text": "The striker scored twice."},
                "gold": True,
                "reference": {"topic": "sport"},
                "gold_explanation": "Goals and strikers: a sports story.",
            }
        ],
        by=project.created_by,
    )
    gold = Item.objects.get(project=project, is_gold=True)
    services.update_project(project=project, by=owner, gold_rate=1.0, gold_feedback=True)
    page, errors = browser_page
    open_annotation_page(project, ready=f"#workspace[data-item='{gold.pk}']")
    assert page.locator(".gold-feedback").count() == 0
    assert "a sports story" not in page.content()

    page.keyboard.press("t")  # tech: wrong
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{gold.pk}'])")

    feedback = page.locator(".gold-feedback")
    assert "did not match the reference" in feedback.inner_text()
    row = feedback.locator("tbody tr").first
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == ["topic", "tech", "sport"]
    assert "a sports story" in feedback.inner_text()
    assert Annotation.objects.get(item=gold, annotator=teammate).answer == {"topic": "tech"}
    assert errors == []
