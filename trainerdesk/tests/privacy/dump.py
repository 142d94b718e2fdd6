"""Every value of every column of every table, as text: what the erasure tests grep."""

from __future__ import annotations

import json

from django.db import connection


def dump_database() -> str:
    """One line per row of every table the connection sees (the app's, Django's, the
    task queue's, search indexes), values as text; JSON as JSON text."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                cells = []
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    cells.append(str(value))
                lines.append(f"{table}\t" + "\t".join(cells))
    return "\n".join(lines)


def leaks(text: str, values) -> list[str]:
    lowered = text.lower()
    return [v for v in values if v.lower() in lowered]
