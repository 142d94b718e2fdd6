"""Reading the audit log: filters, keyset pages, and the one row form that the page,
the CSV and JSONL exports and the API all show (writing is lib/audit.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time

import orjson
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.accounts.services import AccountError
from trainerdesk.lib import audit
from trainerdesk.lib.audit_actions import ACTIONS

User = get_user_model()

CSV_COLUMNS = [
    "id",
    "seq",
    "created_at",
    "action",
    "organization_id",
    "project_id",
    "actor_id",
    "actor",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "request_id",
    "prev_hash",
    "hash",
]


@dataclass(frozen=True)
class Filters:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    project: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query_string(self) -> dict[str, str]:
        """The filters as GET parameters (for links to the next page and the exports)."""
        out = {
            "action": self.action,
            "actor": self.actor,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "project": "" if self.project is None else str(self.project),
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in out.items() if v}


def _when(name: str, raw: str, *, end: bool) -> datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        day = parse_date(raw)
        if day is None:
            raise AccountError(f"{name}: {raw!r} is not a date (YYYY-MM-DD) or ISO date-time")
        # A day as `until` includes the whole day.
        value = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_filters(params) -> Filters:
    """Filters from GET/query parameters; a bad value is an AccountError naming it."""
    action = (params.get("action") or "").strip()
    if action and action not in ACTIONS:
        raise AccountError(f"action: {action!r} is not a known action")
    project = (params.get("project") or "").strip()
    if project and not project.isdigit():
        raise AccountError(f"project: {project!r} is not a project id")
    return Filters(
        action=action,
        actor=(params.get("actor") or "").strip(),
        object_type=(params.get("object_type") or "").strip().lower(),
        object_id=(params.get("object_id") or "").strip(),
        project=int(project) if project else None,
        since=_when("since", params.get("since"), end=False),
        until=_when("until", params.get("until"), end=True),
    )


def events(organization_ids: Iterable[int], filters: Filters) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(organization_id__in=list(organization_ids))
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.actor:
        # A username, a user id, or `system:<job>` for a job's writes.
        if filters.actor.startswith("system:"):
            job = filters.actor.removeprefix("system:")
            qs = qs.filter(actor_id__isnull=True, actor_system=job)
        elif filters.actor.isdigit():
            qs = qs.filter(actor_id=int(filters.actor))
        else:
            user_id = User.objects.filter(username=filters.actor).values_list("pk", flat=True)
            qs = qs.filter(actor_id=user_id.first() or -1)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.project is not None:
        qs = qs.filter(project_id=filters.project)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lte=filters.until)
    return qs


def _actor_names(page: list[AuditEvent]) -> dict[int, str]:
    ids = {e.actor_id for e in page if e.actor_id is not None}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}


def actor_label(event: AuditEvent, names: dict[int, str]) -> str:
    if event.actor_id is not None:
        # A deleted (erased) user is their id only: personal data by reference.
        return names.get(event.actor_id, f"user #{event.actor_id}")
    return f"system:{event.actor_system}" if event.actor_system else "anonymous"


def rows(page: list[AuditEvent]) -> list[dict]:
    """The events of `page` in the form every reader shows. A row holds every hashed
    column, so an export can be verified away from the server (DEVELOPERS.md)."""
    names = _actor_names(page)
    return [
        {
            "id": e.pk,
            "seq": e.seq,
            "created_at": audit.iso_utc(e.created_at),
            "action": e.action,
            "description": ACTIONS.get(e.action, e.action),
            "organization_id": e.organization_id,
            "project_id": e.project_id,
            "actor_id": e.actor_id,
            "actor": actor_label(e, names),
            "actor_system": e.actor_system,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "changes": e.changes,
            "reason": e.reason,
            "request_id": e.request_id,
            "ip": e.ip,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in page
    ]


def page_after(qs: QuerySet[AuditEvent], after: int, limit: int) -> tuple[list[dict], int | None]:
    """Oldest first from id `after` (exclusive): (rows, the `after` of the next page)."""
    page = list(qs.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return rows(page), (page[-1].pk if more else None)


def page_before(
    qs: QuerySet[AuditEvent], before: int | None, limit: int
) -> tuple[list[dict], int | None]:
    """Newest first, older than id `before`: (rows, the `before` of the next page)."""
    if before is not None:
        qs = qs.filter(pk__lt=before)
    page = list(qs.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return rows(page), (page[-1].pk if more else None)


def _short(value) -> str:
    if value is None:
        return "–"
    text = orjson.dumps(value).decode().strip('"')
    # Digests are for machines (the exports carry them whole); the page shows a prefix.
    return (
        text[:12] + "…" if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text
    )


def change_lines(changes: dict) -> list[tuple[str, str]]:
    """`changes` as (field, "before → after" or the fact) lines for the page."""
    out = []
    for name, value in changes.items():
        if isinstance(value, dict) and value and set(value) <= {"before", "after"}:
            out.append((name, f"{_short(value.get('before'))} → {_short(value.get('after'))}"))
        else:
            out.append((name, _short(value)))
    return out


def _all_rows(qs: QuerySet[AuditEvent], chunk: int = 1000) -> Iterator[dict]:
    after: int | None = 0
    while after is not None:
        batch, after = page_after(qs, after, chunk)
        yield from batch


def jsonl_lines(qs: QuerySet[AuditEvent]) -> Iterator[bytes]:
    for row in _all_rows(qs):
        yield orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n"


class _Line:
    """csv.writer's file: hands back each line instead of keeping it (Django's pattern)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(qs: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for row in _all_rows(qs):
        row = {**row, "changes": orjson.dumps(row["changes"], option=orjson.OPT_SORT_KEYS).decode()}
        yield writer.writerow([row[c] for c in CSV_COLUMNS])
