"""Triggers refusing changes to issued invoices and their lines (invoicing/immutable_sql.py)."""

from django.db import migrations

from trainerdesk.invoicing import immutable_sql


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
    dependencies = [("invoicing", "0001_initial")]

    operations = [
        RunSQLFor("sqlite", immutable_sql.SQLITE_CREATE, immutable_sql.SQLITE_DROP),
        RunSQLFor("postgresql", immutable_sql.POSTGRES_CREATE, immutable_sql.POSTGRES_DROP),
    ]
