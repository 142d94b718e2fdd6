"""Full-text search indexing (the data manager's text filter)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from trainerdesk.workbench.models import Item, Project

# --- full-text search (the data manager's text filter) --------------------------------------
# SQLite: the contentless FTS5 table workbench_item_fts, keyed by item id and filled from
# the view workbench_item_text (migration 0003). Items are indexed in id order, so every
# item up to the highest indexed id is in the index and "is anything left to index" is one
# comparison. PostgreSQL keeps its GIN expression index itself: nothing to do here.

FTS_TABLE = "workbench_item_fts"
FTS_TEXT_VIEW = "workbench_item_text"


def _fts_watermark(cursor) -> int:
    """The highest item id in the index (FTS5 walks rowids backwards for this)."""
    cursor.execute(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid DESC LIMIT 1")
    row = cursor.fetchone()
    return row[0] if row else 0


def schedule_search_indexing() -> None:
    """After new items: have the worker bring the SQLite index up to date.

    Not inside the import's batches: that made importing 100k items 18% slower (2.18 s ->
    2.58 s, bench/bench_import.py), over the 15% the import could give up. Until the
    worker is done the data manager says the search index is updating. Enqueued directly,
    not on commit, so the immediate backend of the tests indexes at once.
    """
    from trainerdesk.workbench.tasks import index_search_task

    if connection.vendor == "sqlite" and not settings.SEARCH_INDEX_INLINE:
        index_search_task.enqueue()


def index_pending_items(*, chunk: int = 50_000) -> int:
    """Add every item not yet in the SQLite full-text index, a chunk per transaction;
    return how many were added. Items with no text get an empty entry so the watermark
    moves past them."""
    if connection.vendor != "sqlite":
        return 0
    added = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            last = _fts_watermark(cursor)
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, text) SELECT id, coalesce(text, '') "
                f"FROM {FTS_TEXT_VIEW} WHERE id > %s ORDER BY id LIMIT %s",
                [last, chunk],
            )
            count = cursor.rowcount
        added += count
        if count < chunk:
            return added


def search_index_pending(*, project: Project) -> bool:
    """Whether some of the project's items are not searchable yet (SQLite, while the
    worker indexes a fresh import)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        last = _fts_watermark(cursor)
        # `+project_id`: walk the primary key from the watermark (only unindexed items).
        cursor.execute(
            f"SELECT 1 FROM {Item._meta.db_table} WHERE id > %s AND +project_id = %s LIMIT 1",
            [last, project.pk],
        )
        return cursor.fetchone() is not None


def _unindex_items(item_ids: list[int]) -> None:
    """Remove items from the SQLite index before they are deleted: a contentless FTS5
    table needs the text it indexed to take it out again."""
    if connection.vendor != "sqlite" or not item_ids:
        return
    with connection.cursor() as cursor:
        last = _fts_watermark(cursor)
        marks = ", ".join(["%s"] * len(item_ids))
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) SELECT 'delete', id, "
            f"coalesce(text, '') FROM {FTS_TEXT_VIEW} WHERE id IN ({marks}) AND id <= %s",
            [*item_ids, last],
        )
