"""The database triggers that keep audit events append-only, per database vendor.

Installed by accounts migration 0002; a change here needs a new migration that drops
and re-creates them. Both refuse every UPDATE and DELETE of a row, whatever the client
(the ORM refuses earlier, in accounts.models.AuditEventQuerySet). PostgreSQL's TRUNCATE
is a separate privilege and not refused: `flush` (and the test suite between
transactional tests) uses it; revoke TRUNCATE from the application's role in
production. SQLite has no TRUNCATE, so `trainerdesk flush` is refused there once the log
has events (wanted: it would erase the log); lib/pytest_env.py lifts the DELETE trigger
for the test suite's flush between transactional tests only.
"""

TABLE = "accounts_auditevent"

SQLITE_NO_UPDATE = f"""
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END
"""
SQLITE_NO_DELETE = f"""
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {TABLE}
BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END
"""
SQLITE_CREATE = [SQLITE_NO_UPDATE, SQLITE_NO_DELETE]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]

POSTGRES_CREATE = [
    f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{TABLE} is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$
""",
    f"""
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]
