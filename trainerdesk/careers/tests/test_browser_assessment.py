"""A visitor completes the career assessment on a phone (390×844), without logging in:
every question fits the screen, nothing scrolls sideways, the result explains itself."""

import pytest

from trainerdesk.careers.models import CareerAssessmentResult
from trainerdesk.careers.questionnaire import QUESTIONS
from trainerdesk.careers.tests.conftest import AFTER_LEARNING
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _on_a_phone(browser_page, url):
    page, errors = browser_page
    page.set_viewport_size(PHONE)
    page.goto(url)
    return page, errors


def test_a_visitor_completes_the_assessment_on_a_phone(live_server, browser_page):
    page, errors = _on_a_phone(browser_page, f"{live_server.url}/accounts/login/")

    page.click("#career-assessment-link a")
    page.wait_for_selector("text=Could recruiting AI trainers suit you?")
    assert "Takes about 2 minutes." in page.inner_text("main")
    assert_no_sideways_scroll(page)

    # Tap each answer's label, as a thumb would.
    for question in QUESTIONS:
        label = question.option(AFTER_LEARNING[question.key]).label
        choice = page.locator(f"#q-{question.key} label.choice", has_text=label)
        box = choice.bounding_box()
        assert box["height"] >= 40, f"{question.key}: {label!r} is {box['height']} px tall"
        choice.click()
    page.check("input[name=consent]")
    page.click("text=See my result")

    page.wait_for_selector("#recommendation")
    assert page.get_attribute("#recommendation", "data-code") == "fits_after_learning"
    assert page.inner_text("#score").startswith("14")
    explained = page.inner_text("#explanation")
    for question in QUESTIONS:
        assert question.option(AFTER_LEARNING[question.key]).note in explained
    assert page.locator("#learn-first li").count() == 2
    kept = CareerAssessmentResult.objects.get()
    assert page.get_attribute("#apply", "href") == f"/network/apply/?assessment={kept.token}"
    assert_no_sideways_scroll(page)
    assert errors == []


def test_an_unanswered_question_is_shown_beside_it_on_a_phone(live_server, browser_page):
    page, errors = _on_a_phone(browser_page, f"{live_server.url}/careers/assessment/")

    page.click("#q-background label.choice >> nth=0")
    page.click("text=See my result")

    page.wait_for_selector("#form-errors")
    assert page.locator("fieldset.question.invalid").count() == len(QUESTIONS) - 1
    assert page.is_checked("input[name=background] >> nth=0")
    assert_no_sideways_scroll(page)
    assert CareerAssessmentResult.objects.count() == 0
    # The 400 of the refused form is expected; nothing else may be logged.
    assert [e for e in errors if "status of 400" not in e] == []
