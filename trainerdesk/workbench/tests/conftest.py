"""Shared set-up for the browser tests: headless Debian chromium driven by Playwright."""

import pytest

# The browser fixture is shared by every app's browser tests (lib/browser_fixtures.py);
# importing it here keeps `from trainerdesk.workbench.tests.conftest import browser_page`.
from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401


@pytest.fixture
def open_annotation_page(live_server, browser_page):  # noqa: F811 (the imported fixture)
    """Log a persona in through the login form and open a project's annotation page."""
    from conftest import PASSWORD

    page, _errors = browser_page

    def open_page(project, *, username="teammate", ready: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Log out")
        page.goto(f"{live_server.url}/projects/{project.pk}/annotate/")
        page.wait_for_selector(ready)

    return open_page
