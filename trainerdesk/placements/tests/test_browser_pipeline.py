"""The pipeline in a real browser (headless Debian chromium via Playwright): a member
submits a vetted candidate to a role, the client moves them through review, an
interview with feedback and an offer to placed, and the placement shows the fee and the
member's 50 %."""

import datetime

import pytest
from django.utils import timezone

from conftest import PASSWORD
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll
from trainerdesk.placements.models import Placement, Submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def vetted(candidate, consent):
    """The candidate's scored assessment result, as vetting stores it (ORM: the test is
    about the pipeline, not scoring)."""
    from trainerdesk.vetting.models import Evidence

    now = timezone.now()
    return Evidence.objects.create(
        user=candidate, task_type="ner", domain="news", source="assessment", n=40,
        accuracy=0.95, low=0.835, high=0.986, lead_time_seconds=12.5, measured_at=now,
        valid_until=now + datetime.timedelta(days=365), inputs_digest="0" * 64,
    )  # fmt: skip


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


def test_member_submits_and_client_places(browser_page, live_server, vetted, opening, client_user):
    page, errors = browser_page
    _login(page, live_server, "member")
    page.goto(f"{live_server.url}/placements/")
    page.wait_for_selector("h1:has-text('My pipeline')")
    page.select_option("#submit-form select[name=opening]", str(opening.pk))
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector("text=Saved.")
    page.click("text=Cara Candidate → German NER annotator")
    page.wait_for_selector("#stage:has-text('Submitted')")
    sub = Submission.objects.get()
    assert sub.consent is not None

    page.get_by_role("button", name="Log out member").click()
    _login(page, live_server, "clientcontact")
    page.goto(f"{live_server.url}/placements/")
    page.click("text=German NER annotator")
    page.click("#submissions >> text=Cara Candidate")
    assert "accuracy 0.950, 95 % interval 0.835–0.986 over 40 items" in page.inner_text("#evidence")
    page.click("#move button[value=client_review]")
    page.wait_for_selector("#stage:has-text('Client review')")

    when = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    page.fill("#schedule-form input[name=scheduled_at]", when)
    page.click("#schedule-form button[type=submit]")
    page.wait_for_selector("#stage:has-text('Interview')")
    page.click("#interviews summary")
    lang = opening.requirements.get(kind="language")
    page.select_option(f"select[name=rating_{lang.pk}]", "meets")
    page.fill(f"input[name=note_{lang.pk}]", "fluent")
    page.select_option("#interviews select[name=outcome]", "advance")
    page.click("text=Save feedback")
    page.wait_for_selector("#interviews li:has-text('meets — fluent')")

    start = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    page.fill("#offer-form input[name=pay]", "30,00")
    page.select_option("#offer-form select[name=unit]", "hour")
    page.fill("#offer-form input[name=start_date]", start)
    page.click("#offer-form button[type=submit]")
    page.wait_for_selector("#stage:has-text('Offer')")
    page.click("text=Record accepted")
    page.wait_for_selector(".offer-status:has-text('Accepted')")
    page.click("#move button[value=placed]")
    page.wait_for_selector("#stage:has-text('Placed')")

    # 30.00 EUR/h × 20 h × 52 = 31,200.00 EUR; 20 % fee = 6,240.00; the member's half.
    assert "€\xa06.240,00" in page.inner_text("#fee")
    assert "€\xa03.120,00" in page.inner_text("#commission")
    placement = Placement.objects.get()
    assert (placement.fee_cents, placement.member_commission_cents) == (624000, 312000)

    # A phone-sized screen still shows the placement without sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 740})
    assert_no_sideways_scroll(page)
    assert errors == []
