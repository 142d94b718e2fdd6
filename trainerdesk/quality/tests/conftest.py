"""The quality tests share the workbench's browser fixtures (headless chromium)."""

from trainerdesk.workbench.tests.conftest import browser_page, open_annotation_page  # noqa: F401
