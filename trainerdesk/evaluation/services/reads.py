"""What an evaluation reads, in SQL: per item its reference (final label or gold), each
version's latest prediction and its slice values, as NumPy arrays.

The first version read every item through `workbench.services.export_records` and decoded
every annotation, prediction and item data as JSON in Python: 8 s for 100,000 items
against a target of 5 s for 1,000,000. Here the database extracts the one field of each
answer (the technique of the agreement report's `_sql_parts`), one query per page of
items for each of items, annotations and predictions (keyset on the item id, or an IN
list of the split's ids). Python sees each value as its JSON text (SQLite's `->`,
PostgreSQL's `-> ... ::text`; NULL when the key is absent), decoded once per distinct
text. SQLite parses a document once per JSON function call in the query, so each value
is read by one `->`; the text's words are counted by SQLite where it can do so exactly
(`_words_sql`), else the text is split in Python.

Values are interned (`Values`): the same canonical JSON (the final-label rule's vote key,
`quality.review._key`) is one value id, so the majority vote is a count of (item, value
id) pairs in NumPy and the rows are integer arrays.

The final label must stay the quality app's rule (`FinalLabeler`): plurality per field
over the non-skipped answers, no value on a tie, Dawid–Skene's labels over it when that
is the rule. What SQL cannot decide is read the old way, through `export_records` and
`FinalLabeler.final`, item by item ("fallback" items): under the reviewer rule an item
with a reviewed annotation, an answer that is not a JSON object; and every item when
the project's labeler is not the quality app's, or SQLite is older than 3.38 (no `->`).
`fast=False` reads every item that way (tests compare the two).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from django.db import connection

from trainerdesk.lib.lazy import lazy_module
from trainerdesk.quality.models import Review
from trainerdesk.quality.review import _key as vote_key
from trainerdesk.quality.services import FinalLabeler
from trainerdesk.workbench import extensions
from trainerdesk.workbench.models import Annotation, Item, Prediction, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import InvalidInput, export_records

if TYPE_CHECKING:
    import numpy as np
else:  # loaded when an evaluation first reads (lib/lazy.py: web processes never do)
    np = lazy_module("numpy")

PAGE = 5000
LENGTH_SLICE = "length"
# Words in the text: the length buckets' upper bounds (the last is open).
LENGTH_BUCKETS = ((20, "1-20 words"), (50, "21-50 words"), (200, "51-200 words"))
MISSING = "(missing)"
NO_VALUE = -1


def length_bucket(text: Any) -> str:
    if not isinstance(text, str):
        return "no text"
    return _bucket_of_count(len(text.split()))


def _bucket_of_count(words: int) -> str:
    for bound, name in LENGTH_BUCKETS:
        if words <= bound:
            return name
    return f"over {LENGTH_BUCKETS[-1][0]} words"


def label_problem(value: Any, fld: Field, where: str) -> str | None:
    labels = set(fld.label_values)
    values = value if isinstance(value, list) else [value]
    if fld.multiple and not isinstance(value, list):
        return f"{where}: must be a list of labels of {fld.name}"
    if not fld.multiple and isinstance(value, list):
        # (The first version let a list through here and then failed on it unexplained.)
        return f"{where}: must be one label of {fld.name}, not a list"
    for v in values:
        if v not in labels:
            return f"{where}: {v!r} is not a label of {fld.name} ({', '.join(fld.label_values)})"
    return None


def as_text(value: Any) -> str:
    """A reference or prediction in the items digest's lines."""
    return "|".join(sorted(value)) if isinstance(value, list) else str(value)


class Values:
    """Interned answer values of one field: id per canonical JSON, and per id the decoded
    value, whether it is a valid answer, its label code(s) and its digest text."""

    def __init__(self, fld: Field) -> None:
        self.field = fld
        self.index = {c: i for i, c in enumerate(fld.label_values)}
        self.by_key: dict[bytes, int] = {}
        # No value (the key is absent) is a negative id, so the vote is an array mask.
        self.by_tag: dict[Any, int] = {None: NO_VALUE}
        self.values: list[Any] = []
        self.valid: list[bool] = []
        self.codes: list[Any] = []  # int (single) or tuple of ints (multi-label)

    def of_value(self, value: Any) -> int:
        key = vote_key(value)
        vid = self.by_key.get(key)
        if vid is None:
            vid = self.by_key[key] = len(self.values)
            self.values.append(value)
            ok = label_problem(value, self.field, "") is None
            self.valid.append(ok)
            if not ok:
                self.codes.append(-1 if not self.field.multiple else ())
            elif self.field.multiple:
                self.codes.append(tuple(self.index[v] for v in value))
            else:
                self.codes.append(self.index[value])
        return vid

    def of_tag(self, tag: str) -> int:
        vid = self.by_tag.get(tag)
        if vid is None:
            value = orjson.loads(tag)
            vid = self.by_tag[tag] = self.of_value(value)
        return vid

    def ids(self, tags: list[Any]) -> np.ndarray:
        get, slow = self.by_tag.get, self.of_tag
        return np.fromiter(
            ((v if (v := get(t)) is not None else slow(t)) for t in tags),
            dtype=np.int64,
            count=len(tags),
        )

    def valid_array(self) -> np.ndarray:
        return np.asarray(self.valid, dtype=bool)

    def single_codes(self) -> np.ndarray:
        return np.asarray(self.codes, dtype=np.int64)

    def multi_matrix(self) -> np.ndarray:
        out = np.zeros((len(self.values), len(self.index)), dtype=bool)
        for vid, codes in enumerate(self.codes):
            out[vid, list(codes)] = True
        return out

    def texts(self) -> np.ndarray:
        return np.asarray([as_text(v) for v in self.values], dtype=object)


class SliceValues:
    """One slice key's values (the text shown) coded as small integers."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.code: dict[str, int] = {}

    def of(self, name: str) -> int:
        c = self.code.get(name)
        if c is None:
            c = self.code[name] = len(self.names)
            self.names.append(name)
        return c


@dataclass
class Rows:
    """One version's evaluated rows: item ids (ascending), reference and prediction value
    ids (into `values`), and per slice key each row's value code. `ids`, `truth`, `pred`
    and `keys` give the rows as plain Python values (each built on first use)."""

    values: Values
    slice_values: dict[str, SliceValues]
    id_array: np.ndarray
    t_vid: np.ndarray
    p_vid: np.ndarray
    slice_codes: dict[str, np.ndarray]
    left_out: int = 0
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.id_array)

    @property
    def ids(self) -> list[int]:
        return self.id_array.tolist()

    @property
    def truth(self) -> list[Any]:
        return [self.values.values[v] for v in self.t_vid.tolist()]

    @property
    def pred(self) -> list[Any]:
        return [self.values.values[v] for v in self.p_vid.tolist()]

    @property
    def keys(self) -> list[dict[str, str]]:
        names = {k: self.slice_values[k].names for k in self.slice_codes}
        cols = {k: c.tolist() for k, c in self.slice_codes.items()}
        return [{k: names[k][cols[k][i]] for k in cols} for i in range(len(self))]

    def codes(self):
        """(truth, prediction): label indices (N,), or N x K booleans for multi-label."""
        if "codes" not in self._cache:
            if self.values.field.multiple:
                table = self.values.multi_matrix()
            else:
                table = self.values.single_codes()
            self._cache["codes"] = (table[self.t_vid], table[self.p_vid])
        return self._cache["codes"]


class _Collector:
    """One version's rows as they are read, page by page (arrays appended)."""

    def __init__(self, slice_names: list[str]) -> None:
        self.ids: list[np.ndarray] = []
        self.t: list[np.ndarray] = []
        self.p: list[np.ndarray] = []
        self.slices: dict[str, list[np.ndarray]] = {s: [] for s in slice_names}
        self.left_out = 0

    def add(self, ids, t, p, slices: dict[str, Any]) -> None:
        self.ids.append(np.asarray(ids, dtype=np.int64))
        self.t.append(np.asarray(t, dtype=np.int64))
        self.p.append(np.asarray(p, dtype=np.int64))
        for name, codes in slices.items():
            self.slices[name].append(np.asarray(codes, dtype=np.int64))

    def rows(self, values: Values, slice_values: dict[str, SliceValues]) -> Rows:
        def cat(parts):
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        ids = cat(self.ids)
        order = np.argsort(ids, kind="stable")  # fallback items were added after their page
        return Rows(
            values=values,
            slice_values=slice_values,
            id_array=ids[order],
            t_vid=cat(self.t)[order],
            p_vid=cat(self.p)[order],
            slice_codes={k: cat(v)[order] for k, v in self.slices.items()},
            left_out=self.left_out,
        )


# --- SQL -------------------------------------------------------------------------------------


def _tag_sql(vendor: str, column: str, key: str) -> tuple[str, list[str]]:
    """The JSON text of `column`'s top-level `key` (NULL when absent): one parse."""
    if vendor == "sqlite":
        return f"{column} -> %s", [f'$."{key}"']
    return f"({column} -> %s::text)::text", [key]


def word_count(tag: str | None) -> int:
    """str.split()'s word count of the JSON string `tag` (-1: no string). Printable ASCII
    without an escape has only " " for whitespace, so single spaces and none at either
    end make it spaces + 1 with no decoding (C-level string methods; a million texts'
    decode and split were a third of the read). SQLite's replace() and length() on the
    text measured slower than this."""
    if tag is None or tag[0] != '"':
        return -1
    if tag.isascii() and "\\" not in tag and "  " not in tag and tag[1] != " " and tag[-2] != " ":
        return tag.count(" ") + 1 if len(tag) > 2 else 0
    return len(orjson.loads(tag).split())


def sql_safe(key: str | None) -> bool:
    """Whether `key` can be a SQLite JSON path segment ("...")."""
    return key is None or ('"' not in key and "\\" not in key)


def _in_or_range(column: str, project_col: str, ids: list[int] | None, first: int, last: int):
    if ids is not None:
        return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)
    return f"{column} BETWEEN %s AND %s AND +{project_col} = %s", [first, last]


@dataclass
class _Page:
    ids: np.ndarray
    gold: np.ndarray
    ref: list[Any]
    text: list[Any]
    slices: dict[str, list[Any]]


def _read_items(cursor, *, project, ref_key, only_labeled, ids, last, text_key, slices):
    """One page of items: ids, gold flags, and the JSON texts of the gold reference's
    `ref_key` (when given), of the text and of each slice key."""
    vendor = connection.vendor
    cols, params = ["id", "is_gold"], []
    wanted = [("reference", ref_key)] if ref_key else []
    wanted += [("data", text_key)] + [("data", key) for key in slices]
    for column, key in wanted:
        if key is None:
            cols.append("NULL")
            continue
        sql, p = _tag_sql(vendor, column, key)
        cols.append(sql)
        params += p
    where, wparams = "+project_id = %s", [project.pk]
    if ids is not None:
        where += f" AND id IN ({', '.join(['%s'] * len(ids))})"
        wparams += list(ids)
    else:
        where += " AND id > %s"
        wparams.append(last)
    if only_labeled:
        where += " AND done_count > 0"
    cursor.execute(
        f"SELECT {', '.join(cols)} FROM {Item._meta.db_table} WHERE {where} ORDER BY id LIMIT %s",
        [*params, *wparams, PAGE],
    )
    rows = cursor.fetchall()
    if not rows:
        return None
    columns = list(zip(*rows, strict=True))
    at = 3 if ref_key else 2
    return _Page(
        ids=np.asarray(columns[0], dtype=np.int64),
        gold=np.asarray(columns[1], dtype=bool),
        ref=list(columns[2]) if ref_key else [None] * len(rows),
        text=list(columns[at]),
        slices={s: list(columns[at + 1 + i]) for i, s in enumerate(slices)},
    )


# --- the read --------------------------------------------------------------------------------


def read_rows(
    *,
    project: Project,
    field: Field,
    version_names: list[str],
    scope: str,
    against: str,
    slices: list[str],
    split_ids: list[int] | None = None,
    on_progress=None,
    fast: bool = True,
) -> dict[str, Rows]:
    """{version name: Rows} over the items with a valid reference for `field` (scope
    "split": the items of `split_ids`; "all": the labelled items, or every item against
    gold); an item without a prediction of a version is left out of its rows (counted),
    and a prediction that is no label of the field raises InvalidInput naming it."""
    reader = _Reader(project, field, version_names, scope, against, slices, split_ids, fast)
    return reader.run(on_progress)


class _Reader:
    def __init__(self, project, fld, version_names, scope, against, slices, split_ids, fast):
        self.project, self.field, self.names = project, fld, list(version_names)
        self.gold_mode = against == "gold"
        self.split_ids = sorted(split_ids) if scope == "split" else None
        self.slice_keys = list(dict.fromkeys(slices))
        self.values = Values(fld)
        self.slice_values = {k: SliceValues() for k in [LENGTH_SLICE, *self.slice_keys]}
        self.out = {n: _Collector(list(self.slice_values)) for n in self.names}
        self.labeler = None if self.gold_mode else extensions.final_labeler(project)
        self.text_key = fld.source
        quality = isinstance(self.labeler, FinalLabeler) or self.gold_mode
        sqlite = connection.vendor == "sqlite"
        keys_ok = not sqlite or (
            sqlite3.sqlite_version_info >= (3, 38)
            and all(sql_safe(k) for k in [self.text_key, *self.slice_keys])
        )
        self.fast = fast and quality and keys_ok
        self.overrides: dict[int, Any] = {}
        self.by_reviewer = False
        if isinstance(self.labeler, FinalLabeler):
            self.by_reviewer = self.labeler.by_reviewer
            if self.labeler.ds:
                self.overrides = self.labeler.ds.get(fld.name, {})
        self.slice_cache: dict[str, dict[Any, int]] = {k: {} for k in self.slice_values}
        # (item id, version position, message): the first bad prediction in item order.
        self.problem: tuple[int, int, str] | None = None

    # -- driving

    def run(self, on_progress) -> dict[str, Rows]:
        project = self.project
        if self.split_ids is not None:
            total = len(self.split_ids) or 1
        elif self.gold_mode:
            total = project.items.count() or 1
        else:
            total = project.items.filter(done_count__gt=0).count() or 1
        seen, pages, last, at = 0, 0, 0, 0
        with connection.cursor() as cursor:
            while True:
                chosen = None
                if self.split_ids is not None:
                    chosen = self.split_ids[at : at + PAGE]
                    at += PAGE
                    if not chosen:
                        break
                if self.fast:
                    page = _read_items(
                        cursor, project=project,
                        ref_key=self.field.name if self.gold_mode else None,
                        only_labeled=not self.gold_mode, ids=chosen, last=last,
                        text_key=self.text_key, slices=self.slice_keys,
                    )  # fmt: skip
                    if page is None:
                        if chosen is None:
                            break
                        continue
                    last = int(page.ids[-1])
                    seen += self._fast_page(cursor, page, chosen)
                else:
                    ids = chosen
                    if ids is None:
                        ids = list(
                            project.items.filter(pk__gt=last, **self._labelled())
                            .order_by("pk")
                            .values_list("pk", flat=True)[:PAGE]
                        )
                        if not ids:
                            break
                        last = ids[-1]
                    seen += self._records(ids)
                pages += 1
                if on_progress and pages % 4 == 0:
                    on_progress(min(seen / total, 1.0))
                if self.problem:
                    break
        if self.problem:
            _pk, _v, message = self.problem
            raise InvalidInput([message])
        return {n: c.rows(self.values, self.slice_values) for n, c in self.out.items()}

    def _labelled(self) -> dict:
        return {} if self.gold_mode else {"done_count__gt": 0}

    def _note_problem(self, item_id: int, version: int, value: Any) -> None:
        name = self.names[version]
        message = label_problem(value, self.field, f"predictions[item {item_id}].{self.field.name}")
        candidate = (item_id, version, f"{message} (version {name!r})")
        if self.problem is None or candidate[:2] < self.problem[:2]:
            self.problem = candidate

    # -- slices

    def _slice_code(self, key: str, tag: Any) -> int:
        cache = self.slice_cache[key]
        code = cache.get(tag)
        if code is None:
            value = None if tag is None else orjson.loads(tag)
            name = MISSING if value is None else str(value)[:100]
            code = cache[tag] = self.slice_values[key].of(name)
        return code

    def _length_codes(self, tags: list[Any]) -> np.ndarray:
        """The length slice's codes of the texts' JSON (buckets by word count)."""
        words = np.fromiter(map(word_count, tags), dtype=np.int64, count=len(tags))
        names = [b[1] for b in LENGTH_BUCKETS] + [_bucket_of_count(LENGTH_BUCKETS[-1][0] + 1)]
        table = np.asarray([self.slice_values[LENGTH_SLICE].of(n) for n in names])
        bounds = np.asarray([b[0] for b in LENGTH_BUCKETS])
        codes = table[np.searchsorted(bounds, words, side="left")]
        if (words < 0).any():
            codes[words < 0] = self.slice_values[LENGTH_SLICE].of(length_bucket(None))
        return codes

    def _codes(self, key: str, tags: list[Any]) -> np.ndarray:
        """Slice value codes of a data key's tags (cached per distinct tag)."""
        cache = self.slice_cache[key]
        get = cache.get

        def slow(tag):
            return self._slice_code(key, tag)

        return np.fromiter(
            ((c if (c := get(t)) is not None else slow(t)) for t in tags),
            dtype=np.int64,
            count=len(tags),
        )

    # -- the fast page

    def _fast_page(self, cursor, page: _Page, chosen: list[int] | None) -> int:
        """Rows of one page of items read in SQL; the items SQL cannot decide go through
        _records(). Returns how many items the page had (for the progress)."""
        n = len(page.ids)
        first, last = int(page.ids[0]), int(page.ids[-1])
        fallback = np.zeros(n, dtype=bool)
        if self.gold_mode:
            record = np.ones(n, dtype=bool)
            truth = np.full(n, NO_VALUE, dtype=np.int64)
            for i in np.flatnonzero(page.gold).tolist():
                tag = page.ref[i]
                if tag is not None:
                    truth[i] = self.values.of_tag(tag)
        else:
            record, truth = self._finals(cursor, page, chosen, first, last, fallback)
        pred = self._predictions(cursor, page, chosen, first, last, fallback)
        fast = record & ~fallback
        valid = self.values.valid_array()
        has_truth = fast & (truth >= 0)
        has_truth[has_truth] = valid[truth[has_truth]]
        no_truth = int((fast & ~has_truth).sum())
        rows = np.flatnonzero(has_truth)
        every = len(rows) == n

        def picked(col: list[Any]) -> list[Any]:
            return col if every else [col[i] for i in rows.tolist()]

        slices = {}
        if LENGTH_SLICE not in self.slice_keys:  # else the data key of that name
            slices[LENGTH_SLICE] = self._length_codes(picked(page.text))
        for key in self.slice_keys:
            slices[key] = self._codes(key, picked(page.slices[key]))
        valid = self.values.valid_array()  # predictions may have added values
        for v, name in enumerate(self.names):
            collector = self.out[name]
            collector.left_out += no_truth
            p = pred[v][rows]
            present = p >= 0
            collector.left_out += int((~present).sum())
            bad = present.copy()
            bad[present] = ~valid[p[present]]
            if bad.any():
                i = int(rows[np.flatnonzero(bad)[0]])
                self._note_problem(int(page.ids[i]), v, self.values.values[int(pred[v][i])])
            keep = present & ~bad
            collector.add(
                page.ids[rows[keep]], truth[rows[keep]], p[keep],
                {k: c[keep] for k, c in slices.items()},
            )  # fmt: skip
        if fallback.any():
            self._records(page.ids[fallback].tolist())
        return int(record.sum())

    def _finals(self, cursor, page, chosen, first, last, fallback):
        """(is a record: has a non-skipped answer, final-label value id or -1) per item of
        the page, by the quality app's rule; sets `fallback` where SQL cannot decide."""
        n = len(page.ids)
        vendor = connection.vendor
        tag, params = _tag_sql(vendor, "a.answer", self.field.name)
        is_object = (
            # Django writes JSON without leading space: an object starts with "{" (an
            # answer written otherwise only goes the slow way; json_type would parse it).
            "substr(a.answer, 1, 1) = '{'"
            if vendor == "sqlite"
            else "jsonb_typeof(a.answer) = 'object'"
        )
        where, wparams = _in_or_range("a.item_id", "a.project_id", chosen, first, last)
        if chosen is None:
            wparams.append(self.project.pk)
        cursor.execute(
            f"SELECT a.item_id, {is_object}, {tag} FROM {Annotation._meta.db_table} a "
            f"WHERE {where} AND a.skipped = %s",
            [*params, *wparams, False],
        )
        got = cursor.fetchall()
        record = np.zeros(n, dtype=bool)
        truth = np.full(n, -1, dtype=np.int64)
        if not got:
            return record, truth
        item_ids, objects, tags = zip(*got, strict=True)
        item_arr = np.asarray(item_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(page.ids, item_arr), n - 1)
        mine = page.ids[pos] == item_arr
        record[pos[mine]] = True
        objects_arr = np.asarray(objects, dtype=bool)
        fallback[pos[mine & ~objects_arr]] = True
        all_vids = self.values.ids(list(tags))
        voting = mine & objects_arr & (all_vids >= 0)
        if self.by_reviewer:
            where, wparams = _in_or_range("r.item_id", "r.project_id", chosen, first, last)
            if chosen is None:
                wparams.append(self.project.pk)
            cursor.execute(
                f"SELECT DISTINCT r.item_id FROM {Review._meta.db_table} r WHERE {where} "
                "AND r.annotation_id IS NOT NULL",
                wparams,
            )
            reviewed = np.asarray([r[0] for r in cursor.fetchall()], dtype=np.int64)
            if len(reviewed):
                fallback |= np.isin(page.ids, reviewed)
        if voting.any():
            vp, vids = pos[voting], all_vids[voting]
            width = len(self.values.values)
            pairs, counts = np.unique(vp * width + vids, return_counts=True)
            item_of, vid_of = pairs // width, pairs % width
            # Plurality per item: the top count must be reached by exactly one value.
            top = np.zeros(n, dtype=np.int64)
            np.maximum.at(top, item_of, counts)
            at_top = counts == top[item_of]
            winners = np.bincount(item_of[at_top], minlength=n)
            single = at_top & (winners[item_of] == 1)
            truth[item_of[single]] = vid_of[single]
        if self.overrides:
            for i, pk in enumerate(page.ids.tolist()):
                if record[i] and pk in self.overrides:
                    truth[i] = self.values.of_value(self.overrides[pk])
        return record, truth

    def _predictions(self, cursor, page, chosen, first, last, fallback) -> list[np.ndarray]:
        """Per version, each item's latest prediction's value id (-1: none)."""
        n = len(page.ids)
        out = [np.full(n, -1, dtype=np.int64) for _ in self.names]
        tag, params = _tag_sql(connection.vendor, "p.answer", self.field.name)
        if chosen is not None:
            where = f"p.item_id IN ({', '.join(['%s'] * len(chosen))})"
            wparams: list[Any] = list(chosen)
            join = ""
        else:
            where = "p.item_id BETWEEN %s AND %s AND +i.project_id = %s"
            wparams = [first, last, self.project.pk]
            join = f"JOIN {Item._meta.db_table} i ON i.id = p.item_id "
        versions = ", ".join(["%s"] * len(self.names))
        cursor.execute(
            f"SELECT p.item_id, p.model_version, {tag} FROM {Prediction._meta.db_table} p "
            f"{join}WHERE {where} AND p.model_version IN ({versions}) ORDER BY p.id",
            [*params, *wparams, *self.names],
        )
        got = cursor.fetchall()
        if not got:
            return out
        item_ids, version_names, tags = zip(*got, strict=True)
        item_arr = np.asarray(item_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(page.ids, item_arr), n - 1)
        vids = self.values.ids(list(tags))
        # A prediction without the field does not count (the one before it does).
        mine = (page.ids[pos] == item_arr) & (vids != NO_VALUE)
        if len(self.names) == 1:
            vers = np.zeros(len(got), dtype=np.int64)
        else:
            version_of = {name: v for v, name in enumerate(self.names)}
            vers = np.fromiter(map(version_of.__getitem__, version_names), np.int64, len(got))
        for v in range(len(self.names)):
            sel = np.flatnonzero(mine & (vers == v))
            if not len(sel):
                continue
            # Rows come oldest first: the last one of an item counts.
            rev = sel[::-1]
            _u, first_of = np.unique(pos[rev], return_index=True)
            chosen_rows = rev[first_of]
            out[v][pos[chosen_rows]] = vids[chosen_rows]
        return out

    # -- the old way, item by item

    def _records(self, ids: list[int]) -> int:
        """The rows of these items read through export_records and the final labeler, as
        the first version of the evaluation did for every item."""
        fld, seen = self.field, 0
        for start in range(0, len(ids), PAGE):
            for record in export_records(
                project=self.project,
                only_labeled=not self.gold_mode,
                include_annotations=not self.gold_mode,
                include_final=False,
                chunk_size=PAGE,
                item_ids=ids[start : start + PAGE],
            ):
                seen += 1
                self._record(record, fld)
        return seen

    def _record(self, record: dict, fld: Field) -> None:
        if self.gold_mode:
            ref = (record["reference"] or {}) if self._is_gold(record) else {}
        else:
            ref = self.labeler.final(record["id"], record["annotations"]) if self.labeler else {}
            ref = ref or {}
        truth = ref.get(fld.name) if isinstance(ref, dict) else None
        if truth is None or label_problem(truth, fld, "reference") is not None:
            for c in self.out.values():
                c.left_out += 1
            return
        latest: dict[str, Any] = {}
        for p in record["predictions"]:  # oldest first: the last one counts
            answer = p["answer"]
            if p["model_version"] in self.out and isinstance(answer, dict) and fld.name in answer:
                latest[p["model_version"]] = answer[fld.name]
        data = record["data"] if isinstance(record["data"], dict) else {}
        codes = {LENGTH_SLICE: self.slice_values[LENGTH_SLICE].of(length_bucket(
            data.get(self.text_key)
        ))}  # fmt: skip
        for s in self.slice_keys:
            value = data.get(s)
            codes[s] = self.slice_values[s].of(MISSING if value is None else str(value)[:100])
        t = self.values.of_value(truth)
        for v, name in enumerate(self.names):
            if name not in latest:
                self.out[name].left_out += 1
                continue
            pid = self.values.of_value(latest[name])
            if not self.values.valid[pid]:
                self._note_problem(record["id"], v, latest[name])
                continue
            self.out[name].add([record["id"]], [t], [pid], {k: [c] for k, c in codes.items()})

    def _is_gold(self, record: dict) -> bool:
        gold = self.__dict__.get("_gold")
        if gold is None:
            gold = self.__dict__["_gold"] = set(
                self.project.items.filter(is_gold=True).values_list("pk", flat=True)
            )
        return record["id"] in gold
