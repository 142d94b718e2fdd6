"""A project's agreement report from its non-skipped annotations: the per-field figures
(percent agreement, Krippendorff's alpha at the field's level, Fleiss' kappa, Cohen's kappa
per annotator pair, per label, per item), the confusion of answers with reference answers,
each annotator's accuracy on reference items and weekly agreement with the majority.

Pure Python + NumPy, no Django: the service feeds it annotations page by page
(`ReportBuilder.add`) and stores what `finish()` returns. Every number comes from
quality.agreement / quality.metrics; this module only codes the answers and arranges the
results as JSON (None with a reason where a metric is undefined, never NaN).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from trainerdesk.quality import metrics
from trainerdesk.quality.agreement import Ratings

SUPPORTED = ("choice", "pairwise", "rating", "spans", "boxes")

# Krippendorff's alpha level and Cohen's kappa weights per field type unless the report's
# parameters choose others: labels are names (nominal, unweighted), a preference is an
# order (0 < tie < 1, or the signed strength scale), and rating scores are ordinal with
# quadratic weights, the usual kappa for ordinal rating scales.
DEFAULT_LEVEL = {"choice": "nominal", "pairwise": "ordinal", "rating": "ordinal"}
DEFAULT_WEIGHTS = {"choice": None, "pairwise": "linear", "rating": "quadratic"}
WEIGHT_NAMES = {None: "none", "linear": "linear", "quadratic": "quadratic"}

# Marks a string in add_choice_columns()' values (the database's extraction of a field).
CHOICE_TEXT = "s"

# One field's results, and {item (or (item, response)): (its agreement score, annotations)}.
_FieldResult = tuple[dict[str, Any], dict[Any, tuple[float, int]]]


@dataclass(frozen=True)
class FieldSpec:
    """What the report needs of a schema field (built from workbench.schema.Field)."""

    name: str
    type: str
    multiple: bool = False
    labels: tuple = ()
    criteria: tuple = ()  # (name, min, max)
    strength: bool = False
    per_response: bool = False  # rating: one set of scores per response (a list)
    level: str = ""  # alpha level; "" = DEFAULT_LEVEL of the type
    weights: str | None = ""  # pair kappa weights; "" = DEFAULT_WEIGHTS of the type

    @property
    def coded(self) -> bool:
        """Coded into one category per annotation (the fields with a level and weights)."""
        return self.type in ("pairwise", "rating") or (self.type == "choice" and not self.multiple)

    @property
    def alpha_level(self) -> str:
        return self.level or DEFAULT_LEVEL.get(self.type, "")

    @property
    def kappa_weights(self) -> str | None:
        return DEFAULT_WEIGHTS.get(self.type) if self.weights == "" else self.weights

    def levels(self) -> tuple[str, ...]:
        """The alpha levels this field's answers allow: interval and ratio need numbers
        (ratio: none negative), which rating scores are, labels only if every label is a
        number, and a preference only on the signed strength scale (interval)."""
        if not self.coded:
            return ()
        if self.type == "rating":
            ratio = all(lo >= 0 for _c, lo, _hi in self.criteria)
            return ("ordinal", "interval", "ratio") if ratio else ("ordinal", "interval")
        if self.type == "pairwise":
            return ("ordinal", "interval") if self.strength else ("nominal", "ordinal")
        numbers = [n for n in map(_number, self.labels) if n is not None]
        if self.labels and len(numbers) == len(self.labels):
            both = ("interval", "ratio") if min(numbers) >= 0 else ("interval",)
            return ("nominal", "ordinal", *both)
        return ("nominal", "ordinal")


def _number(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def check_options(specs: list[FieldSpec], levels: Mapping, weights: Mapping) -> list[str]:
    """Problems with a report's chosen levels ({field: level}) and kappa weights ({field:
    "none" | "linear" | "quadratic"}), one line per field, naming what it allows."""
    by_name = {s.name: s for s in specs}
    errors = []
    for kind, chosen in (("levels", levels), ("kappa_weights", weights)):
        for name, value in chosen.items():
            spec = by_name.get(name)
            if spec is None or not spec.coded:
                coded = ", ".join(s.name for s in specs if s.coded) or "none"
                errors.append(
                    f"{kind}.{name}: not a field with a level and kappa weights (those are: "
                    f"{coded})"
                )
            elif kind == "levels" and value not in spec.levels():
                errors.append(
                    f"levels.{name}: {value!r} does not fit a {spec.type} field's answers; "
                    f"choose {' or '.join(spec.levels())}"
                )
            elif kind == "kappa_weights" and value not in WEIGHT_NAMES.values():
                errors.append(f"kappa_weights.{name}: {value!r} is not none, linear or quadratic")
    return errors


def with_options(specs: list[FieldSpec], levels: Mapping, weights: Mapping) -> list[FieldSpec]:
    """The specs with the chosen levels and weights (checked with check_options)."""
    from dataclasses import replace

    out = []
    for s in specs:
        if s.name in levels:
            s = replace(s, level=levels[s.name])
        if s.name in weights:
            s = replace(s, weights=None if weights[s.name] == "none" else weights[s.name])
        out.append(s)
    return out


def week_of(at: datetime | date | str) -> str:
    """ISO date of the Monday starting the week of `at` (a UTC datetime, a date or an ISO
    day "YYYY-MM-DD")."""
    d = date.fromisoformat(at[:10]) if isinstance(at, str) else at
    d = d.date() if isinstance(d, datetime) else d
    return (d - timedelta(days=d.weekday())).isoformat()


@dataclass
class _Coded:
    """Single-valued codes per (item, annotator), appended in arrays (1M rows stay small)."""

    categories: tuple
    index: dict = field(default_factory=dict)
    item: array = field(default_factory=lambda: array("q"))
    rater: array = field(default_factory=lambda: array("q"))
    code: array = field(default_factory=lambda: array("q"))
    week: array = field(default_factory=lambda: array("q"))

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.categories)}

    def add(self, item: int, rater: int, value: Any, week: int) -> bool:
        """False when the value is not one of the categories (left out, and counted by the
        caller: a label no longer in the schema, a score outside the scale)."""
        try:
            c = self.index.get(value)
        except TypeError:  # unhashable (a list or object where a label belongs)
            c = None
        if c is None or isinstance(value, bool) != isinstance(self.categories[c], bool):
            return False  # True == 1: a boolean is not the score 1
        self.item.append(item)
        self.rater.append(rater)
        self.code.append(c)
        self.week.append(week)
        return True

    def extend(
        self, item: np.ndarray, rater: np.ndarray, code: np.ndarray, week: np.ndarray
    ) -> None:
        """Many add()s at once, of codes already checked against the categories."""
        for arr, values in ((self.item, item), (self.rater, rater), (self.code, code),
                            (self.week, week)):  # fmt: skip
            arr.frombytes(values.astype(np.int64).tobytes())

    def ratings(self, n_items: int, rater_ids: tuple) -> tuple[Ratings, np.ndarray]:
        item = np.frombuffer(self.item, dtype=np.int64)
        rater = np.frombuffer(self.rater, dtype=np.int64)
        code = np.frombuffer(self.code, dtype=np.int64)
        week = np.frombuffer(self.week, dtype=np.int64)
        # Imported annotators may appear twice on an item: keep the last answer read.
        key = item * max(len(rater_ids), 1) + rater
        _, last = np.unique(key[::-1], return_index=True)
        keep = np.sort(key.size - 1 - last)
        r = Ratings.from_arrays(
            item[keep],
            rater[keep],
            code[keep],
            categories=self.categories,
            n_items=n_items,
            n_raters=len(rater_ids),
            rater_ids=rater_ids,
        )
        return r, week[keep]


class ReportBuilder:
    """Feed the items' reference answers with add_reference() first, then the annotations
    (item id, annotator, answer, created_at) with add(), then call finish()."""

    def __init__(
        self, fields: list[FieldSpec], *, box_threshold: float = 0.5, dawid_skene: bool = False
    ) -> None:
        self.fields = [f for f in fields if f.type in SUPPORTED]
        self.unsupported = [f for f in fields if f.type not in SUPPORTED]
        self.box_threshold = box_threshold
        self.dawid_skene = dawid_skene  # the project's final labels come from Dawid–Skene
        # Answers left out because they do not fit the schema: field -> reason -> count.
        self.dropped: dict[str, dict[str, int]] = {f.name: {} for f in fields}
        self.not_objects = 0  # whole answers that are not an object of fields
        # Per-response ratings: each (item id, response index) is a unit of its own.
        self.units: dict[str, dict[tuple[int, int], int]] = {}
        self.items: dict[int, int] = {}
        self.raters: dict[str, int] = {}
        self.weeks: dict[str, int] = {}
        self.day_week: dict[str, int] = {}
        self.n_annotations = 0
        self.coded: dict[str, _Coded] = {}
        self.rows: dict[str, list] = {}  # spans, boxes, multi-label: (item, rater, value)
        self.answers: dict[int, list] = {}  # item index -> [(rater, answer)] for references
        self.references: dict[int, Mapping] = {}
        self.weekly: dict[str, dict[str, list[int]]] = {}  # annotator -> week -> [agree, n]
        for f in self.fields:
            if f.type == "choice" and not f.multiple:
                self.coded[f.name] = _Coded(f.labels)
            elif f.type == "pairwise":
                cats = metrics.STRENGTH_CATEGORIES if f.strength else metrics.PREFERENCE_CATEGORIES
                self.coded[f.name] = _Coded(cats)
            elif f.type == "rating":
                for c, lo, hi in f.criteria:
                    self.coded[f"{f.name}.{c}"] = _Coded(tuple(range(lo, hi + 1)))
                if f.per_response:
                    self.units[f.name] = {}
            else:
                self.rows[f.name] = []

    def _drop(self, name: str, reason: str) -> None:
        slot = self.dropped[name]
        slot[reason] = slot.get(reason, 0) + 1

    def _add_scores(self, f: FieldSpec, unit: int, r: int, scores: Any, w: int) -> None:
        if not isinstance(scores, Mapping):
            self._drop(f.name, "not an object of criterion scores")
            return
        for c, lo, hi in f.criteria:
            value = scores.get(c)
            if value is not None and not self.coded[f"{f.name}.{c}"].add(unit, r, value, w):
                self._drop(f.name, f"{c}: not a whole score in {lo}..{hi}")

    def add_reference(self, item_id: int, reference: Any) -> None:
        if isinstance(reference, Mapping) and reference:
            self.references[item_id] = reference

    def add(self, item_id: int, annotator: str, answer: Any, day: str) -> None:
        """day: the UTC day the annotation was made, "YYYY-MM-DD" (for the weekly trend)."""
        if not isinstance(answer, Mapping):
            self.not_objects += 1
            return
        self.n_annotations += 1
        i = self.items.setdefault(item_id, len(self.items))
        r = self.raters.setdefault(annotator, len(self.raters))
        w = self.day_week.get(day)
        if w is None:  # days are few: map each to its week's index once
            w = self._week_index(day)
        if item_id in self.references:  # add references first: only those answers are kept
            self.answers.setdefault(item_id, []).append((r, answer, w))
        for f in self.fields:
            value = answer.get(f.name)
            if value is None:
                continue
            if f.type == "choice" and not f.multiple:
                if not self.coded[f.name].add(i, r, value, w):
                    self._drop(f.name, "not one of the schema's labels")
            elif f.type == "pairwise":
                try:
                    code = metrics.preference_code(value, strength=f.strength)
                except (ValueError, TypeError, AttributeError):
                    code = None
                if code is None or not self.coded[f.name].add(i, r, code, w):
                    self._drop(f.name, "not a preference (preferred 0, 1 or tie; strength 1..3)")
            elif f.type == "rating" and f.per_response:
                if not isinstance(value, list):
                    self._drop(f.name, "not a list of ratings, one per response")
                    continue
                units = self.units[f.name]
                for n, scores in enumerate(value):
                    unit = units.setdefault((item_id, n), len(units))
                    self._add_scores(f, unit, r, scores, w)
            elif f.type == "rating":
                self._add_scores(f, i, r, value, w)
            elif not isinstance(value, list):  # spans, boxes, multi-label choice
                self._drop(f.name, "not a list")
            else:
                if f.type == "choice" and any(_not_label(v, f.labels) for v in value):
                    self._drop(f.name, "labels not in the schema (left out of the answer)")
                self.rows[f.name].append((item_id, annotator, value))

    def choice_fields(self) -> tuple[str, ...]:
        """The fields' names when every supported field is a single choice (the case
        add_choice_columns() takes), else ()."""
        if self.fields and all(f.type == "choice" and not f.multiple for f in self.fields):
            return tuple(f.name for f in self.fields)
        return ()

    def add_choice_columns(
        self, item_ids: Sequence[int], annotators: Sequence[str], days: Sequence[str],
        objects: Sequence[Any], values: Sequence[Sequence[str | None]],
    ) -> None:  # fmt: skip
        """add() for a page of annotations by columns, when choice_fields() is set: per
        annotation whether its answer is an object, and per field (choice_fields order) its
        value as CHOICE_TEXT + the string, None when absent or null, or anything not
        starting with CHOICE_TEXT when it is not a string. The database extracts those, so
        no answer is decoded in Python; the references' answers come by
        add_reference_answers(). The same codes, drops and order as add()."""
        if not all(objects):
            self.not_objects += sum(1 for o in objects if not o)
            keep = [n for n, o in enumerate(objects) if o]
            item_ids = [item_ids[n] for n in keep]
            annotators = [annotators[n] for n in keep]
            days = [days[n] for n in keep]
            values = [[col[n] for n in keep] for col in values]
        if not item_ids:
            return
        self.n_annotations += len(item_ids)
        items, raters = self.items, self.raters
        item = np.array([items.setdefault(x, len(items)) for x in item_ids], dtype=np.int64)
        rater = np.array([raters.setdefault(a, len(raters)) for a in annotators], dtype=np.int64)
        dw = self.day_week
        week = np.array([dw[d] if d in dw else self._week_index(d) for d in days], dtype=np.int64)
        for f, column in zip(self.fields, values, strict=True):
            coded = self.coded[f.name]
            index = {CHOICE_TEXT + c: n for c, n in coded.index.items()}
            code = np.array([-2 if v is None else index.get(v, -1) for v in column], np.int64)
            kept = code >= 0
            bad = int(np.count_nonzero(code == -1))
            if bad:
                slot = self.dropped[f.name]
                reason = "not one of the schema's labels"
                slot[reason] = slot.get(reason, 0) + bad
            coded.extend(item[kept], rater[kept], code[kept], week[kept])

    def add_reference_answers(self, rows: Iterable[tuple[int, str, Any, str]]) -> None:
        """The answers on reference items (item id, annotator, answer, day) in annotation
        order, after add_choice_columns() read them all."""
        for item_id, annotator, answer, day in rows:
            if item_id in self.references and isinstance(answer, Mapping):
                r = self.raters.setdefault(annotator, len(self.raters))
                w = self.day_week.get(day)
                w = self._week_index(day) if w is None else w
                self.answers.setdefault(item_id, []).append((r, answer, w))

    def _week_index(self, day: str) -> int:
        w = self.day_week[day] = self.weeks.setdefault(week_of(day), len(self.weeks))
        return w

    # --- results ---------------------------------------------------------------------------

    def finish(self) -> dict:
        rater_ids = tuple(self.raters)
        item_ids = tuple(self.items)
        out: dict[str, Any] = {"fields": {}, "annotators": {}, "weeks": {}}
        per_item: dict[str, dict[int, tuple[float, int]]] = {}
        for f in self.fields:
            if f.type in ("choice", "pairwise") and not f.multiple:
                res, items = self._coded_field(f.name, f, rater_ids, item_ids)
            elif f.type == "rating":
                res, items = self._rating(f, rater_ids, item_ids)
            elif f.type == "choice":
                res, items = self._multi_label(f)
            else:
                res, items = self._structured(f)
            if f.coded:
                res["kappa_weights"] = WEIGHT_NAMES[f.kappa_weights]
            out["fields"][f.name] = res | {"dropped": self._dropped(f.name)}
            per_item[f.name] = items
        for f in self.unsupported:
            out["fields"][f.name] = {
                "type": f.type,
                "reason": f"not supported: no agreement measure for {f.type} fields yet",
            }
        out["answers_not_objects"] = self.not_objects
        out["reference"] = self._reference_accuracy(rater_ids)
        out["item_count"] = len(self.items)
        out["annotation_count"] = self.n_annotations
        out["annotator_names"] = list(rater_ids)
        return {"results": out, "per_item": per_item}

    def _dropped(self, name: str) -> dict:
        reasons = self.dropped.get(name, {})
        return {"count": sum(reasons.values()), "reasons": dict(sorted(reasons.items()))}

    def _rating(self, f: FieldSpec, rater_ids: tuple, item_ids: tuple) -> _FieldResult:
        res: dict[str, Any] = {"type": "rating", "criteria": {}}
        units = tuple(self.units[f.name]) if f.per_response else item_ids
        if f.per_response:
            res["per_response"] = True
            res["unit"] = "one response of an item (each response's scores are compared)"
        items: dict[Any, tuple[float, int]] = {}
        for c, _lo, _hi in f.criteria:
            sub, sub_items = self._coded_field(f"{f.name}.{c}", f, rater_ids, units)
            res["criteria"][c] = sub
            for k, v in sub_items.items():  # an item's score: its lowest criterion (response)
                k = k[0] if f.per_response else k
                items[k] = min(items.get(k, v), v, key=lambda x: x[0])
        return res, items

    def _coded_field(
        self, key: str, f: FieldSpec, rater_ids: tuple, item_ids: tuple
    ) -> _FieldResult:
        r, week = self.coded[key].ratings(len(item_ids), rater_ids)
        level = f.alpha_level
        res: dict[str, Any] = {
            "type": f.type,
            "level": level,
            "categories": [str(c) for c in r.categories],
            "n_values": len(r),
            "percent_agreement": metrics.percent_agreement(r).as_dict(),
            "alpha": metrics.krippendorff_alpha(r, level).as_dict(),
            "fleiss_kappa": metrics.fleiss_kappa(r).as_dict(),
        }
        # The same data at the other levels it allows, for comparison: scales only (an
        # ordinal alpha of topic labels in schema order would mean nothing).
        scale = f.type != "choice" or "interval" in f.levels()
        others = [lv for lv in f.levels() if lv not in (level, "nominal")] if scale else []
        if others:
            res["alpha_by_level"] = {lv: metrics.krippendorff_alpha(r, lv).as_dict()
                                     for lv in others}  # fmt: skip
        if f.type == "rating":  # kept under its own name: earlier reports carry it
            res["alpha_interval"] = metrics.krippendorff_alpha(r, "interval").as_dict()
        pm = metrics.pair_matrix(r, weights=f.kappa_weights)
        res["pairs"] = _pairs(pm)
        res["labels"] = [
            {
                "label": str(la.label),
                "n_values": la.n_values,
                "specific_agreement": la.specific_agreement,
                "alpha": la.alpha.as_dict(),
            }
            for la in metrics.per_label(r)
        ]
        pi = metrics.per_item(r)
        items = {
            item_ids[i]: (float(pi.pair_share[i]), int(pi.n_annotations[i]))
            for i in np.flatnonzero(pi.pairable)
        }
        # Each annotator's agreement with the majority of the others, per week.
        counts = r.counts()
        if len(r):
            rows = np.arange(len(r))
            others = counts[r.item]  # a copy: one row per annotation
            others[rows, r.code] -= 1.0
            has_peer = others.sum(axis=1) > 0
            # Agreeing with the majority: this answer is (one of) the others' most common.
            agree = others[rows, r.code] >= others.max(axis=1)
            self._weekly(key, r.rater[has_peer], week[has_peer], agree[has_peer], rater_ids)
        if f.type == "choice" and self.references:
            res["confusion_reference"] = self._confusion(f, r, item_ids)
        if f.type == "choice" and self.dawid_skene:
            res["dawid_skene"] = _dawid_skene(r)
        return res, items

    def _weekly(
        self, key: str, rater: np.ndarray, week: np.ndarray, agree: np.ndarray, rater_ids: tuple
    ) -> None:
        names = list(self.weeks)
        for rr, ww, ok in zip(rater.tolist(), week.tolist(), agree.tolist(), strict=True):
            slot = self.weekly.setdefault(rater_ids[rr], {}).setdefault(names[ww], [0, 0])
            slot[0] += int(ok)
            slot[1] += 1

    def _confusion(self, f: FieldSpec, r: Ratings, item_ids: tuple) -> dict:
        labels = list(r.categories)
        index = {c: i for i, c in enumerate(labels)}
        k = len(labels)
        m = np.zeros((k, k), dtype=np.int64)  # rows: reference, columns: annotators' answer
        for i, c in zip(r.item.tolist(), r.code.tolist(), strict=True):
            ref = self.references.get(item_ids[i], {}).get(f.name)
            if ref in index:
                m[index[ref], c] += 1
        return {"labels": [str(x) for x in labels], "matrix": m.tolist(), "n": int(m.sum())}

    def _multi_label(self, f: FieldSpec) -> _FieldResult:
        rows = self.rows[f.name]
        res: dict[str, Any] = {"type": "choice", "multiple": True, "level": "per-label binary"}
        if not rows:
            none = metrics.Result(None, "not enough data: no annotations").as_dict()
            res |= {"percent_agreement": none, "alpha": none, "fleiss_kappa": none}
            res |= {"pairs": [], "labels": [], "categories": list(f.labels), "n_values": 0}
            return res, {}
        rows = [(i, a, [v for v in s if v in f.labels]) for i, a, s in rows]
        sets, dist = metrics.set_ratings(rows)
        res["percent_agreement"] = metrics.percent_agreement(sets).as_dict()
        res["alpha"] = metrics.krippendorff_alpha(sets, distance=dist).as_dict()
        res["alpha_distance"] = "jaccard"
        res["fleiss_kappa"] = metrics.fleiss_kappa(sets).as_dict()
        res["pairs"] = _pairs(metrics.pair_matrix(sets))
        res["categories"] = list(f.labels)
        res["n_values"] = len(sets)
        labels = []
        for label, r in metrics.label_presence(rows, f.labels).items():
            labels.append(
                {
                    "label": label,
                    "n_values": int(r.code.sum()),
                    "specific_agreement": None,
                    "percent_agreement": metrics.percent_agreement(r).as_dict(),
                    "alpha": metrics.krippendorff_alpha(r).as_dict(),
                }
            )
        res["labels"] = labels
        counts: dict[Any, int] = {}
        for i, _a, _s in rows:
            counts[i] = counts.get(i, 0) + 1
        items = {i: (v, counts[i]) for i, v in metrics.item_jaccard(rows).items() if v is not None}
        return res, items

    def _structured(self, f: FieldSpec) -> _FieldResult:
        rows = self.rows[f.name]
        res: dict[str, Any] = {"type": f.type}
        counts: dict[Any, int] = {}
        for i, _a, _s in rows:
            counts[i] = counts.get(i, 0) + 1
        if f.type == "spans":
            exact = metrics.structured_agreement(rows, "spans", mode="exact")
            overlap = metrics.structured_agreement(rows, "spans", mode="overlap")
            res["span_f1_exact"] = exact.overall.as_dict()
            res["span_f1_overlap"] = overlap.overall.as_dict()
            res["pairs"] = _structured_pairs(exact, "f1_exact", overlap.f1, "f1_overlap")
            per = exact.per_item
        else:
            boxes = metrics.structured_agreement(rows, "boxes", threshold=self.box_threshold)
            res["box_f1"] = boxes.overall.as_dict()
            res["iou_threshold"] = self.box_threshold
            upper = [row[a + 1 :] for a, row in enumerate(boxes.mean_iou or [])]
            ious = [v for row in upper for v in row if v is not None]
            res["mean_iou"] = (
                {"value": float(np.mean(ious)), "reason": None, "n_pairs": len(ious)}
                if ious
                else {"value": None, "reason": "not enough data: no matched boxes", "n_pairs": 0}
            )
            res["pairs"] = _structured_pairs(boxes, "f1", boxes.mean_iou, "mean_iou")
            per = boxes.per_item
        items = {i: (v, counts[i]) for i, v in per.items() if v is not None}
        return res, items

    def _reference_accuracy(self, rater_ids: tuple) -> dict:
        """Per annotator: answers on items with a reference answer, and how many were right
        (metrics.score_answers over the fields the reference fills in)."""
        kinds = {f.name: f.type for f in self.fields}
        per: dict[str, list[int]] = {}
        weekly: dict[str, list[int]] = {}
        names = list(self.weeks)
        for item_id, ref in self.references.items():
            for r, answer, w in self.answers.get(item_id, ()):
                ok = metrics.score_answers(kinds, answer, ref).correct
                slot = per.setdefault(rater_ids[r], [0, 0])
                slot[0] += int(ok)
                slot[1] += 1
                wk = weekly.setdefault(names[w], [0, 0])
                wk[0] += int(ok)
                wk[1] += 1
        return {
            "items_with_reference": len(self.references),
            "per_annotator": {k: {"correct": v[0], "n": v[1]} for k, v in per.items()},
            "weekly": {k: {"correct": v[0], "n": v[1]} for k, v in sorted(weekly.items())},
            "agreement_with_majority_weekly": {
                name: {w: {"agree": a, "n": n} for w, (a, n) in sorted(weeks.items())}
                for name, weeks in self.weekly.items()
            },
        }


def _not_label(value: Any, labels: tuple) -> bool:
    try:
        return value not in labels
    except TypeError:
        return True


def _dawid_skene(r: Ratings) -> dict:
    """The project's Dawid–Skene fit on this field as the export will make it: whether EM
    converged and each annotator's estimated accuracy."""
    from trainerdesk.quality import review

    if len(r) == 0:
        return {"converged": None, "iterations": 0, "note": "not enough data: no answers",
                "accuracy": {}}  # fmt: skip
    raters, rater = np.unique(r.rater, return_inverse=True)  # only those who used the field
    fit = review.dawid_skene(
        r.item, rater, r.code, n_items=r.n_items, n_annotators=raters.size,
        n_classes=r.n_categories,
    )  # fmt: skip
    names = r.rater_ids or tuple(range(r.n_raters))
    return {
        "converged": bool(fit.converged),
        "iterations": int(fit.iterations),
        "note": fit.note or None,
        "accuracy": {str(names[j]): float(a) for j, a in zip(raters, fit.accuracy, strict=True)},
    }


def _pairs(pm: metrics.PairMatrix) -> list[dict]:
    out = []
    n = len(pm.raters)
    for a in range(n):
        for b in range(a + 1, n):
            out.append(
                {
                    "a": str(pm.raters[a]),
                    "b": str(pm.raters[b]),
                    "n_items": pm.n_items[a][b],
                    "percent_agreement": pm.percent[a][b],
                    "kappa": pm.kappa[a][b],
                    "reason": pm.reasons.get((a, b)),
                }
            )
    return out


def _structured_pairs(
    sa: metrics.StructuredAgreement,
    name: str,
    second: list[list[float | None]] | None,
    second_name: str,
) -> list[dict]:
    out = []
    n = len(sa.raters)
    for a in range(n):
        for b in range(a + 1, n):
            out.append(
                {
                    "a": str(sa.raters[a]),
                    "b": str(sa.raters[b]),
                    "n_items": sa.n_items[a][b],
                    name: sa.f1[a][b],
                    second_name: second[a][b] if second else None,
                }
            )
    return out
