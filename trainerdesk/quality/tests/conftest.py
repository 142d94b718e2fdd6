# The browser fixtures live with the workbench tests; the quality app's browser tests reuse them.
from trainerdesk.workbench.tests.conftest import browser_page  # noqa: F401
