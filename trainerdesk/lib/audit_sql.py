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

# Migration accounts/0003 replaces the UPDATE refusal with one that lets exactly one kind of
# UPDATE through: the privacy app's pseudonymisation of an event (lib.audit.redact_events),
# which rewrites only `changes`, `reason` and `ip` and stamps `redacted_by` with the id of a
# later redaction event (a row may be redacted again, by a later event, never un-marked).
# Every other column — the chain's bookkeeping and the hash — must stay as it was, so the
# chain's links still verify; verify() checks the rewritten content against the sha256 the
# redaction event recorded. DELETE stays refused.
_KEPT = (
    "chain_id",
    "seq",
    "created_at",
    "action",
    "organization_id",
    "project_id",
    "actor_id",
    "actor_system",
    "object_type",
    "object_id",
    "request_id",
    "prev_hash",
    "hash",
)
_REDACTION_OK = " AND ".join(
    [
        "NEW.redacted_by IS NOT NULL",
        "(OLD.redacted_by IS NULL OR NEW.redacted_by > OLD.redacted_by)",
        *(f"NEW.{c} IS OLD.{c}" for c in _KEPT),
    ]
)

SQLITE_NO_UPDATE_EXCEPT_REDACTION = f"""
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
WHEN NOT ({_REDACTION_OK})
BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END
"""

POSTGRES_REDACTION_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_REDACTION_OK.replace(" IS OLD.", " IS NOT DISTINCT FROM OLD.")}
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{TABLE} is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$
"""
# The function as migration 0002 created it (to migrate back).
POSTGRES_APPEND_ONLY_FUNCTION = POSTGRES_CREATE[0].replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
)
