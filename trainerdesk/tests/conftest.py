"""Cross-app test fixtures: the shared browser page for the browser walks."""

from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401
