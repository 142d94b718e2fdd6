"""A project's evidence: who labelled, reviewed, exported, trained, evaluated, versioned and
approved what, and when (issue 13, "Audit log").

Two sources, merged newest first: the project's audit events (everything a service
records: reviews, exports, runs, versions, sign-offs) and its annotations, which are not
audited one by one (the annotation rows themselves are the record: who, which item,
under which guideline version, when). Each entry says its category, actor, action and the
object it is about, with a link where the object has a page.

Paging is keyset on (time, source, id) descending, the cursor "iso time|source|id", so
a page never skips or repeats an entry while new ones arrive; each source is read with
the same condition and the pages merged (at most `limit + 1` rows from each).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date, parse_datetime

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib import audit
from trainerdesk.lib.audit_actions import ACTIONS
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench.models import Annotation, Project

# Category of an audit action: the first rule whose prefix (or word) matches.
CATEGORIES = ("labelled", "reviewed", "exported", "trained", "evaluated", "versioned", "approved")
_RULES: tuple[tuple[str, str], ...] = (
    ("quality.review.", "reviewed"),
    ("quality.label_error.decide", "reviewed"),
    ("workbench.annotation.", "labelled"),
    ("workbench.export.", "exported"),
    ("governance.dataset_version.export", "exported"),
    ("evaluation.training.", "trained"),
    ("evaluation.model_version.", "trained"),
    ("evaluation.predictions.", "trained"),
    ("evaluation.run.", "evaluated"),
    ("evaluation.split.", "evaluated"),
    ("quality.agreement_report.", "evaluated"),
    ("quality.label_error_run.", "evaluated"),
    ("quality.gold_snapshot.", "evaluated"),
    ("governance.bias_audit.", "evaluated"),
    ("governance.dataset_version.", "versioned"),
    ("governance.lineage.", "versioned"),
)
# Sign-offs (documents, approvals): any action whose last part says so.
_APPROVAL_WORDS = ("approve", "sign", "signoff", "sign_off")

# Source ranks in the total order (time, rank, id): ties in time put events first.
EVENT, ANNOTATION = "event", "annotation"
_RANK = {ANNOTATION: 0, EVENT: 1}


def category_of(action: str) -> str:
    last = action.rsplit(".", 1)[-1]
    if any(word in last for word in _APPROVAL_WORDS):
        return "approved"
    for prefix, name in _RULES:
        if action.startswith(prefix):
            return name
    return "other"


def actions_of(category: str) -> list[str]:
    return sorted(a for a in ACTIONS if category_of(a) == category)


@dataclass(frozen=True)
class Filters:
    actor: str = ""  # username, user id, or system:<job>
    category: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> dict[str, str]:
        out = {
            "actor": self.actor,
            "category": self.category,
            "action": self.action,
            "since": self.since.date().isoformat() if self.since else "",
            "until": self.until.date().isoformat() if self.until else "",
        }
        return {k: v for k, v in out.items() if v}


def parse_filters(params: Any) -> Filters:
    """Filters from GET parameters; a bad one is InvalidInput naming it. Days are UTC;
    `until` includes its whole day."""
    category = (params.get("category") or "").strip()
    if category and category not in (*CATEGORIES, "other"):
        raise InvalidInput([f"category: {category!r} is not one of {', '.join(CATEGORIES)}, other"])
    action = (params.get("action") or "").strip()
    if action and action not in ACTIONS:
        raise InvalidInput([f"action: {action!r} is not a known action"])
    since = _day("since", params.get("since"), end=False)
    until = _day("until", params.get("until"), end=True)
    return Filters(
        actor=(params.get("actor") or "").strip(),
        category=category,
        action=action,
        since=since,
        until=until,
    )


def _day(name: str, raw: str | None, *, end: bool) -> datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    day = parse_date(raw)
    if day is None:
        raise InvalidInput([f"{name}: {raw!r} is not a date (YYYY-MM-DD)"])
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@dataclass
class Entry:
    at: datetime
    source: str
    id: int
    category: str
    action: str
    description: str
    actor: str
    object_type: str
    object_id: str
    url: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def cursor(self) -> str:
        return f"{audit.iso_utc(self.at)}|{self.source}|{self.id}"

    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, _RANK[self.source], self.id)


def _parse_cursor(raw: str | None) -> tuple[datetime, int, int] | None:
    if not raw:
        return None
    parts = raw.split("|")
    at = parse_datetime(parts[0]) if len(parts) == 3 else None
    if at is None or parts[1] not in _RANK or not parts[2].isdigit():
        raise InvalidInput([f"after: {raw!r} is not a cursor from this page"])
    return at, _RANK[parts[1]], int(parts[2])


def _older(cursor: tuple[datetime, int, int] | None, rank: int, time_field: str) -> Q:
    """Rows of a source of `rank` after `cursor` in (time, rank, id) descending order."""
    if cursor is None:
        return Q()
    at, c_rank, c_id = cursor
    before = Q(**{f"{time_field}__lt": at})
    if rank < c_rank:
        return before | Q(**{time_field: at})
    if rank > c_rank:
        return before
    return before | Q(**{time_field: at, "pk__lt": c_id})


def _actor_filter(actor: str) -> tuple[int | None, str | None]:
    """(user id, system job) an actor filter names; (-1, None) for an unknown username."""
    if actor.startswith("system:"):
        return None, actor.removeprefix("system:")
    if actor.isdigit():
        return int(actor), None
    User = get_user_model()
    pk = User.objects.filter(username=actor).values_list("pk", flat=True).first()
    return (pk if pk is not None else -1), None


def _events(project: Project, filters: Filters) -> QuerySet[AuditEvent] | None:
    qs = AuditEvent.objects.filter(organization_id=project.organization_id, project_id=project.pk)
    if filters.action:
        qs = qs.filter(action=filters.action)
    elif filters.category:
        qs = qs.filter(action__in=actions_of(filters.category))
    if filters.actor:
        user_id, job = _actor_filter(filters.actor)
        qs = (
            qs.filter(actor_system=job, actor_id__isnull=True)
            if job
            else qs.filter(actor_id=user_id)
        )
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lte=filters.until)
    return qs


def _annotations(project: Project, filters: Filters) -> QuerySet[Annotation] | None:
    if filters.action or (filters.category and filters.category != "labelled"):
        return None
    qs = Annotation.objects.filter(project=project)
    if filters.actor:
        user_id, job = _actor_filter(filters.actor)
        if job is not None:
            return None
        qs = qs.filter(annotator_id=user_id)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lte=filters.until)
    return qs


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# Object pages by object type: (url name, takes the object id).
_PAGES = {
    "governance.datasetversion": "governance:version",
    "governance.biasaudit": "governance:bias_audit",
    "quality.labelerrorrun": "quality:label_error_run",
}
_PROJECT_PAGES = {
    "workbench.project": "workbench:project_detail",
    "quality.agreementreport": "quality:quality_page",
    "evaluation.evaluationrun": "evaluation:models",
    "evaluation.trainingrun": "evaluation:models",
    "evaluation.modelversion": "evaluation:models",
    "evaluation.evaluationsplit": "evaluation:models",
}


def _event_url(project: Project, e: AuditEvent) -> str:
    if e.object_type in _PAGES and e.object_id.isdigit():
        return _url(_PAGES[e.object_type], project.pk, int(e.object_id))
    item_id = (e.changes or {}).get("item_id") if isinstance(e.changes, dict) else None
    if isinstance(item_id, int):
        return _url("workbench:item_detail", project.pk, item_id)
    if e.object_type in _PROJECT_PAGES:
        return _url(_PROJECT_PAGES[e.object_type], project.pk)
    return ""


def _event_entries(project: Project, rows: Iterable[AuditEvent]) -> Iterator[Entry]:
    rows = list(rows)
    names = _names({e.actor_id for e in rows if e.actor_id is not None})
    from trainerdesk.accounts.audit_log import actor_label

    for e in rows:
        yield Entry(
            at=e.created_at,
            source=EVENT,
            id=e.pk,
            category=category_of(e.action),
            action=e.action,
            description=ACTIONS.get(e.action, e.action),
            actor=actor_label(e, names),
            object_type=e.object_type,
            object_id=e.object_id,
            url=_event_url(project, e),
            details={"seq": e.seq, "hash": e.hash, "changes": e.changes},
        )


def _annotation_entries(project: Project, rows: Iterable[dict]) -> Iterator[Entry]:
    rows = list(rows)
    names = _names({r["annotator_id"] for r in rows if r["annotator_id"] is not None})
    for r in rows:
        who = names.get(r["annotator_id"], f"user #{r['annotator_id']}")
        if r["annotator_id"] is None:
            who = f"imported:{r['imported_annotator']}"
        yield Entry(
            at=r["created_at"],
            source=ANNOTATION,
            id=r["pk"],
            category="labelled",
            action="skipped" if r["skipped"] else "answered",
            description=f"Item {r['item_id']} {'skipped' if r['skipped'] else 'labelled'} "
            f"under guideline v{r['guideline_version']}",
            actor=who,
            object_type="workbench.item",
            object_id=str(r["item_id"]),
            url=_url("workbench:item_detail", project.pk, r["item_id"]),
            details={
                "guideline_version": r["guideline_version"],
                "updated_at": audit.iso_utc(r["updated_at"]),
            },
        )


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


_ANNOTATION_COLUMNS = (
    "pk",
    "created_at",
    "updated_at",
    "annotator_id",
    "imported_annotator",
    "item_id",
    "skipped",
    "guideline_version",
)


def page(
    *, project: Project, filters: Filters, after: str | None = None, limit: int = 50
) -> tuple[list[Entry], str | None]:
    """One page of entries, newest first, after the cursor `after`: (entries, the cursor
    of the next page or None)."""
    cursor = _parse_cursor(after)
    entries: list[Entry] = []
    events = _events(project, filters)
    if events is not None:
        qs = events.filter(_older(cursor, _RANK[EVENT], "created_at"))
        entries += _event_entries(project, qs.order_by("-created_at", "-pk")[: limit + 1])
    annotations = _annotations(project, filters)
    if annotations is not None:
        qs2 = annotations.filter(_older(cursor, _RANK[ANNOTATION], "created_at"))
        rows = qs2.order_by("-created_at", "-pk").values(*_ANNOTATION_COLUMNS)[: limit + 1]
        entries += _annotation_entries(project, rows)
    entries.sort(key=Entry.sort_key, reverse=True)
    more = len(entries) > limit
    entries = entries[:limit]
    return entries, (entries[-1].cursor if more else None)


def iter_all(*, project: Project, filters: Filters, chunk: int = 2000) -> Iterator[Entry]:
    """Every entry, newest first (the CSV export), read a page at a time."""
    after = None
    while True:
        entries, after = page(project=project, filters=filters, after=after, limit=chunk)
        yield from entries
        if after is None:
            return


CSV_COLUMNS = (
    "at",
    "category",
    "source",
    "id",
    "actor",
    "action",
    "description",
    "object_type",
    "object_id",
    "url",
)


def csv_lines(entries: Iterable[Entry]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")

    def flush() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for e in entries:
        writer.writerow(
            [
                audit.iso_utc(e.at),
                e.category,
                e.source,
                e.id,
                e.actor,
                e.action,
                e.description,
                e.object_type,
                e.object_id,
                e.url,
            ]
        )
        yield flush()
