"""The network's pages on a phone (390x844): nothing scrolls sideways (wide tables scroll
inside their box), and the site header links to the network."""

import pytest

from conftest import PASSWORD
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_member_pages_fit_a_phone(live_server, browser_page, member, candidate, opening):
    page, errors = browser_page
    _login(page, live_server, "member")
    page.goto(f"{live_server.url}/")
    page.click("header >> text=Network")
    page.wait_for_selector("text=Member dashboard")
    for path in ("/network/", "/network/candidates/", "/network/candidates/add/",
                 "/network/onboarding/", "/network/onboarding/reading-a-scorecard/"):  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        assert_no_sideways_scroll(page)
    assert not errors


def test_client_role_editor_fits_a_phone(live_server, browser_page, client_user, opening):
    page, errors = browser_page
    _login(page, live_server, "clientcontact")
    for path in ("/network/roles/", f"/network/roles/{opening.pk}/",
                 f"/network/roles/{opening.pk}/edit/"):  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        assert_no_sideways_scroll(page)
    assert not errors
