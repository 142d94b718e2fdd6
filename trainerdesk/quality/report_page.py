"""A stored agreement report as the quality page and its CSV show it (no Django imports).

report.py computes and stores the results; this module only reads them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --- the quality page ------------------------------------------------------------------------


def page_data(res: Mapping) -> dict:
    """What the quality page shows of a report's results: per field (rating criteria as
    fields of their own) the figures and the annotator-pair matrix, the chart series
    (alpha per label of the first labelled field; weekly agreement with the majority and
    accuracy on reference items) and the confusion tables against reference answers."""
    fields = []
    for name, fres in res.get("fields", {}).items():
        shared = {k: fres[k] for k in ("kappa_weights", "per_response") if k in fres}
        groups = [(f"{name}.{c}", sub | shared) for c, sub in fres.get("criteria", {}).items()] or [
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
    dropped = [
        (name, fres["dropped"])
        for name, fres in res.get("fields", {}).items()
        if fres.get("dropped", {}).get("count")
    ]
    dawid_skene = [(f["name"], f["res"]["dawid_skene"]) for f in fields
                   if f["res"].get("dawid_skene")]  # fmt: skip
    return {"fields": fields, "chart": chart, "confusions": confusions, "reference": ref,
            "dropped": dropped, "not_objects": res.get("answers_not_objects", 0),
            "dawid_skene": dawid_skene}  # fmt: skip


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
        for metric in ("level", "kappa_weights"):
            if metric in res:
                out.append(base | {"section": "field", "field": name, "metric": metric,
                                   "value": res[metric]})  # fmt: skip
        for metric, v in res.items():
            if isinstance(v, Mapping) and "value" in v:
                n = v.get("n_values", v.get("n_pairs"))
                row = {"section": "field", "field": name, "metric": metric}
                out.append(base | row | {"value": v["value"], "reason": v.get("reason"), "n": n})
        for level, v in res.get("alpha_by_level", {}).items():
            out.append(base | {"section": "field", "field": name, "metric": f"alpha_{level}",
                               "value": v["value"], "reason": v["reason"],
                               "n": v["n_values"]})  # fmt: skip
        ds = res.get("dawid_skene")
        if ds:
            out.append(base | {"section": "dawid_skene", "field": name, "metric": "converged",
                               "value": ds["converged"], "reason": ds["note"],
                               "n": ds["iterations"]})  # fmt: skip
            for who, acc in ds["accuracy"].items():
                out.append(base | {"section": "dawid_skene", "field": name, "a": who,
                                   "metric": "estimated_accuracy", "value": acc})  # fmt: skip
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
                figures(f"{name}.{c}", sub | {"kappa_weights": res.get("kappa_weights")})
        elif "reason" in res and len(res) <= 2:
            out.append(base | {"section": "field", "field": name, "reason": res["reason"]})
        else:
            figures(name, res)
        if "dropped" not in res:
            continue
        dropped = res["dropped"]
        out.append(base | {"section": "dropped", "field": name, "metric": "dropped_answers",
                           "value": dropped.get("count", 0)})  # fmt: skip
        for reason, n in dropped.get("reasons", {}).items():
            out.append(base | {"section": "dropped", "field": name, "metric": "dropped_answers",
                               "reason": reason, "n": n, "value": n})  # fmt: skip
    if results.get("answers_not_objects"):
        out.append(base | {"section": "dropped", "metric": "answers_not_objects",
                           "value": results["answers_not_objects"],
                           "reason": "the answer is not an object of fields"})  # fmt: skip
    for item_id, name, score, n in items:
        out.append(base | {"section": "item", "field": name, "item": item_id,
                           "metric": "item_agreement", "value": score, "n": n})  # fmt: skip
    return out


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)
