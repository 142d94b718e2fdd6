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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from trainerdesk.quality import metrics
from trainerdesk.quality.agreement import Ratings

SUPPORTED = ("choice", "pairwise", "rating", "spans", "boxes")


@dataclass(frozen=True)
class FieldSpec:
    """What the report needs of a schema field (built from workbench.schema.Field)."""

    name: str
    type: str
    multiple: bool = False
    labels: tuple = ()
    criteria: tuple = ()  # (name, min, max)
    strength: bool = False


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

    def add(self, item: int, rater: int, value: Any, week: int) -> None:
        c = self.index.get(value)
        if c is None:
            return  # a label no longer in the schema: left out, like a missing answer
        self.item.append(item)
        self.rater.append(rater)
        self.code.append(c)
        self.week.append(week)

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

    def __init__(self, fields: list[FieldSpec], *, box_threshold: float = 0.5) -> None:
        self.fields = [f for f in fields if f.type in SUPPORTED]
        self.unsupported = [f for f in fields if f.type not in SUPPORTED]
        self.box_threshold = box_threshold
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
            else:
                self.rows[f.name] = []

    def add_reference(self, item_id: int, reference: Any) -> None:
        if isinstance(reference, Mapping) and reference:
            self.references[item_id] = reference

    def add(self, item_id: int, annotator: str, answer: Any, day: str) -> None:
        """day: the UTC day the annotation was made, "YYYY-MM-DD" (for the weekly trend)."""
        if not isinstance(answer, Mapping):
            return
        self.n_annotations += 1
        i = self.items.setdefault(item_id, len(self.items))
        r = self.raters.setdefault(annotator, len(self.raters))
        w = self.day_week.get(day)
        if w is None:  # days are few: map each to its week's index once
            w = self.day_week[day] = self.weeks.setdefault(week_of(day), len(self.weeks))
        if item_id in self.references:  # add references first: only those answers are kept
            self.answers.setdefault(item_id, []).append((r, answer, w))
        for f in self.fields:
            value = answer.get(f.name)
            if value is None:
                continue
            if f.type == "choice" and not f.multiple:
                self.coded[f.name].add(i, r, value, w)
            elif f.type == "pairwise" and isinstance(value, Mapping):
                try:
                    code = metrics.preference_code(value, strength=f.strength)
                except (ValueError, TypeError):
                    continue
                self.coded[f.name].add(i, r, code, w)
            elif f.type == "rating" and isinstance(value, Mapping):
                for c, _lo, _hi in f.criteria:
                    self.coded[f"{f.name}.{c}"].add(i, r, value.get(c), w)
            elif isinstance(value, list):  # spans, boxes, multi-label choice
                self.rows[f.name].append((item_id, annotator, value))

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
                res = {"type": "rating", "criteria": {}}
                items = {}
                for c, _lo, _hi in f.criteria:
                    sub, sub_items = self._coded_field(f"{f.name}.{c}", f, rater_ids, item_ids)
                    res["criteria"][c] = sub
                    for k, v in sub_items.items():  # an item's score: its lowest criterion
                        items[k] = min(items.get(k, v), v, key=lambda x: x[0])
            elif f.type == "choice":
                res, items = self._multi_label(f)
            else:
                res, items = self._structured(f)
            out["fields"][f.name] = res
            per_item[f.name] = items
        for f in self.unsupported:
            out["fields"][f.name] = {
                "type": f.type,
                "reason": f"not supported: no agreement measure for {f.type} fields yet",
            }
        out["reference"] = self._reference_accuracy(rater_ids)
        out["item_count"] = len(self.items)
        out["annotation_count"] = self.n_annotations
        out["annotator_names"] = list(rater_ids)
        return {"results": out, "per_item": per_item}

    def _coded_field(self, key: str, f: FieldSpec, rater_ids: tuple, item_ids: tuple):
        r, week = self.coded[key].ratings(len(item_ids), rater_ids)
        level = {"choice": "nominal", "pairwise": "ordinal", "rating": "ordinal"}[f.type]
        res: dict[str, Any] = {
            "type": f.type,
            "level": level,
            "categories": [str(c) for c in r.categories],
            "n_values": len(r),
            "percent_agreement": metrics.percent_agreement(r).as_dict(),
            "alpha": metrics.krippendorff_alpha(r, level).as_dict(),
            "fleiss_kappa": metrics.fleiss_kappa(r).as_dict(),
        }
        if f.type == "rating":
            res["alpha_interval"] = metrics.krippendorff_alpha(r, "interval").as_dict()
        weights = None if level == "nominal" else "linear"
        pm = metrics.pair_matrix(r, weights=weights)
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
        return res, items

    def _weekly(self, key, rater, week, agree, rater_ids) -> None:
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

    def _multi_label(self, f: FieldSpec):
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

    def _structured(self, f: FieldSpec):
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
        weekly: dict[str, dict[str, list[int]]] = {}
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


def _structured_pairs(sa: metrics.StructuredAgreement, name, second, second_name) -> list[dict]:
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


# --- the quality page ------------------------------------------------------------------------


def page_data(res: Mapping) -> dict:
    """What the quality page shows of a report's results: per field (rating criteria as
    fields of their own) the figures and the annotator-pair matrix, the chart series
    (alpha per label of the first labelled field; weekly agreement with the majority and
    accuracy on reference items) and the confusion tables against reference answers."""
    fields = []
    for name, fres in res.get("fields", {}).items():
        groups = [(f"{name}.{c}", sub) for c, sub in fres.get("criteria", {}).items()] or [
            (name, fres)
        ]
        for label, g in groups:
            # The cell shown per pair: kappa, else span F1 (exact), else box F1.
            pairs = [
                {"percent_agreement": None, "reason": None}
                | p
                | {
                    "main": next(
                        (p[k] for k in ("kappa", "f1_exact", "f1") if p.get(k) is not None), None
                    )
                }
                for p in g.get("pairs", [])
            ]
            names = sorted({p["a"] for p in pairs} | {p["b"] for p in pairs})
            cell = {(p["a"], p["b"]): p for p in pairs} | {(p["b"], p["a"]): p for p in pairs}
            matrix = [(a, [(b, cell.get((a, b))) for b in names]) for a in names]
            fields.append({"name": label, "res": g, "annotators": names, "matrix": matrix})
    first = next((f for f in fields if f["res"].get("labels")), None)
    ref = res.get("reference", {})
    weeks = sorted(
        {w for per in ref.get("agreement_with_majority_weekly", {}).values() for w in per}
        | set(ref.get("weekly", {}))
    )
    agree = []
    for w in weeks:
        a = sum(
            p.get(w, {}).get("agree", 0)
            for p in ref.get("agreement_with_majority_weekly", {}).values()
        )
        n = sum(
            p.get(w, {}).get("n", 0) for p in ref.get("agreement_with_majority_weekly", {}).values()
        )
        agree.append(a / n if n else None)
    acc = [
        (ref["weekly"][w]["correct"] / ref["weekly"][w]["n"])
        if w in ref.get("weekly", {})
        else None
        for w in weeks
    ]
    chart = {
        "labels": {
            "field": first["name"] if first else None,
            "names": [la["label"] for la in first["res"]["labels"]] if first else [],
            "alpha": [la["alpha"]["value"] for la in first["res"]["labels"]] if first else [],
        },
        "weeks": {"labels": weeks, "agreement": agree, "accuracy": acc},
    }
    confusions = [
        (f["name"], f["res"]["confusion_reference"])
        for f in fields
        if f["res"].get("confusion_reference")
    ]
    return {"fields": fields, "chart": chart, "confusions": confusions, "reference": ref}


# --- export ----------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "field", "a", "b", "item", "label", "metric", "value", "reason", "n",
               "computed_at", "digest")  # fmt: skip


def csv_rows(meta: Mapping, results: Mapping, items: list[tuple]) -> list[dict]:
    """The report as flat CSV rows: one per field figure, per label, per annotator pair and
    per item (items: (item id, field, score, n_annotators)); every row carries computed_at
    and digest so a row lifted out of the file still says where it came from."""
    base = {"computed_at": meta["computed_at"], "digest": meta["digest"]}
    out = [base | {"section": "report", "metric": "parameters",
                   "value": _dumps(meta["parameters"])}]  # fmt: skip
    out.append(base | {"section": "report", "metric": "item_count", "value": meta["item_count"]})
    out.append(
        base
        | {
            "section": "report",
            "metric": "annotation_count",
            "value": meta["annotation_count"],
        }  # fmt: skip
    )

    def figures(name: str, res: Mapping) -> None:
        for metric, v in res.items():
            if isinstance(v, Mapping) and "value" in v:
                n = v.get("n_values", v.get("n_pairs"))
                row = {"section": "field", "field": name, "metric": metric}
                out.append(base | row | {"value": v["value"], "reason": v.get("reason"), "n": n})
        for la in res.get("labels", ()):
            out.append(base | {"section": "label", "field": name, "label": la["label"],
                               "metric": "alpha", "value": la["alpha"]["value"],
                               "reason": la["alpha"]["reason"], "n": la["n_values"]})  # fmt: skip
        for p in res.get("pairs", ()):
            for metric in ("kappa", "percent_agreement", "f1_exact", "f1_overlap", "f1",
                           "mean_iou"):  # fmt: skip
                if metric in p:
                    out.append(base | {"section": "pair", "field": name, "a": p["a"],
                                       "b": p["b"], "metric": metric, "value": p[metric],
                                       "reason": p.get("reason"), "n": p["n_items"]})  # fmt: skip

    for name, res in results.get("fields", {}).items():
        if "criteria" in res:
            for c, sub in res["criteria"].items():
                figures(f"{name}.{c}", sub)
        elif "reason" in res and len(res) <= 2:
            out.append(base | {"section": "field", "field": name, "reason": res["reason"]})
        else:
            figures(name, res)
    for item_id, name, score, n in items:
        out.append(base | {"section": "item", "field": name, "item": item_id,
                           "metric": "item_agreement", "value": score, "n": n})  # fmt: skip
    return out


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)
