"""The marker the apps' API audit registries share (`tests/audit_coverage.py` in each
app, gathered by trainerdesk/tests/test_audit_api_coverage.py)."""


class NotAudited(str):
    """The reason an API write operation leaves no audit event."""
