"""Migration 0002 creates fair-play policy version 1, and going back removes it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_policy_version_1_forward_and_back():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("placements", "0001_initial")])
        state = MigrationExecutor(connection).loader.project_state([("placements", "0001_initial")])
        assert not state.apps.get_model("placements", "FairPlayPolicy").objects.exists()
        executor = MigrationExecutor(connection)
        executor.migrate([("placements", "0002_policy_version_1")])
        state = executor.loader.project_state([("placements", "0002_policy_version_1")])
        rows = state.apps.get_model("placements", "FairPlayPolicy").objects.values_list(
            "version", "pending_cap_per_member_per_opening", "ownership_days"
        )
        assert list(rows) == [(1, 5, 365)]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
