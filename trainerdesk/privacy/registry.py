"""The one personal-data registry every app registers with (GDPR Art. 15-20).

privacy sits low in the layers (just above accounts), so every app that holds personal
data can import this module and register a handler from its `AppConfig.ready()`; privacy
never imports them. A handler answers for its own tables only:

- `identify(subject)`: the subject with whatever ids this app can add (the network
  finds the candidate id from an e-mail address, accounts the user id), so a request
  that names a person by e-mail reaches every app's rows;
- `find(subject)`: which rows hold this person, `{table label: [ids]}`;
- `export(subject)`: those rows as `Table`s (the Art. 15/20 bundle);
- `personal_values(subject)`: the personal strings those rows hold (name, e-mail,
  phone, URL, free text), which erasure also scrubs from the audit log, and
  `personal_fields` (per table), whose old values erasure replaces there too;
- `erase(subject, *, dry_run)`: anonymise in place (ids and foreign keys stay, so
  placements and money still add up), `{table label: rows changed}`; with `dry_run`
  only count;
- `retained(subject)`: what is kept and why (financial records: BAO § 132, 7 years);
- `obligations(subject)`: open obligations (a placement in its guarantee, an unpaid
  commission) that keep some records beyond the erasure.

Billing, invoicing and payouts register the same way when they land (their invoices are
`retained`, their unpaid amounts `obligations`). `PersonalDataHandler` gives empty
defaults, so a handler implements only what its app holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

ERASED = "[erased]"


@dataclass(frozen=True)
class Subject:
    """One person, by any of the ids the platform knows them by."""

    user_id: int | None = None
    email: str = ""
    candidate_id: int | None = None
    careers_token: str = ""

    def merged(self, other: Subject) -> Subject:
        """The ids of both (this one's win where both are set)."""
        return replace(
            self,
            user_id=self.user_id or other.user_id,
            email=self.email or other.email,
            candidate_id=self.candidate_id or other.candidate_id,
            careers_token=self.careers_token or other.careers_token,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.user_id or self.email or self.candidate_id or self.careers_token)

    def describe(self) -> str:
        parts = []
        if self.user_id:
            parts.append(f"user #{self.user_id}")
        if self.candidate_id:
            parts.append(f"candidate #{self.candidate_id}")
        if self.email:
            parts.append(self.email)
        if self.careers_token:
            parts.append("a career self-assessment link")
        return ", ".join(parts) or "nobody"


@dataclass
class Table:
    """Rows of one table for the bundle: one CSV each, and a list in the JSON."""

    name: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    @classmethod
    def from_queryset(cls, name: str, queryset: Any, columns: Iterable[str]) -> Table:
        names = list(columns)
        return cls(name, names, [list(row) for row in queryset.values_list(*names)])


@dataclass(frozen=True)
class Retained:
    """Rows kept (in part) after an erasure: which fields, why, until when."""

    table: str
    ids: tuple[Any, ...]
    fields: tuple[str, ...]
    reason: str
    until: datetime.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "count": len(self.ids),
            "fields": list(self.fields),
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class Obligation:
    """Something still open about the person that keeps records beyond the erasure."""

    table: str
    object_id: Any
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "id": self.object_id, "description": self.description}


@dataclass(frozen=True)
class Due:
    """A person whose data a retention rule says is due (or, for re-consent, soon due)."""

    subject: Subject
    category: str
    country: str
    last_activity: datetime.date
    due_on: datetime.date
    label: str  # "candidate #12" (no name: the report is kept and shown to staff)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.label,
            "category": self.category,
            "country": self.country,
            "last_activity": self.last_activity.isoformat(),
            "due_on": self.due_on.isoformat(),
        }


# days_for(category, country) -> the retention rule's days (the country's, else default).
DaysFor = Any


class PersonalDataHandler:
    """Base of every app's handler: empty answers, so an app overrides what it holds."""

    app = ""
    # {table label: field names holding personal data}: erasure also replaces these
    # fields' before/after values in the audit events about the table's rows (a value
    # changed long ago is no longer in the row, but may be in the log).
    personal_fields: dict[str, frozenset[str]] = {}

    def identify(self, subject: Subject) -> Subject:
        return subject

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        return {}

    def export(self, subject: Subject) -> list[Table]:
        return []

    def personal_values(self, subject: Subject) -> set[str]:
        return set()

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        return {}

    def retained(self, subject: Subject) -> list[Retained]:
        return []

    def obligations(self, subject: Subject) -> list[Obligation]:
        return []

    def retention_due(self, days_for: DaysFor, today: datetime.date) -> list[Due]:
        """People whose rows this app's retention rules say to anonymise by `today`."""
        return []

    def reconsent_due(self, days_for: DaysFor, today: datetime.date, window_days: int) -> list[Due]:
        """People whose consent-based retention ends within `window_days`: ask them again."""
        return []


_handlers: dict[str, PersonalDataHandler] = {}


def register(handler: PersonalDataHandler) -> None:
    """Add an app's handler (from its AppConfig.ready()). One per app; registering the
    same app again replaces it (ready() can run twice in tests)."""
    if not handler.app:
        raise ValueError("a personal-data handler names its app")
    _handlers[handler.app] = handler


def unregister(app: str) -> None:
    """Remove an app's handler (tests that register a stand-in)."""
    _handlers.pop(app, None)


def handlers() -> list[PersonalDataHandler]:
    return list(_handlers.values())


def registered_apps() -> list[str]:
    return list(_handlers)


def identify(subject: Subject) -> Subject:
    """`subject` with every id any handler can add: twice round, since one app's id (a
    candidate's user) lets another find more (that user's e-mail)."""
    for _ in range(2):
        for handler in handlers():
            subject = subject.merged(handler.identify(subject))
    return subject


def find(subject: Subject) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for handler in handlers():
        for table, ids in handler.find(subject).items():
            if ids:
                found.setdefault(table, []).extend(ids)
    return found


def personal_values(subject: Subject) -> set[str]:
    values: set[str] = set()
    for handler in handlers():
        values |= {v for v in handler.personal_values(subject) if v and len(v.strip()) >= 3}
    return values


def personal_fields() -> dict[str, frozenset[str]]:
    merged: dict[str, frozenset[str]] = {}
    for handler in handlers():
        for table, names in handler.personal_fields.items():
            merged[table] = merged.get(table, frozenset()) | names
    return merged


def retained(subject: Subject) -> list[Retained]:
    return [item for handler in handlers() for item in handler.retained(subject)]


def obligations(subject: Subject) -> list[Obligation]:
    return [item for handler in handlers() for item in handler.obligations(subject)]


def retained_ids(subject: Subject, table: str) -> list[Any]:
    """Ids of `table` that any app says must be kept (in part): how one app's legal hold
    (an invoice naming a member) reaches the app that owns the row."""
    return [pk for item in retained(subject) if item.table == table for pk in item.ids]


def bao_until(day: datetime.date) -> datetime.date:
    """The end of the Austrian BAO § 132 retention of a record dated `day`: seven years
    from the end of its calendar year."""
    return datetime.date(day.year + 7, 12, 31)


def scrub(value: Any, personal: set[str]) -> Any:
    """`value` (JSON-like) with every string holding a personal value replaced by ERASED."""
    if isinstance(value, str):
        lowered = value.lower()
        return ERASED if any(p.lower() in lowered for p in personal) else value
    if isinstance(value, dict):
        return {k: scrub(v, personal) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, personal) for v in value]
    return value
