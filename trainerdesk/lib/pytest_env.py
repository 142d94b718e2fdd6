"""pytest plugin, loaded with `-p` so it runs before pytest-django reads the settings.

It keeps tests away from the user's real data directory and runs background tasks
inline, so a test sees an import finish.
"""

import os
import tempfile

os.environ.setdefault("TRAINERDESK_DATA_DIR", tempfile.mkdtemp(prefix="trainerdesk-test-"))
os.environ.setdefault("TRAINERDESK_TASKS_BACKEND", "immediate")
# Live-server threads must not keep connections open, or the test database cannot be dropped.
os.environ.setdefault("TRAINERDESK_DB_CONN_MAX_AGE", "0")
# The webhook tests deliver to a server on 127.0.0.1; one test turns the guard back on.
os.environ.setdefault("TRAINERDESK_WEBHOOK_ALLOW_PRIVATE", "true")
