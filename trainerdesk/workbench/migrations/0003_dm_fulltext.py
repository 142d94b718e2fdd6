"""Full-text search over each item's text (every string value in its data).

SQLite: a contentless FTS5 table (content=''), keyed by item id, so the text is not
stored twice: it holds only the index. The view workbench_item_text is the one
definition of an item's text, used to fill the index and to remove entries (a contentless
table needs the old text to delete). External content over that view was the first
choice, but FTS5's `rebuild` cannot read a view built on json_tree ("SQL logic error" on
SQLite 3.40), so it would have brought no benefit. services.py keeps the index in step
(import, add_items, delete) and services.index_pending_items() catches it up.

PostgreSQL: a GIN expression index on jsonb_to_tsvector('simple', data, '["string"]'),
maintained by PostgreSQL itself; no extra table and no copy of the text.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIEW workbench_item_text (id, text) AS SELECT i.id, "
    "(SELECT group_concat(t.value, ' ') FROM json_tree(i.data) t WHERE t.type = 'text') "
    "FROM workbench_item i",
    "CREATE VIRTUAL TABLE workbench_item_fts USING fts5(text, content='', "
    "tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO workbench_item_fts (rowid, text) SELECT id, coalesce(text, '') "
    "FROM workbench_item_text "
    "ORDER BY id",
]
SQLITE_DOWN = ["DROP TABLE workbench_item_fts", "DROP VIEW workbench_item_text"]
POSTGRESQL_UP = [
    "CREATE INDEX item_fulltext ON workbench_item "
    "USING GIN (jsonb_to_tsvector('simple'::regconfig, data, '[\"string\"]'::jsonb))"
]
POSTGRESQL_DOWN = ["DROP INDEX item_fulltext"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("workbench", "0002_collaboration_images_assignment")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN}),
        )
    ]
