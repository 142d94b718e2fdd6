"""Answer sets for the career assessment tests, one per recommendation."""

import pytest

from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401

# Strong everywhere: recruiting fits.
FITS = {
    "background": "recruiting",
    "recruiting": "job",
    "ai_work": "done",
    "network": "many",
    "hours": "3to10",
    "sales": "enjoy",
    "languages": "two",
    "privacy": "daily",
    "interest": "keen",
}
# Strong, but never recruited and never handled personal data: learn first.
AFTER_LEARNING = {**FITS, "recruiting": "never", "privacy": "unsure"}
# Everything fits but the time.
NO_TIME = {**FITS, "hours": "lt3"}
# Time enough, little else.
LOW = {
    "background": "other",
    "recruiting": "never",
    "ai_work": "no",
    "network": "few",
    "hours": "3to10",
    "sales": "avoid",
    "languages": "one",
    "privacy": "unsure",
    "interest": "low",
}


@pytest.fixture
def answers():
    return dict(FITS)
