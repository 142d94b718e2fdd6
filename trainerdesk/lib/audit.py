"""The audit log's spine: `record()` writes one event per state change, hash-chained.

Zulip's pattern: the service that makes an important change also writes its audit row,
in the same transaction, so the row commits or rolls back with the change. Events are
append-only (a QuerySet that refuses update/delete, and database triggers) and chained
per organization (org-less events such as sign-ins and API tokens form one "global"
chain):

    hash = sha256(prev_hash || canonical_line(event))      prev_hash of seq 1: "0" * 64

`canonical_line` is the one serialisation (see its docstring); `verify()` recomputes a
chain and names the first event that does not match. A GDPR erasure may pseudonymise
events (`redact_events`, the one UPDATE the triggers let through): the stored hash stays
the chain's link and verify() checks the rewritten content against the sha256 its
redaction event recorded. DEVELOPERS.md ("Audit log") says
how to add an action.

This module is in `lib`, below every app, so each app can record without importing
another; it reaches the models through the app registry instead of importing
`trainerdesk.accounts` (see `_models`).
"""

from __future__ import annotations

import contextvars
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from trainerdesk.lib.audit_actions import ACTIONS, ANONYMOUS_ACTIONS, IP_ACTIONS

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
GLOBAL_CHAIN = "global"

# Field names whose values never reach the log: only the fact that they changed.
# Matched as a substring of the lower-cased name, so `api_token`, `secret_key` and
# `password_hash` are covered too.
REDACTED_NAMES = ("password", "token", "secret", "digest", "api_key", "private_key")
REDACTED = "[redacted]"
# Personal data is kept by reference (ids) only: a changed e-mail address is logged as
# changed, not copied into a row that can never be erased.
PERSONAL_FIELDS = frozenset({"email", "first_name", "last_name", "full_name", "phone"})
PERSONAL = "[personal]"

_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class AuditError(Exception):
    """The log cannot be written as asked (no transaction, no actor, bad changes)."""


# -- context: request id and default actor ------------------------------------------

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("audit_request_id", default="")
# Who acts when a service is called without `by`/`system`. Outside requests (shell,
# scripts, test fixtures) it is "unattributed", visibly; `trainerdesk COMMAND` sets
# "cli:COMMAND"; inside a web request the middleware clears it so a view that forgets
# `by=request.user` fails instead of writing an event with nobody behind it.
_default_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_default_actor", default="unattributed"
)


def sane_request_id(raw: str | None) -> str | None:
    """`raw` if it is a short token safe to store and echo, else None."""
    return raw if raw and _REQUEST_ID_OK.fullmatch(raw) else None


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def acting_as(system: str | None) -> Iterator[None]:
    """Attribute writes without an explicit actor to the system job `system` (None: none
    may be written without one)."""
    token = _default_actor.set(system)
    try:
        yield
    finally:
        _default_actor.reset(token)


def set_default_actor(system: str | None) -> contextvars.Token:
    return _default_actor.set(system)


def reset_default_actor(token: contextvars.Token) -> None:
    _default_actor.reset(token)


# -- the canonical line -----------------------------------------------------------------


def iso_utc(value: datetime) -> str:
    """`2026-12-02T07:22:51.000123Z`: UTC, always with microseconds."""
    if value.tzinfo is None:
        raise AuditError("audit times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _to_json_value(value: Any) -> Any:
    """`value` as the database will give it back (tuples become lists, datetimes ISO
    strings, NaN null), so what is hashed at write time is what verify() reads."""
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return orjson.loads(orjson.dumps(value, default=_json_default))


def canonical_line(fields: dict[str, Any]) -> bytes:
    """The one serialisation an event is hashed in: JSON, keys sorted at every level, no
    whitespace, UTF-8 (no \\u escapes for non-ASCII), times as `iso_utc`. orjson writes
    exactly this (OPT_SORT_KEYS; it never adds whitespace), faster than json.dumps."""
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: str, line: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + line).hexdigest()


# The columns the hash covers, in the order `event_fields` reads them. Every column of an
# event except its database id, prev_hash and hash (which the chain itself checks).
HASHED_COLUMNS = (
    "seq",
    "created_at",
    "action",
    "organization_id",
    "project_id",
    "actor_id",
    "actor_system",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "request_id",
    "ip",
)


def event_fields(chain: str, row: dict[str, Any]) -> dict[str, Any]:
    """The hashed content of an event of `chain`, from its column values."""
    fields = {name: row[name] for name in HASHED_COLUMNS}
    fields["created_at"] = iso_utc(row["created_at"])
    fields["chain"] = chain
    fields["v"] = FORMAT_VERSION
    return fields


def chain_key(organization_id: int | None) -> str:
    return GLOBAL_CHAIN if organization_id is None else f"org:{organization_id}"


# -- changes ----------------------------------------------------------------------------


def _redact(name: str, value: Any) -> Any:
    """`value` of the field `name`, or its marker; dicts inside (a settings object, a
    webhook's configuration) are cleaned key by key at every depth."""
    lowered = name.lower()
    if any(part in lowered for part in REDACTED_NAMES):
        return REDACTED
    if lowered in PERSONAL_FIELDS:
        return PERSONAL
    if isinstance(value, dict):
        return {key: _redact(str(key), inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(name, inner) if isinstance(inner, dict) else inner for inner in value]
    return value


def clean_changes(changes: dict[str, Any] | None) -> dict[str, Any]:
    """`changes` with secrets and personal data replaced by markers, as JSON values.

    Either `{field: {"before": x, "after": y}}` (what `changed_fields` returns) or plain
    facts `{"count": 3}`. Every key, at every depth, is checked against REDACTED_NAMES
    (a substring) and PERSONAL_FIELDS; a before/after pair is checked under its field's
    name. Name a file's hash `sha256`, not `digest` (which is redacted: API tokens keep
    their secret's hash under that name)."""
    if not changes:
        return {}
    if not isinstance(changes, dict):
        raise AuditError(f"changes: must be a dict, not {type(changes).__name__}")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if not isinstance(name, str):
            raise AuditError(f"changes: field names must be strings, not {name!r}")
        if isinstance(value, dict) and value and set(value) <= {"before", "after"}:
            cleaned[name] = {side: _redact(name, v) for side, v in value.items()}
        else:
            cleaned[name] = _redact(name, value)
    return _to_json_value(cleaned)


def _read(source: Any, name: str) -> Any:
    value = source.get(name) if isinstance(source, dict) else getattr(source, name)
    return value.pk if isinstance(value, models.Model) else value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` now, to compare after a change (`changed_fields`)."""
    return {name: _read(obj, name) for name in fields}


def changed_fields(before: Any, after: Any, fields: Iterable[str]) -> dict[str, Any]:
    """`{field: {"before": old, "after": new}}` for the fields whose values differ.

    `before` and `after` are model instances or dicts (`snapshot()` of the instance
    before it changed); `before=None` means the object is new (every field "after")."""
    out: dict[str, Any] = {}
    for name in fields:
        new = _read(after, name)
        if before is None:
            if new not in (None, "", [], {}):
                out[name] = {"after": new}
            continue
        old = _read(before, name)
        if old != new:
            out[name] = {"before": old, "after": new}
    return out


def ids_digest(ids: Iterable[Any]) -> tuple[int, str]:
    """(count, sha256 of the sorted ids, one per line): names a bulk action's rows without
    listing them. Integers sort numerically, anything else as text."""
    values = list(ids)
    if all(isinstance(v, int) for v in values):
        values.sort()
    else:
        values = sorted(str(v) for v in values)
    text = "\n".join(str(v) for v in values)
    return len(values), hashlib.sha256(text.encode()).hexdigest()


# -- writing ----------------------------------------------------------------------------


def _models() -> tuple[Any, Any]:
    # Looked up in the app registry, not imported: lib is the lowest layer and imports no
    # app (the import-linter contract), while the table itself belongs to accounts, the
    # lowest app, which every other app may depend on.
    return apps.get_model("accounts", "AuditEvent"), apps.get_model("accounts", "AuditChain")


def _pk(value: Any) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else value.pk


def _lock_chain(key: str, organization_id: int | None) -> Any:
    """The chain's head row, locked until the caller's transaction ends, so appends to
    one chain queue up: seq has no gaps and no two events share a prev_hash. (SQLite
    takes its one write lock at BEGIN IMMEDIATE; select_for_update is a no-op there.)"""
    _, AuditChain = _models()
    head = AuditChain.objects.select_for_update().filter(key=key).first()
    if head is None:
        # The chain's first event: create the head unless a concurrent writer just did
        # (ON CONFLICT DO NOTHING), then lock whichever row won.
        AuditChain.objects.bulk_create(
            [AuditChain(key=key, organization_id=organization_id)], ignore_conflicts=True
        )
        head = AuditChain.objects.select_for_update().get(key=key)
    return head


def _actor(action: str, by: Any, system: str | None) -> tuple[int | None, str]:
    if by is not None and getattr(by, "is_authenticated", True):
        return by.pk, ""
    if system:
        return None, system
    if action in ANONYMOUS_ACTIONS:
        return None, ""
    default = _default_actor.get()
    if default:
        return None, default
    raise AuditError(
        f"{action}: say who acted, by=<user> or system=<job name> (a service called from "
        "a view must pass by=request.user)"
    )


def record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    organization: Any = None,
    project: Any = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    by: Any = None,
    system: str | None = None,
    request_id: str | None = None,
    ip: str | None = None,
) -> Any:
    """Append one event to its organization's chain and return it.

    Call it inside the transaction that makes the change (`transaction.atomic()`), after
    the change, so both commit or neither does. `obj` gives object type and id (or pass
    `object_type`/`object_id`); `organization` and `project` are instances or ids (when
    `organization` is not given it comes from the project, or from `obj`: an
    Organization, or anything with an `organization_id`); `by` is the acting user,
    `system` names a job when no user acts. `changes`: `changed_fields(...)` or plain
    facts, cleaned of secrets and personal data (`clean_changes`). `ip` only for sign-in
    events."""
    if action not in ACTIONS:
        raise ValueError(
            f"action: {action!r} is not registered in trainerdesk/lib/audit_actions.py"
        )
    if not transaction.get_connection().in_atomic_block:
        raise AuditError(
            f"{action}: record() must run inside the transaction of the change it records "
            "(wrap the change and the record() call in transaction.atomic())"
        )
    if ip is not None:
        if action not in IP_ACTIONS:
            raise AuditError(f"{action}: only sign-in events keep an IP address")
        # One spelling per address, so the text hashed is the text stored and compared.
        ip = str(ipaddress.ip_address(ip))
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    organization_id = _pk(organization)
    project_id = _pk(project)
    if organization_id is None:
        # An event about something inside an organization belongs in its chain even when
        # the caller did not say so: from the project, the object, or the object itself.
        if project is not None and not isinstance(project, int):
            organization_id = project.organization_id
        elif obj is not None and obj._meta.label_lower == "accounts.organization":
            organization_id = obj.pk
        elif obj is not None:
            organization_id = getattr(obj, "organization_id", None)
    actor_id, actor_system = _actor(action, by, system)
    AuditEvent, AuditChain = _models()
    key = chain_key(organization_id)
    head = _lock_chain(key, organization_id)
    event = AuditEvent(
        chain_id=head.pk,
        seq=head.seq + 1,
        created_at=timezone.now(),
        action=action,
        organization_id=organization_id,
        project_id=project_id,
        actor_id=actor_id,
        actor_system=actor_system[:100],
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        changes=clean_changes(changes),
        reason=reason or "",
        request_id=sane_request_id(request_id) or current_request_id(),
        ip=ip or "",
        prev_hash=head.head_hash,
    )
    event.hash = chain_hash(head.head_hash, canonical_line(event_fields(key, event.__dict__)))
    AuditEvent.objects.bulk_create([event])
    AuditChain.objects.filter(pk=head.pk).update(seq=event.seq, head_hash=event.hash)
    return event


def record_bulk(
    *,
    action: str,
    object_type: str,
    ids: Iterable[Any],
    changes: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """One event for an action on many rows: their count and `ids_digest`, not the ids.
    `changes` adds what was done to all of them (e.g. `{"is_gold": True}`)."""
    count, digest = ids_digest(ids)
    facts = {**(changes or {}), "count": count, "ids_sha256": digest}
    return record(action=action, object_type=object_type, changes=facts, **kwargs)


# -- pseudonymising (GDPR erasure) ------------------------------------------------------

REDACTION_ACTION = "privacy.audit.pseudonymise"
REDACTABLE_COLUMNS = ("changes", "reason", "ip")


def redact_events(
    rewrites: dict[int, dict[str, Any]],
    *,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    by: Any = None,
    system: str | None = None,
) -> Any:
    """Rewrite the personal content of events and keep every chain verifiable.

    `rewrites` maps an event id to its new values of `changes`, `reason` and/or `ip` (the
    only columns that may change; who, what and when stay). One redaction event is
    recorded first (REDACTION_ACTION, global chain) naming each rewritten event with the
    sha256 of its new canonical line; then the rows are rewritten and stamped
    `redacted_by`. verify() keeps an event's stored hash as the chain's link and checks
    its content against that sha256, so the chain still verifies and any later change to
    a redacted row is still found. Must run inside the caller's transaction. Returns the
    redaction event (None when there was nothing to rewrite)."""
    if not transaction.get_connection().in_atomic_block:
        raise AuditError("redact_events() must run inside the erasure's transaction")
    if not rewrites:
        return None
    AuditEvent, _ = _models()
    for values in rewrites.values():
        unknown = set(values) - set(REDACTABLE_COLUMNS)
        if unknown:
            raise AuditError(f"redact_events: only {REDACTABLE_COLUMNS} change, not {unknown}")
    columns = ("pk", "chain__key", *HASHED_COLUMNS)
    rows = AuditEvent.objects.filter(pk__in=list(rewrites)).values(*columns)
    new_rows: dict[int, dict[str, Any]] = {}
    digests: dict[str, str] = {}
    for row in rows:
        values = dict(rewrites[row["pk"]])
        if "changes" in values:
            values["changes"] = _to_json_value(values["changes"])
        new_row = {**row, **values}
        line = canonical_line(event_fields(row["chain__key"], new_row))
        digests[str(row["pk"])] = hashlib.sha256(line).hexdigest()
        new_rows[row["pk"]] = values
    if len(new_rows) != len(rewrites):
        missing = sorted(set(rewrites) - set(new_rows))
        raise AuditError(f"redact_events: no events {missing}")
    facts = {**(changes or {}), "count": len(digests), "events": digests}
    marker = record(
        action=REDACTION_ACTION,
        object_type="accounts.auditevent",
        changes=facts,
        reason=reason,
        by=by,
        system=system,
    )
    # The model's QuerySet refuses every update (append-only); the plain QuerySet is the
    # one door, and the trigger of accounts/0003 lets only this rewrite through.
    plain: models.QuerySet[Any] = models.QuerySet(model=AuditEvent)
    for pk, values in new_rows.items():
        plain.filter(pk=pk).update(**values, redacted_by=marker.pk)
    return marker


# -- verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """Where a chain stops verifying: the event (None when events are missing at the
    end) and what differs."""

    chain: str
    event_id: int | None
    seq: int | None
    organization_id: int | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    chain: str
    organization_id: int | None
    events: int
    broken: Break | None


def verify(chain: str, *, batch: int = 5000) -> ChainReport:
    """Recompute chain `chain` ("global" or "org:ID") from its first event: each seq one
    more than the last, each prev_hash the previous hash, each hash the recomputed one,
    and the head row pointing at the last event. Reports the first break."""
    AuditEvent, AuditChain = _models()
    head = AuditChain.objects.filter(key=chain).values("pk", "seq", "head_hash", "organization_id")
    head = head.first()
    if head is None:
        return ChainReport(chain, None, 0, None)
    org = head["organization_id"]
    columns = ("pk", "hash", "prev_hash", "redacted_by", *HASHED_COLUMNS)
    rows = AuditEvent.objects.filter(chain_id=head["pk"]).order_by("seq").values(*columns)
    prev, expected, count = GENESIS_HASH, 1, 0
    redactions: dict[int, dict[str, str] | None] = {}

    def broken(row: dict[str, Any], problem: str) -> ChainReport:
        return ChainReport(chain, org, count, Break(chain, row["pk"], row["seq"], org, problem))

    for row in rows.iterator(chunk_size=batch):
        if row["seq"] != expected:
            return broken(row, f"seq {row['seq']} where {expected} was due (events missing)")
        if row["prev_hash"] != prev:
            return broken(row, "prev_hash is not the previous event's hash")
        line = canonical_line(event_fields(chain, row))
        if row["redacted_by"] is not None:
            # Pseudonymised (redact_events): the stored hash stays the chain's link, and
            # the content is what the (itself chained) redaction event says it became.
            recorded = _redaction_digests(row["redacted_by"], redactions).get(str(row["pk"]))
            if recorded is None:
                return broken(
                    row,
                    f"marked redacted by event {row['redacted_by']}, which does not record "
                    "redacting it",
                )
            if hashlib.sha256(line).hexdigest() != recorded:
                return broken(
                    row,
                    "content changed after its redaction: the sha256 differs from the one "
                    "its redaction event recorded",
                )
        elif chain_hash(prev, line) != row["hash"]:
            return broken(row, "content changed: the recomputed hash differs from the stored one")
        prev, expected, count = row["hash"], expected + 1, count + 1
    if head["seq"] != count or head["head_hash"] != prev:
        problem = (
            f"the chain head says {head['seq']} events ending in {head['head_hash'][:12]}…, "
            f"the table holds {count} ending in {prev[:12]}… (events missing at the end)"
        )
        return ChainReport(chain, org, count, Break(chain, None, head["seq"], org, problem))
    return ChainReport(chain, org, count, None)


def _redaction_digests(event_id: int, cache: dict[int, dict[str, str] | None]) -> dict[str, str]:
    """{redacted event id (text): sha256 of its rewritten canonical line} recorded by the
    redaction event `event_id` ({} when there is no such redaction event)."""
    if event_id not in cache:
        AuditEvent, _ = _models()
        found = AuditEvent.objects.filter(pk=event_id, action=REDACTION_ACTION).first()
        events = (found.changes or {}).get("events") if found is not None else None
        cache[event_id] = events if isinstance(events, dict) else None
    return cache[event_id] or {}


def chains(organization_id: int | None = None) -> list[str]:
    """Every chain's key, or only `organization_id`'s."""
    _, AuditChain = _models()
    if organization_id is not None:
        return [chain_key(organization_id)]
    return list(AuditChain.objects.order_by("pk").values_list("key", flat=True))
