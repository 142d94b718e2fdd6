import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_the_workspace_migration_goes_back_and_forward():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("vetting", "0001_initial")])
        with connection.cursor() as cursor:
            columns = {c.name for c in connection.introspection.get_table_description(
                cursor, "vetting_attempt")}  # fmt: skip
        assert "workspace_id" not in columns
        executor = MigrationExecutor(connection)
        executor.migrate([("vetting", "0002_attempt_workspace")])
        with connection.cursor() as cursor:
            columns = {c.name for c in connection.introspection.get_table_description(
                cursor, "vetting_attempt")}  # fmt: skip
            assert "vetting_networkorganization" in connection.introspection.table_names(cursor)
        assert {"workspace_id", "copy_item_ids", "skipped"} <= columns
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
