"""Audit events can be pseudonymised for a GDPR erasure (added for the privacy app):
the `redacted_by` column and an UPDATE trigger that lets only that rewrite through
(lib/audit_sql.py). DELETE stays refused; every other UPDATE too."""

from django.db import migrations, models

from trainerdesk.lib import audit_sql


class RunSQLFor(migrations.RunSQL):
    """RunSQL that runs only on one database vendor (the triggers' SQL differs)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        return self.__class__.__name__, [self.vendor, self.sql, self.reverse_sql], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_audit_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="redacted_by",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        RunSQLFor(
            "sqlite",
            [audit_sql.SQLITE_DROP[0], audit_sql.SQLITE_NO_UPDATE_EXCEPT_REDACTION],
            [audit_sql.SQLITE_DROP[0], audit_sql.SQLITE_NO_UPDATE],
        ),
        RunSQLFor(
            "postgresql",
            [audit_sql.POSTGRES_REDACTION_FUNCTION],
            [audit_sql.POSTGRES_APPEND_ONLY_FUNCTION],
        ),
    ]
