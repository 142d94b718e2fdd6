"""The data manager's filters: parse and validate the query string into a plain value.

Pure Python (no Django imports) so the rules are easy to test; the queries that apply a
filter are ItemQuerySet methods in models.py. Every error names the query parameter it
is about, so the page can say which filter is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from urllib.parse import urlencode

STATUSES = ("new", "in_progress", "done", "skipped")
GOLD = ("yes", "no")
SORTS = ("id", "-id", "priority", "-priority", "done_count")
PAGE_SIZE = 50
MAX_TEXT = 200
MAX_KEY = 2**63 - 1
# The table's columns the user may choose ("col" in the URL, repeated), plus data fields
# as "data.<key>". Shown in this order; data fields after them in the order chosen.
COLUMNS = {
    "external_id": "External ID",
    "text": "Text",
    "status": "Status",
    "answers": "Answers",
    "skips": "Skips",
    "final": "Final answer",
    "priority": "Priority",
    "assignee": "Assignee",
    "annotators": "Annotators",
    "created": "Created",
    "gold": "Gold",
}
DEFAULT_COLUMNS = ("external_id", "text", "status", "answers", "final", "priority", "assignee")
MAX_COLUMNS = 30
# Metadata keys: plain identifiers, so a key can never smuggle in an ORM lookup.
_META_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ItemFilter:
    status: str = ""
    label: str = ""
    annotator: str = ""
    created_from: date | None = None
    created_to: date | None = None
    meta_key: str = ""
    meta_value: str = ""
    q: str = ""
    assignee: str = ""
    gold: str = ""
    agreement_below: float | None = None  # items under this score in the latest report
    cols: tuple[str, ...] = ()
    sort: str = "id"
    after: int | None = None
    before: int | None = None

    @property
    def active(self) -> bool:
        """Whether any filter (not sort or paging) is set."""
        return any(
            (self.status, self.label, self.annotator, self.created_from, self.created_to)
        ) or bool(
            self.meta_key
            or self.q
            or self.assignee
            or self.gold
            or self.agreement_below is not None
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The chosen columns, or the default set."""
        return self.cols or DEFAULT_COLUMNS

    @property
    def data_columns(self) -> list[str]:
        return [c.removeprefix("data.") for c in self.columns if c.startswith("data.")]

    def query(self, **changes) -> str:
        """The canonical query string of this filter, with changes (e.g. a new cursor).
        Defaults are left out so shared links stay short."""
        value = replace(self, **changes)
        params = []
        for f in fields(value):
            current = getattr(value, f.name)
            if current in (None, "", ()) or (f.name == "sort" and current == "id"):
                continue
            if f.name == "cols":
                params.extend(("col", c) for c in current)
                continue
            params.append((f.name, current.isoformat() if isinstance(current, date) else current))
        return urlencode(params)


class FilterErrors(ValueError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def _text(params: Callable[[str], str], name: str, errors: list[str]) -> str:
    value = (params(name) or "").strip()
    if len(value) > MAX_TEXT:
        errors.append(f"{name}: at most {MAX_TEXT} characters, got {len(value)}")
        return ""
    if "\x00" in value:
        errors.append(f"{name}: contains a NUL character")
        return ""
    return value


def _date(params: Callable[[str], str], name: str, errors: list[str]) -> date | None:
    raw = (params(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{name}: {raw[:40]!r} is not a date (use YYYY-MM-DD)")
        return None


def _cursor(params: Callable[[str], str], name: str, errors: list[str]) -> int | None:
    raw = (params(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_KEY:
        errors.append(f"{name}: {raw[:40]!r} is not an item id")
        return None
    return int(raw)


def is_data_key(key: str) -> bool:
    """A data key usable in a URL filter or column: a plain identifier."""
    return bool(_META_KEY.match(key)) and "__" not in key


def _columns(getlist: Callable[[str], list[str]], errors: list[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for raw in getlist("col"):
        name = raw.strip()
        if not name:
            continue
        key = name.removeprefix("data.")
        valid = name in COLUMNS or (name.startswith("data.") and is_data_key(key))
        if not valid:
            errors.append(
                f"col: {name[:40]!r} is not a column (one of {', '.join(COLUMNS)}, "
                "or data.<key> for a data field)"
            )
        elif name not in chosen:
            chosen.append(name)
    if len(chosen) > MAX_COLUMNS:
        errors.append(f"col: at most {MAX_COLUMNS} columns, got {len(chosen)}")
    # Fixed columns in their fixed order, then data fields as chosen.
    fixed = [c for c in COLUMNS if c in chosen]
    return tuple(fixed + [c for c in chosen if c.startswith("data.")])


def parse_filters(
    params: Callable[[str], str | None],
    *,
    labels: Iterable[str] = (),
    getlist: Callable[[str], list[str]] | None = None,
) -> ItemFilter:
    """Read the filters from `params` (a lookup such as QueryDict.get, with `getlist`
    for the repeated "col"); raise FilterErrors listing every bad one. `labels` are the
    project's choice labels."""
    errors: list[str] = []
    status = _text(params, "status", errors)
    if status and status not in STATUSES:
        errors.append(f"status: {status[:40]!r} is not one of {', '.join(STATUSES)}")
    label = _text(params, "label", errors)
    allowed = list(labels)
    if label and label not in allowed:
        known = ", ".join(allowed) if allowed else "none (the project has no choice field)"
        errors.append(f"label: {label[:40]!r} is not a label of this project (labels: {known})")
    annotator = _text(params, "annotator", errors)
    assignee = _text(params, "assignee", errors)
    gold = _text(params, "gold", errors)
    if gold and gold not in GOLD:
        errors.append(f"gold: {gold[:40]!r} is not one of yes, no")
    if getlist is None:
        single = params("col")
        cols = _columns(lambda _name: [single] if single else [], errors)
    else:
        cols = _columns(getlist, errors)
    q = _text(params, "q", errors)
    if q:
        try:
            parse_search(q)
        except SearchSyntaxError as exc:
            errors.append(f"q: {exc}")
    created_from = _date(params, "created_from", errors)
    created_to = _date(params, "created_to", errors)
    if created_from and created_to and created_from > created_to:
        errors.append("created_to: is before created_from")
    meta_key = _text(params, "meta_key", errors)
    meta_value = _text(params, "meta_value", errors)
    if meta_key and (not _META_KEY.match(meta_key) or "__" in meta_key):
        errors.append(
            f"meta_key: {meta_key[:40]!r} is not a metadata key (letters, digits, _ and -, "
            "starting with a letter, no double underscore, at most 64 characters)"
        )
    if meta_value and not meta_key:
        errors.append("meta_key: required when meta_value is given")
    sort = _text(params, "sort", errors) or "id"
    if sort not in SORTS:
        errors.append(f"sort: {sort[:40]!r} is not one of {', '.join(SORTS)}")
    after = _cursor(params, "after", errors)
    before = _cursor(params, "before", errors)
    if after is not None and before is not None:
        errors.append("before: give either after or before, not both")
    agreement_below = _agreement_below(params, errors)
    if errors:
        raise FilterErrors(errors)
    return ItemFilter(
        agreement_below=agreement_below,
        status=status,
        label=label,
        annotator=annotator,
        created_from=created_from,
        created_to=created_to,
        meta_key=meta_key,
        meta_value=meta_value,
        q=q,
        assignee=assignee,
        gold=gold,
        cols=cols,
        sort=sort,
        after=after,
        before=before,
    )


def _agreement_below(params: Callable[[str], str | None], errors: list[str]) -> float | None:
    raw = _text(params, "agreement_below", errors)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        errors.append(f"agreement_below: must be a number from 0 to 1, got {raw[:20]!r}")
        return None
    return value


def parse_meta_value(raw: str) -> list:
    """The JSON values a metadata filter matches: the text itself, and the number or
    boolean it spells (data imported from JSON keeps its types)."""
    values: list = [raw]
    if raw in ("true", "false"):
        values.append(raw == "true")
    else:
        try:
            values.append(int(raw))
        except ValueError:
            try:
                number = float(raw)
            except ValueError:
                pass
            else:
                if number == number and abs(number) != float("inf"):
                    values.append(number)
    return values


# --- full-text query syntax ------------------------------------------------------------------
# Words (all must match), "quoted phrases" and prefix* words, turned into the query
# language of SQLite FTS5 or PostgreSQL's to_tsquery. Both are built from tokens of
# letters and digits only, so nothing a user types can reach either query language as
# syntax (FTS5 would otherwise raise on stray quotes, colons or NEAR, PostgreSQL on `&`).

MAX_TERMS = 16
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchTerm:
    words: tuple[str, ...]  # one word, or the words of a phrase in order
    prefix: bool = False  # the last word is a prefix


class SearchSyntaxError(ValueError):
    pass


def parse_search(text: str) -> list[SearchTerm]:
    """Parse the free-text filter; raise SearchSyntaxError saying what is wrong."""
    terms: list[SearchTerm] = []
    rest = text.strip()
    if rest.count('"') % 2:
        raise SearchSyntaxError('a quote (") is not closed')
    for index, part in enumerate(rest.split('"')):
        if index % 2:  # inside quotes: a phrase
            words = tuple(w.lower() for w in _TOKEN.findall(part))
            if "*" in part:
                raise SearchSyntaxError(f'"{part}": * works on single words, not in phrases')
            if not words:
                raise SearchSyntaxError('"": an empty phrase has nothing to search for')
            terms.append(SearchTerm(words))
            continue
        for raw in part.split():
            prefix = raw.endswith("*")
            body = raw[:-1] if prefix else raw
            if "*" in body:
                raise SearchSyntaxError(f"{raw}: * may only end a word (as in shar*)")
            words = tuple(w.lower() for w in _TOKEN.findall(body))
            if not words:
                if prefix:
                    raise SearchSyntaxError(f"{raw}: * needs at least one letter before it")
                continue  # punctuation only
            terms.append(SearchTerm(words, prefix))
    if not terms:
        raise SearchSyntaxError("no words to search for")
    if len(terms) > MAX_TERMS:
        raise SearchSyntaxError(f"at most {MAX_TERMS} words or phrases, got {len(terms)}")
    return terms


def fts5_query(terms: list[SearchTerm]) -> str:
    """SQLite FTS5: each term a quoted string (a phrase when it has several words),
    space-separated terms are ANDed."""
    return " ".join(f'"{" ".join(t.words)}"' + ("*" if t.prefix else "") for t in terms)


def tsquery(terms: list[SearchTerm]) -> str:
    """PostgreSQL to_tsquery: phrases with <->, prefixes with :*, terms joined by &."""
    parts = []
    for t in terms:
        words = [f"'{w}'" for w in t.words]
        if t.prefix:
            words[-1] += ":*"
        parts.append(words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")")
    return " & ".join(parts)
