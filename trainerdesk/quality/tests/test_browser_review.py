"""The review page in a real browser (headless chromium via Playwright), keyboard only:
accept one item, reject one with a reason (sent back), fix one; check what was stored;
then the annotator gets the rejected item back first and sees the reason."""

import pytest

from conftest import PASSWORD, _user
from trainerdesk.accounts.services import add_member
from trainerdesk.quality.models import Review
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


def _item_shown(page) -> int:
    return int(page.locator("#review-workspace").get_attribute("data-item"))


def _next(page):
    item = page.locator("#review-workspace").get_attribute("data-item")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#review-workspace:not([data-item='{item}'])")


def test_review_with_the_keyboard(live_server, browser_page, org, owner, teammate, project):
    page, errors = browser_page
    reviewer = _user("rita")
    add_member(organization=org, user=reviewer)
    services.set_project_member(project=project, user=reviewer, role="reviewer", by=owner)
    first, second, third = project.items.order_by("id")
    for item, topic in ((first, "business"), (second, "tech"), (third, "sport")):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )

    _login(page, live_server, "rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    page.wait_for_selector("#review-form")
    assert _item_shown(page) == first.pk
    assert page.locator("#reject-box").is_hidden() and page.locator("#fix-box").is_hidden()

    # a: accept.
    page.keyboard.press("a")
    page.wait_for_selector(".annotation-card .decision-accepted")
    _next(page)
    assert _item_shown(page) == second.pk

    # r: reject with a reason (sent back by default), Enter in the box submits it.
    page.keyboard.press("r")
    page.wait_for_selector("#reject-box textarea:focus")
    page.keyboard.type("A chip launch is tech news, but this one is about shares")
    page.keyboard.press("Enter")
    page.wait_for_selector(".returned")
    _next(page)
    assert _item_shown(page) == third.pk

    # f: fix, the label key picks the reviewer's answer, Enter saves.
    page.keyboard.press("f")
    page.wait_for_selector("#fix-box:not([hidden])")
    assert page.locator("#fix-box input[value=sport]").is_checked()  # starts from the answer
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.wait_for_selector(".annotation-card .decision-fixed")
    assert errors == []

    reviews = {r.item_id: r for r in Review.objects.all()}
    assert reviews[first.pk].decision == "accepted" and reviews[first.pk].reviewer == reviewer
    rejected = reviews[second.pk]
    assert rejected.decision == "rejected" and rejected.sent_back
    assert rejected.reason == "A chip launch is tech news, but this one is about shares"
    assert rejected.original_answer == {"topic": "tech"}
    assert not Annotation.objects.filter(item=second).exists()
    fixed = reviews[third.pk]
    assert fixed.decision == "fixed" and fixed.fixed_answer == {"topic": "business"}
    assert Annotation.objects.get(item=third).answer == {"topic": "sport"}

    # The annotator gets the rejected item back first, with the reviewer's reason.
    _login(page, live_server, "teammate")
    page.goto(f"{live_server.url}/projects/{project.pk}/annotate/")
    page.wait_for_selector("#review-note")
    assert page.locator("#workspace").get_attribute("data-item") == str(second.pk)
    assert "this one is about shares" in page.locator("#review-note").inner_text()
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{second.pk}'])")
    assert Annotation.objects.get(item=second).answer == {"topic": "business"}
    assert errors == []
