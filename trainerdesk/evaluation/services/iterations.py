"""Iterations of the loop (label -> train -> evaluate) and the comparison of runs.

The change from one iteration to the next is computed once, when the iteration is
recorded, and kept with it (the Model page reads it, never recomputes): a paired bootstrap
over the items both versions were evaluated on, with the same references, when the two
runs allow it (same field, scope and references, single-label); otherwise the two runs'
own intervals side by side, said to be unpaired. Error rate = 1 - accuracy, so its paired
difference is the negated accuracy difference.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from trainerdesk.evaluation.models import EvaluationRun, Iteration
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.evaluation.services.runs import compare_runs
from trainerdesk.lib import audit
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.services import InvalidInput

COMPARE_RESAMPLES = 1000


def error_rate(run: EvaluationRun) -> dict | None:
    return (run.metrics.get("intervals") or {}).get("error_rate")


def pairable(a: EvaluationRun, b: EvaluationRun) -> bool:
    if (a.field_name, a.scope, a.against) != (b.field_name, b.scope, b.against):
        return False
    return not field_of(a.project, a.field_name).multiple


def change_between(a: EvaluationRun, b: EvaluationRun, *, seed: int = 0) -> dict[str, Any]:
    """B's error rate against A's: difference with its interval and what it is computed on."""
    ea, eb = error_rate(a) or {}, error_rate(b) or {}
    out: dict[str, Any] = {
        "from_run": a.pk,
        "to_run": b.pk,
        "before": ea.get("value"),
        "after": eb.get("value"),
    }
    if pairable(a, b):
        try:
            compared = compare_runs(a=a, b=b, resamples=COMPARE_RESAMPLES, seed=seed)
        except InvalidInput:
            compared = None
        if compared is not None:
            acc = compared["accuracy"]
            before, after = 1.0 - compared["a_accuracy"], 1.0 - compared["b_accuracy"]
            # The runs' stored rates were computed against the references of their time;
            # relabelled items (the loop's point) change the references, so both versions
            # are measured again here on the same items against today's references.
            changed = any(
                stored is not None and abs(stored - now) > 1e-9
                for stored, now in ((ea.get("value"), before), (eb.get("value"), after))
            )
            out |= {
                "paired": True,
                "before": before,
                "after": after,
                "stored_before": ea.get("value"),
                "stored_after": eb.get("value"),
                "references_changed": changed,
                "items": compared["items"],
                # On the shared items, so its own before/after (the runs' may differ).
                "difference": -acc["difference"],
                "low": -acc["high"],
                "high": -acc["low"],
                "beyond_noise": acc["beyond_noise"],
                "mcnemar_p": compared["mcnemar"]["p_value"],
                "computed_on": (
                    f"{compared['items']:,} items both versions were evaluated on "
                    f"({a.get_scope_display().lower()}, against today's "
                    f"{a.get_against_display().lower()}); paired bootstrap, "
                    f"{acc['resamples']:,} resamples, seed {acc['seed']}"
                    + (
                        f". The runs' own error rates ({_pct(ea['value'])} and "
                        f"{_pct(eb['value'])}) differ: references changed since (relabelled "
                        "items), so they are not compared with each other"
                        if changed
                        else ""
                    )
                ),
            }
            return out
    if ea.get("value") is None or eb.get("value") is None:
        return out | {"paired": False, "computed_on": "one of the runs has no error rate"}
    # Unpaired: the intervals alone; a change counts as beyond the noise only when the two
    # intervals do not overlap (conservative).
    return out | {
        "paired": False,
        "difference": eb["value"] - ea["value"],
        "low": None,
        "high": None,
        "beyond_noise": bool(eb["high"] < ea["low"] or eb["low"] > ea["high"]),
        "computed_on": (
            "not paired: the runs used different items or references; each run's own "
            "bootstrap interval, a change counts only when the intervals do not overlap"
        ),
    }


def record_iteration(
    *, project: Project, run: EvaluationRun, name: str = "", notes: str = "", by
) -> Iteration:
    """Record a finished evaluation run as the next iteration of the loop."""
    if run.project_id != project.pk:
        raise InvalidInput(["run: not an evaluation run of this project"])
    if run.status != EvaluationRun.Status.DONE:
        raise InvalidInput([f"run: evaluation {run.pk} is {run.status}, not done"])
    name = (name or "").strip()
    if len(name) > 255:
        raise InvalidInput(["name: at most 255 characters"])
    previous = Iteration.objects.filter(project=project).select_related("run").last()
    change = change_between(previous.run, run) if previous else {}
    if previous is not None:
        # Kept too, so the page's headline (first -> last) is read, never recomputed.
        first = Iteration.objects.filter(project=project).select_related("run").first()
        assert first is not None  # previous exists, so a first one does
        since = change if first.pk == previous.pk else change_between(first.run, run)
        change["since_first"] = {k: v for k, v in since.items() if k != "since_first"}
    labelled = project.items.filter(done_count__gt=0, is_gold=False).count()
    trained = run.version.training.get("items") if run.version.training else None
    with transaction.atomic():
        number = (
            Iteration.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        iteration = Iteration.objects.create(
            project=project,
            number=number,
            name=name or f"Iteration {number}",
            version=run.version,
            run=run,
            labelled_items=labelled,
            trained_items=trained if isinstance(trained, int) else None,
            change=change,
            notes=notes,
            created_by=by,
        )
        audit.record(
            action="evaluation.iteration.create",
            obj=iteration,
            project=project,
            changes={
                "number": number,
                "version": run.version.name,
                "run": run.pk,
                "labelled_items": labelled,
                "error_rate_change": change.get("difference"),
            },
            by=by,
        )
    return iteration


def headline(iterations: list[Iteration]) -> dict | None:
    """First iteration against the last: the page's "error rate down X% (interval)"."""
    if len(iterations) < 2:
        return None
    first, last = iterations[0], iterations[-1]
    # Recorded with the last iteration (record_iteration); recomputed only for one
    # recorded before that was kept.
    change = dict(last.change.get("since_first") or change_between(first.run, last.run))
    before, diff = change.get("before"), change.get("difference")
    # Relative to the first run's error rate, as a point estimate only: the interval shown
    # is the one of the difference in points.
    change["relative"] = -diff / before if diff is not None and before else None
    change["first"], change["last"] = first, last
    change["text"] = headline_text(change)
    return change


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def change_text(change: dict) -> str:
    """ "-4.0 points (95% interval -6.1 to -1.9)" for the iterations table."""
    diff = change.get("difference")
    if diff is None:
        return ""
    text = f"{100 * diff:+.1f} points"
    if change.get("low") is not None:
        text += f" (95% interval {100 * change['low']:+.1f} to {100 * change['high']:+.1f})"
    return text


def headline_text(change: dict) -> str:
    """ "Error rate down 33.3% (12.0% -> 8.0%; -4.0 points, 95% interval -6.1 to -1.9)"."""
    diff, before, after = change.get("difference"), change.get("before"), change.get("after")
    if diff is None or before is None or after is None:
        return "Error rate change: not computable (a run has no error rate)"
    word = "down" if diff < 0 else "up" if diff > 0 else "unchanged"
    rel = change.get("relative")
    head = f"Error rate {word}" + (f" {_pct(abs(rel))}" if rel is not None and diff else "")
    detail = f"{_pct(before)} → {_pct(after)}; {100 * diff:+.1f} points"
    if change.get("low") is not None:
        detail += f", 95% interval {100 * change['low']:+.1f} to {100 * change['high']:+.1f}"
    else:
        detail += ", unpaired: see each run's interval"
    return f"{head} ({detail})"


# --- comparison of two or more runs ----------------------------------------------------

METRICS = (
    ("error_rate", "Error rate", "lower"),
    ("accuracy", "Accuracy", "higher"),
    ("macro_f1", "Macro F1", "higher"),
    ("weighted_f1", "Weighted F1", "higher"),
    ("kappa", "Cohen's κ", "higher"),
    ("log_loss", "Log loss", "lower"),
    ("brier", "Brier score", "lower"),
)


def _metric(run: EvaluationRun, key: str) -> dict | None:
    m = run.metrics or {}
    intervals = m.get("intervals") or {}
    if key in intervals and isinstance(intervals[key], dict):
        return intervals[key]
    if key == "weighted_f1":
        value = (m.get("weighted") or {}).get("f1")
    elif key == "macro_f1":
        value = (m.get("macro") or {}).get("f1")
    else:
        value = m.get(key)
    return {"value": value, "low": None, "high": None} if isinstance(value, int | float) else None


def _direction(delta: float, better: str) -> str:
    if delta == 0:
        return "same"
    return "better" if (delta < 0) == (better == "lower") else "worse"


def compare_many(*, runs: list[EvaluationRun], seed: int = 0) -> dict[str, Any]:
    """Every run against the first (the base): metric rows and slice rows, each cell with
    its value, interval and whether the change is beyond the noise; rows with a regression
    beyond the noise first."""
    if len(runs) < 2:
        raise InvalidInput(["runs: choose two or more evaluation runs"])
    if any(r.status != EvaluationRun.Status.DONE for r in runs):
        raise InvalidInput(["runs: every run compared must be done"])
    base, others = runs[0], runs[1:]
    paired = {r.pk: _paired(base, r, seed) for r in others}
    rows = []
    for key, label, better in METRICS:
        cells = [_metric(r, key) for r in runs]
        if all(c is None for c in cells):
            continue
        row: dict[str, Any] = {
            "key": key,
            "label": label,
            "better": better,
            "cells": [],
            "regression": False,
        }
        for r, cell in zip(runs, cells, strict=True):
            row["cells"].append(_cell(base, r, cell, _metric(base, key), key, better, paired))
        row["regression"] = any(
            c.get("direction") == "worse" and c.get("beyond_noise") for c in row["cells"]
        )
        rows.append(row)
    rows.sort(key=lambda r: not r["regression"])
    return {
        "base": base,
        "runs": runs,
        "metrics": rows,
        "slices": _slice_rows(runs),
        "notes": _reference_notes(base, others, paired),
    }


def _reference_notes(base: EvaluationRun, others: list[EvaluationRun], paired: dict) -> list[str]:
    """Where today's references give other accuracies than a run stored (items relabelled
    since it ran): the side-by-side values are then against different references, and the
    paired test, which uses today's, is the comparison to read."""
    notes = []
    for r in others:
        pair = paired.get(r.pk)
        if not pair:
            continue
        for run, now in ((base, pair["a_accuracy"]), (r, pair["b_accuracy"])):
            stored = (run.metrics or {}).get("accuracy")
            if stored is not None and abs(stored - now) > 1e-9:
                notes.append(
                    f"Run {run.pk}: accuracy {stored:.3f} when it ran, {now:.3f} on the "
                    f"{pair['items']:,} shared items against today's references (items were "
                    "relabelled since); the paired test uses today's references"
                )
    return list(dict.fromkeys(notes))


def _paired(base: EvaluationRun, run: EvaluationRun, seed: int) -> dict | None:
    if not pairable(base, run):
        return None
    try:
        return compare_runs(a=base, b=run, resamples=COMPARE_RESAMPLES, seed=seed)
    except InvalidInput:
        return None


def _cell(base, run, cell, base_cell, key, better, paired) -> dict:
    out: dict[str, Any] = {"run": run.pk, "value": None, "low": None, "high": None}
    if cell is None:
        return out
    out |= {k: cell.get(k) for k in ("value", "low", "high")}
    if run.pk == base.pk or base_cell is None or cell.get("value") is None:
        return out
    delta = cell["value"] - base_cell["value"]
    out["delta"] = delta
    out["direction"] = _direction(delta, better)
    pair = paired.get(run.pk)
    if pair and key in ("accuracy", "macro_f1", "error_rate"):
        stat = pair["accuracy" if key == "error_rate" else key]
        out["beyond_noise"] = stat["beyond_noise"]
        out["how"] = f"paired bootstrap on {pair['items']:,} shared items"
    elif None not in (cell.get("low"), base_cell.get("low")):
        out["beyond_noise"] = bool(
            cell["high"] < base_cell["low"] or cell["low"] > base_cell["high"]
        )
        out["how"] = "intervals do not overlap (unpaired)"
    else:
        out["beyond_noise"] = False
        out["how"] = "no interval for this metric"
    return out


def _slice_rows(runs: list[EvaluationRun]) -> list[dict]:
    """Per slice (key = value) each run's error rate; a change counts as beyond the noise
    when the slice's intervals do not overlap (slices are compared unpaired)."""
    by_key: dict[tuple[str, str], dict[int, dict]] = {}
    for r in runs:
        for s in r.slices or []:
            by_key.setdefault((s["key"], str(s["value"])), {})[r.pk] = s
    base = runs[0]
    rows = []
    for (key, value), per_run in by_key.items():
        b = per_run.get(base.pk)
        cells: list[dict[str, Any] | None] = []
        regression = False
        for r in runs:
            s = per_run.get(r.pk)
            if s is None:
                cells.append(None)
                continue
            e = s["error_rate"]
            cell = {
                "n": s["n"],
                "small": s["small"],
                **{k: e.get(k) for k in ("value", "low", "high")},
            }
            if r.pk != base.pk and b is not None and e.get("value") is not None:
                be = b["error_rate"]
                cell["delta"] = e["value"] - be["value"]
                cell["beyond_noise"] = bool(e["high"] < be["low"] or e["low"] > be["high"])
                cell["direction"] = _direction(cell["delta"], "lower")
                regression |= cell["beyond_noise"] and cell["direction"] == "worse"
            cells.append(cell)
        rows.append({"key": key, "value": value, "cells": cells, "regression": regression})
    rows.sort(key=lambda r: (not r["regression"], r["key"], r["value"]))
    return rows
