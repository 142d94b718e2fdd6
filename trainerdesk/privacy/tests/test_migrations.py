"""privacy/0002 seeds the retention rules and records of processing, and going back
removes them; accounts/0003 (the redaction column and trigger) goes back to the plain
append-only trigger and forward again."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_seed_forward_and_back_and_the_redaction_trigger():
    try:
        apps = _migrate([("privacy", "0001_initial")])
        assert not apps.get_model("privacy", "RetentionRule").objects.exists()
        apps = _migrate([("privacy", "0002_seed_rules_and_records")])
        days = dict(
            apps.get_model("privacy", "RetentionRule").objects.values_list("category", "days")
        )
        assert days == {"rejected_candidate": 183, "talent_pool": 730, "financial": 2557}
        assert apps.get_model("privacy", "ProcessingActivity").objects.count() == 6

        _migrate([("accounts", "0002_audit_events")])  # takes privacy back with it
        columns = [c.name for c in connection.introspection.get_table_description(
            connection.cursor(), "accounts_auditevent")]  # fmt: skip
        assert "redacted_by" not in columns
        # The plain append-only trigger is back: every UPDATE refused.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_auditchain (key, seq, head_hash, organization_id) "
                "VALUES ('t', 0, '0', NULL)"
            )
            cursor.execute("SELECT id FROM accounts_auditchain WHERE key = 't'")
            chain = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO accounts_auditevent (chain_id, seq, created_at, action, actor_system,"
                " object_type, object_id, changes, reason, request_id, ip, prev_hash, hash)"
                " VALUES (%s, 1, CURRENT_TIMESTAMP, 'a', '', '', '', '{}', '', '', '', 'p', 'h')",
                [chain],
            )
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_auditevent SET reason = 'x'")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditevent SET reason = 'x'")  # still refused
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditevent SET reason = 'x', redacted_by = 1")  # the door
