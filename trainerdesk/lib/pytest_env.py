"""pytest plugin, loaded with `-p` so it runs before pytest-django reads the settings.

It keeps tests away from the user's real data directory and runs background tasks
inline, so a test sees an import finish.
"""

import os
import tempfile
from typing import Any

os.environ.setdefault("TRAINERDESK_DATA_DIR", tempfile.mkdtemp(prefix="trainerdesk-test-"))
os.environ.setdefault("TRAINERDESK_TASKS_BACKEND", "immediate")
# Live-server threads must not keep connections open, or the test database cannot be dropped.
os.environ.setdefault("TRAINERDESK_DB_CONN_MAX_AGE", "0")
# The webhook tests deliver to a server on 127.0.0.1; one test turns the guard back on.
os.environ.setdefault("TRAINERDESK_WEBHOOK_ALLOW_PRIVATE", "true")


def pytest_configure(config: object) -> None:
    """Between transactional tests pytest-django flushes every table; on SQLite that is a
    DELETE, which the audit log's append-only trigger refuses (PostgreSQL's flush is a
    TRUNCATE, which it allows). Lift the trigger for the flush alone, in its transaction."""
    # Through base: importing the operations module first is a circular import.
    from django.db.backends.sqlite3.base import DatabaseOperations  # type: ignore[attr-defined]

    from trainerdesk.lib import audit_sql

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if audit_sql.TABLE in tables:
            statements = [audit_sql.SQLITE_DROP[1], *statements, audit_sql.SQLITE_NO_DELETE]
        # Other append-only tables (the billing ledger's legs and posted transactions)
        # refuse DELETE the same way: lift every DELETE trigger on a flushed table and put
        # it back, from its own stored SQL, after the flush.
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name <> 'audit_event_no_delete' AND upper(sql) LIKE '%BEFORE DELETE%'"
            )
            lifted = [(n, sql) for n, sql in cursor.fetchall() if _trigger_table(sql) in tables]
        if not lifted:
            return statements
        drops = [f'DROP TRIGGER IF EXISTS "{name}"' for name, _ in lifted]
        return [*drops, *statements, *(sql for _, sql in lifted)]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


def _trigger_table(sql: str) -> str:
    """The table a `CREATE TRIGGER ... ON table` statement is on."""
    words = sql.replace("\n", " ").split()
    upper = [w.upper() for w in words]
    return words[upper.index("ON") + 1].strip('"') if "ON" in upper else ""
