"""Shared set-up for the browser tests: headless Debian chromium driven by Playwright."""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without these, chromium spends its start-up trying to reach Google on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    """A page in a fresh browser, and the list of console and page errors it collects."""
    from playwright.sync_api import sync_playwright

    # A missing browser must fail the suite, not skip it.
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run `make test` to install it"
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # from a thread with a running loop unless told this is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(accept_downloads=True).new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            # Chromium logs every 4xx as a console error; the 422 of a refused answer is
            # expected (the page shows the message), anything else is a failure.
            page.on(
                "console",
                lambda m: (
                    m.type == "error" and "status of 422" not in m.text and errors.append(m.text)
                ),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def open_annotation_page(live_server, browser_page):
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
