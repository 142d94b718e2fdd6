"""The ledger's database rules (billing/ledger_sql.py): balanced postings of at least two
legs, legs only into open transactions in their account's currency, nothing posted ever
updated or deleted. Per vendor, since the trigger languages differ."""

from django.db import migrations

from trainerdesk.billing import ledger_sql


class RunSQLFor(migrations.RunSQL):
    """RunSQL that runs only on one database vendor."""

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
    dependencies = [("billing", "0001_initial")]

    operations = [
        RunSQLFor("sqlite", ledger_sql.SQLITE_CREATE, ledger_sql.SQLITE_DROP),
        RunSQLFor("postgresql", ledger_sql.POSTGRES_CREATE, ledger_sql.POSTGRES_DROP),
    ]
