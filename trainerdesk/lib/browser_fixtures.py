"""The browser tests' shared fixture: headless Debian chromium driven by Playwright.

It lives in lib, not in one app's tests, so every app's browser tests can use it without
importing another app (the layers contract covers the tests too)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error

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


def assert_no_sideways_scroll(page: Any) -> None:
    """The page is no wider than the window: nothing needs scrolling sideways."""
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways: {width} px wide in a {inner} px window"


@pytest.fixture
def browser_page() -> Iterator[tuple[Any, list[str]]]:
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

            def on_console(message: ConsoleMessage) -> None:
                # Chromium logs every 4xx as a console error; the 422 of a refused answer
                # is expected (the page shows the message), anything else is a failure.
                if message.type == "error" and "status of 422" not in message.text:
                    errors.append(message.text)

            def on_page_error(error: Error) -> None:
                errors.append(str(error))

            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            yield page, errors
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
