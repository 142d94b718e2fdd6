"""Daily chain heads: computed from the audit events' content, stored, exported, checked.

A day's head is the chain hash after that UTC day's last event (the highest seq whose
`created_at` falls on the day), *recomputed* from every event's canonical line since the
chain's first (lib.audit.chain_hash), never copied from the stored `hash` column: so
both kinds of tampering show up as a head that differs from the one written down —
content changed in place (the recomputed hash no longer equals the stored one) and
content changed with every later hash rewritten to match (the chain verifies again, but
every head from that day on differs from the exported ones).

A pseudonymised event (lib.audit.redact_events) keeps its stored hash as the chain's link
by design; its head contribution is that stored hash, as verify() treats it (verify
checks its rewritten content against the redaction event's sha256).

Only finished days get heads (before today, UTC): today's head would change with the
next event. Recording is idempotent: a (chain, day) stored once is never rewritten;
`check_heads` compares the stored (or exported) heads with a fresh recomputation and
names the first day that differs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.accounts.models import AuditChain, AuditEvent
from trainerdesk.governance.models import ChainHead
from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest

EXPORT_FORMAT = "trainerdesk-audit-heads/1"
EXPORT_COLUMNS = ("chain", "organization_id", "day", "seq", "event_id", "head_hash", "day_events")


@dataclass(frozen=True)
class DayHead:
    chain: str
    organization_id: int | None
    day: date
    seq: int
    event_id: int
    head_hash: str
    day_events: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"day": self.day.isoformat()}


@dataclass(frozen=True)
class HeadMismatch:
    """The first day of a chain whose head differs from the one given."""

    chain: str
    day: date
    expected: str  # what the stored/exported head says
    found: str  # what the events give now

    def __str__(self) -> str:
        day = self.day.isoformat()
        return f"{self.chain}: the head of {day} differs: stored {self.expected}, now {self.found}"


# A day is headed only once it ended this long ago: an event stamped 23:59:59 commits
# with its transaction, a moment later (record() stamps it under the chain's lock).
SETTLE = timedelta(minutes=10)


def _today() -> date:
    return (timezone.now() - SETTLE).astimezone(UTC).date()


def recompute_heads(
    chain: str, *, before: date | None = None, after_seq: int = 0, prev_hash: str | None = None
) -> tuple[list[DayHead], int | None]:
    """The heads of `chain` for every day before `before` (default today, UTC), and the
    seq of the first event whose recomputed hash differs from its stored one (None if
    none). `after_seq`/`prev_hash` continue from a known head instead of seq 1."""
    before = before or _today()
    head = AuditChain.objects.filter(key=chain).values("pk", "organization_id").first()
    if head is None:
        return [], None
    org = head["organization_id"]
    columns = ("pk", "hash", "redacted_by", *audit.HASHED_COLUMNS)
    rows = (
        AuditEvent.objects.filter(chain_id=head["pk"], seq__gt=after_seq)
        .order_by("seq")
        .values(*columns)
    )
    prev = prev_hash or audit.GENESIS_HASH
    days: dict[date, list[Any]] = {}
    first_break: int | None = None
    for row in rows.iterator(chunk_size=5000):
        if row["redacted_by"] is not None:
            h = row["hash"]
        else:
            h = audit.chain_hash(prev, audit.canonical_line(audit.event_fields(chain, row)))
        if first_break is None and h != row["hash"]:
            first_break = row["seq"]
        prev = h
        day = row["created_at"].astimezone(UTC).date()
        if day >= before:
            continue
        entry = days.get(day)
        if entry is None:
            days[day] = [row["seq"], row["pk"], h, 1]
        else:
            entry[3] += 1
            if row["seq"] > entry[0]:
                entry[0], entry[1], entry[2] = row["seq"], row["pk"], h
    heads = [
        DayHead(chain, org, day, seq, event_id, h, count)
        for day, (seq, event_id, h, count) in sorted(days.items())
    ]
    return heads, first_break


@dataclass(frozen=True)
class RecordResult:
    added: int
    chains: int
    broken: dict[str, int]  # chain -> first seq whose hash does not recompute


def record_chain_heads(*, before: date | None = None, by=None, system: str | None = None):
    """Store the heads of every finished day not stored yet, for every chain; idempotent.

    Continues each chain from its last stored head. A chain whose events no longer
    recompute gets no heads from the break on (storing them would bless the rewrite):
    the result names it, and `audit verify` says what differs. When heads are added, one
    event on the global chain records how many and the sha256 of their export lines, so
    the org chains' heads are themselves anchored in a chain."""
    before = before or _today()
    added: list[DayHead] = []
    broken: dict[str, int] = {}
    keys = list(AuditChain.objects.order_by("pk").values_list("key", flat=True))
    for key in keys:
        last = ChainHead.objects.filter(chain=key).order_by("-day").first()
        heads, first_break = recompute_heads(
            key,
            before=before,
            after_seq=last.seq if last else 0,
            prev_hash=last.head_hash if last else None,
        )
        if last is not None:
            heads = [h for h in heads if h.day > last.day]
        if first_break is not None:
            broken[key] = first_break
            heads = [h for h in heads if h.seq < first_break]
        added.extend(heads)
    if not added:
        return RecordResult(0, len(keys), broken)
    digest = LineDigest()
    for h in added:
        digest.add(*(h.as_dict()[c] for c in EXPORT_COLUMNS))
    with transaction.atomic():
        ChainHead.objects.bulk_create(
            [ChainHead(**asdict(h)) for h in added], ignore_conflicts=True
        )
        audit.record(
            action="governance.chain_heads.record",
            object_type="governance.chainhead",
            changes={
                "heads": len(added),
                "chains": len({h.chain for h in added}),
                "through": max(h.day for h in added).isoformat(),
                "heads_sha256": digest.hexdigest(),
            },
            by=by,
            system=system,
        )
    return RecordResult(len(added), len(keys), broken)


def stored_heads(chains: Iterable[str] | None = None) -> Iterator[DayHead]:
    qs = ChainHead.objects.order_by("chain", "day")
    if chains is not None:
        qs = qs.filter(chain__in=list(chains))
    for h in qs.iterator(chunk_size=2000):
        yield DayHead(
            h.chain, h.organization_id, h.day, h.seq, h.event_id, h.head_hash, h.day_events
        )


def check_heads(given: Iterable[DayHead], *, before: date | None = None) -> list[HeadMismatch]:
    """Recompute every chain the given heads name and return, per chain, the first day
    whose head differs (or that has no events any more); [] when all match."""
    by_chain: dict[str, list[DayHead]] = {}
    for h in given:
        by_chain.setdefault(h.chain, []).append(h)
    out = []
    for chain, heads in sorted(by_chain.items()):
        # Every given day is recomputed, even one the clock says is not over (a head
        # written down is compared whatever today is).
        until = before or max(_today(), max(h.day for h in heads) + timedelta(days=1))
        fresh = {h.day: h for h in recompute_heads(chain, before=until)[0]}
        for h in sorted(heads, key=lambda x: x.day):
            now = fresh.get(h.day)
            found = f"seq {now.seq} {now.head_hash}" if now else "no events that day"
            if now is None or (now.seq, now.head_hash) != (h.seq, h.head_hash):
                out.append(HeadMismatch(chain, h.day, f"seq {h.seq} {h.head_hash}", found))
                break
    return out


# -- export / import ---------------------------------------------------------------------


def export_csv(heads: Iterable[DayHead]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for h in heads:
        d = h.as_dict()
        writer.writerow(["" if d[c] is None else d[c] for c in EXPORT_COLUMNS])
    return buf.getvalue()


def export_json(heads: Iterable[DayHead]) -> str:
    body = {
        "format": EXPORT_FORMAT,
        "exported_at": audit.iso_utc(timezone.now()),
        "heads": [h.as_dict() for h in heads],
    }
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


def _head(row: dict[str, Any]) -> DayHead:
    org = row.get("organization_id")
    return DayHead(
        chain=str(row["chain"]),
        organization_id=None if org is None or org == "" else int(org),
        day=date.fromisoformat(str(row["day"])),
        seq=int(row["seq"]),
        event_id=int(row["event_id"]),
        head_hash=str(row["head_hash"]),
        day_events=int(row["day_events"]),
    )


def parse_export(text: str) -> list[DayHead]:
    """Heads from an export_csv or export_json text (which one is told by its first
    character). Raises ValueError naming what is wrong."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            body = json.loads(stripped)
            if body.get("format") != EXPORT_FORMAT:
                raise ValueError(f"not a heads export (format is not {EXPORT_FORMAT!r})")
            return [_head(r) for r in body["heads"]]
        reader = csv.DictReader(io.StringIO(stripped))
        if tuple(reader.fieldnames or ()) != EXPORT_COLUMNS:
            raise ValueError(f"not a heads export (columns must be {','.join(EXPORT_COLUMNS)})")
        return [_head(r) for r in reader]
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a heads export: {exc}") from None
