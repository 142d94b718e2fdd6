"""The data manager: filtered and sorted item pages, bulk actions on a selection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import ExpressionWrapper, F, IntegerField
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.jsonutil import dumps
from trainerdesk.workbench import extensions, formats
from trainerdesk.workbench.models import Annotation, Item, Lease, Project
from trainerdesk.workbench.services import progress_counts
from trainerdesk.workbench.services.export import (
    REFERENCE_FORMATS,
    export_records,
    final_answers,
)
from trainerdesk.workbench.services.projects import set_priority
from trainerdesk.workbench.services.queue import _drop_lease
from trainerdesk.workbench.services.search import _unindex_items

# --- the data manager --------------------------------------------------------------------

MAX_SELECTION = 1000


@dataclass
class ItemRow:
    item: Item
    excerpt: str
    status: str
    answers: int
    final: dict | None
    annotators: list[str] = field(default_factory=list)
    data_values: list[str] = field(default_factory=list)


@dataclass
class ItemPage:
    rows: list[ItemRow]
    has_next: bool
    has_prev: bool


def _text_source(project: Project) -> str | None:
    for f in project.schema.fields:
        if f.data_kind == "text" and f.source:
            return f.source
    return None


def filtered_items(*, project: Project, filters, tzinfo=None, search: bool = True):
    """The project's items matching a parsed filters.ItemFilter (no order, no page);
    search=False leaves the text search out (item_page walks the index itself)."""
    from trainerdesk.workbench.filters import parse_meta_value

    if connection.vendor == "sqlite" and filters.sort in ("id", "-id"):
        # `project_id + 0` keeps SQLite's planner off the (project, done_count) index,
        # which would make it sort every item of the project for each page; walking the
        # primary key from the cursor reads only about one page of rows (as in export).
        qs = Item.objects.alias(
            _project=ExpressionWrapper(F("project_id") + 0, output_field=IntegerField())
        ).filter(_project=project.pk)
    else:
        qs = Item.objects.filter(project=project)
    if filters.status:
        qs = qs.with_status(filters.status, project.overlap)
    if filters.label:
        choice = [(f.name, f.multiple) for f in project.schema.fields if f.type == "choice"]
        qs = qs.with_label(filters.label, choice)
    if filters.annotator:
        qs = qs.annotated_by(filters.annotator)
    if filters.created_from or filters.created_to:
        tz = tzinfo or timezone.get_current_timezone()

        def start_of(day):
            return datetime(day.year, day.month, day.day, tzinfo=tz)

        qs = qs.created_between(
            start_of(filters.created_from) if filters.created_from else None,
            start_of(filters.created_to) + timedelta(days=1) if filters.created_to else None,
        )
    if filters.gold:
        qs = qs.filter(is_gold=filters.gold == "yes")
    if filters.meta_key:
        qs = qs.with_metadata(filters.meta_key, parse_meta_value(filters.meta_value))
    if filters.q and search:
        from trainerdesk.workbench.filters import SearchSyntaxError, parse_search

        try:
            qs = qs.matching_search(parse_search(filters.q))
        except SearchSyntaxError as exc:
            raise InvalidInput([f"q: {exc}"]) from None
    if filters.assignee:
        qs = qs.assigned_to(filters.assignee)
    if filters.agreement_below is not None:
        # Agreement scores are the quality app's; it registers this filter.
        qs = extensions.apply_item_filter("agreement_below", qs, project, filters.agreement_below)
    return qs


def item_page(*, project: Project, filters, size: int = 50) -> ItemPage:
    """One keyset page of the data manager's table, with each item's answer count and
    majority answer (all from one annotation query for the page)."""
    walk = _search_walk_query(filters)
    qs = filtered_items(project=project, filters=filters, search=walk is None)
    key = filters.sort.lstrip("-")
    cursor_id = filters.after or filters.before
    backward = filters.before is not None
    cursor = None
    if cursor_id is not None:
        found = Item.objects.filter(project=project, pk=cursor_id).values_list(key, "id").first()
        if found is None:
            name = "before" if backward else "after"
            raise InvalidInput([f"{name}: item {cursor_id} is not in this project (deleted?)"])
        cursor = tuple(found)
    qs = qs.select_related("assignee")
    if walk is not None:
        return _item_rows(
            project,
            filters,
            *_search_walk_page(
                qs, walk, sort=filters.sort, cursor_id=cursor_id, backward=backward, size=size
            ),
        )
    items, more = qs.keyset_page(sort=filters.sort, cursor=cursor, backward=backward, size=size)
    if backward:
        has_prev, has_next = (
            more,
            bool(items)
            and qs.has_beyond(
                sort=filters.sort, cursor=(getattr(items[-1], key), items[-1].pk), backward=False
            ),
        )
    else:
        has_next = more
        has_prev = (
            bool(items)
            and cursor is not None
            and qs.has_beyond(
                sort=filters.sort, cursor=(getattr(items[0], key), items[0].pk), backward=True
            )
        )
    return _item_rows(project, filters, items, has_next, has_prev)


def _search_walk_query(filters) -> str | None:
    """The FTS5 query when the page should walk the SQLite index (text search in id
    order), else None (PostgreSQL, no search, or another sort)."""
    if connection.vendor != "sqlite" or not filters.q or filters.sort not in ("id", "-id"):
        return None
    from trainerdesk.workbench.filters import SearchSyntaxError, fts5_query, parse_search

    try:
        return fts5_query(parse_search(filters.q))
    except SearchSyntaxError as exc:
        raise InvalidInput([f"q: {exc}"]) from None


def _search_walk_page(qs, match: str, *, sort: str, cursor_id, backward: bool, size: int):
    """(items, has_next, has_prev) of one id-ordered search page, by ItemQuerySet.search_walk."""
    descending = (sort == "-id") != backward
    items, more = qs.search_walk(match, start=cursor_id, descending=descending, size=size)
    if backward:
        items.reverse()
    if not items:
        return items, False, False
    edge = items[-1] if backward else items[0]
    beyond = cursor_id is not None or backward
    other_side = beyond and bool(
        qs.search_walk(match, start=edge.pk, descending=not descending, size=1)[0]
    )
    return (items, other_side, more) if backward else (items, more, other_side)


def _item_rows(project: Project, filters, items, has_next: bool, has_prev: bool) -> ItemPage:
    answers: dict[int, list[dict]] = {}
    records: dict[int, list[dict]] = {}
    names: dict[int, list[str]] = {}
    for pk, item_id, answer, skipped, username, imported in (
        Annotation.objects.filter(item__in=[i.pk for i in items])
        .order_by("created_at", "id")
        .values_list(
            "id", "item_id", "answer", "skipped", "annotator__username", "imported_annotator"
        )
    ):
        if not skipped:
            answers.setdefault(item_id, []).append(answer)
        records.setdefault(item_id, []).append({"id": pk, "answer": answer, "skipped": skipped})
        names.setdefault(item_id, []).append(username or imported or "?")
    source = _text_source(project)
    data_keys_shown = filters.data_columns
    finals = final_answers(project=project, item_ids=[i.pk for i in items], annotations=records)
    rows = []
    for item in items:
        text = item.data.get(source) if source else None
        if text is None:
            text = dumps(item.data)
        elif not isinstance(text, str):
            text = dumps(text)
        mine = answers.get(item.pk, [])
        values = []
        for key in data_keys_shown:
            value = item.data.get(key)
            values.append(
                "" if value is None else value if isinstance(value, str) else dumps(value)
            )
        rows.append(
            ItemRow(
                item=item,
                excerpt=text[:120],
                status=item_status(item, project.overlap),
                answers=len(mine),
                final=finals.get(item.pk),
                annotators=names.get(item.pk, []),
                data_values=[v[:120] for v in values],
            )
        )
    return ItemPage(rows=rows, has_next=has_next, has_prev=has_prev)


def item_status(item: Item, overlap: int) -> str:
    """The status shown in the table, by the same rules as ItemQuerySet.with_status."""
    if item.done_count >= overlap:
        return "done"
    if item.done_count > 0 or item.leased_count > 0:
        return "in progress"
    if item.skip_count > 0:
        return "skipped"
    return "new"


def _selection(item_ids: list[int]) -> list[int]:
    if not item_ids:
        raise InvalidInput(["item: select at least one item"])
    if len(item_ids) > MAX_SELECTION:
        raise InvalidInput([f"item: at most {MAX_SELECTION} items at once, got {len(item_ids)}"])
    return list(item_ids)


def delete_items(*, project: Project, item_ids: list[int], by) -> int:
    """Delete items with their annotations, predictions and leases. The queue counters
    live on each item, so nothing else needs adjusting."""
    ids = _selection(item_ids)
    with transaction.atomic():
        mine = list(Item.objects.filter(project=project, pk__in=ids).values_list("id", flat=True))
        _unindex_items(mine)
        progress_counts.forget_items(mine)
        Item.objects.filter(pk__in=mine).delete()
        audit.record_bulk(
            action="workbench.item.bulk_delete",
            object_type="workbench.item",
            ids=mine,
            project=project,
            by=by,
        )
    return len(mine)


def requeue_items(*, project: Project, item_ids: list[int], by) -> int:
    """Put items back in the shared queue now: drop the leases annotators hold on them
    (e.g. someone left with the item open), so the next annotator can take them at once
    instead of waiting for the lease to expire. Answers stay; an item that already has
    its overlap stays done (raise the overlap to collect more answers). Returns how many
    leases were dropped."""
    ids = _selection(item_ids)
    with transaction.atomic():
        leases = list(
            Lease.objects.filter(project=project, item_id__in=ids).values_list("id", "item_id")
        )
        for lease_id, item_id in leases:
            _drop_lease(lease_id=lease_id, item_id=item_id, overlap=project.overlap)
        audit.record_bulk(
            action="workbench.item.bulk_requeue",
            object_type="workbench.item",
            ids=sorted({item_id for _lease, item_id in leases}),
            changes={"leases_dropped": len(leases)},
            project=project,
            by=by,
        )
    return len(leases)


def set_items_priority(*, project: Project, item_ids: list[int], priority: int, by) -> int:
    ids = _selection(item_ids)
    if not -(2**31) <= priority < 2**31:
        raise InvalidInput(["priority: must be a 32-bit whole number"])
    return set_priority(project=project, item_ids=ids, priority=priority, by=by)


def export_selection(*, project: Project, item_ids: list[int], by) -> Iterator[bytes]:
    """JSONL of the selected items, the same records as the project export."""
    ids = _selection(item_ids)
    with transaction.atomic():
        audit.record_bulk(
            action="workbench.export.create",
            object_type="workbench.item",
            ids=ids,
            changes={
                "format": "jsonl",
                "selection": True,
                "includes_reference": "jsonl" in REFERENCE_FORMATS,
            },
            project=project,
            by=by,
        )
    records = export_records(project=project, item_ids=ids)
    return formats.write_jsonl(records, include_annotations=True)
