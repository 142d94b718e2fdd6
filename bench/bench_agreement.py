"""Time the agreement metrics (trainerdesk/quality/agreement.py) on 1,000,000 annotations,
with the reference implementations' time on the same data beside them.

Data (seeded, byte-identical per --seed): N items x R annotators, K categories; each
annotation copies the item's "true" label with probability 0.7, else a uniform random
label; then ~5% of annotations are dropped (missing). Ours: each metric timed --repeat
times from the coded arrays, with the per-item count table rebuilt every time (nothing
cached between calls); the median and the fastest run are reported. Building the Ratings
(bounds and duplicate checks) is timed separately, as is the adapter from Python
(item, annotator, answer) tuples.

References, on the same data:
- NLTK's AnnotationTask.alpha() (nominal and interval distance) on the first --nltk-n
  items only (it is a pure-Python loop), extrapolated linearly to N and labelled so;
- statsmodels' fleiss_kappa on the count table of the items with all R annotations (its
  formula needs an equal number per item), and with aggregate_raters building that table;
- scikit-learn's cohen_kappa_score for every annotator pair over their co-annotated items.
Each reference's value is compared with ours (the absolute difference is reported).

    .venv/bin/python bench/bench_agreement.py                 # 250k items x 4 annotators
    .venv/bin/python bench/bench_agreement.py --n 20000 --repeat 2   # quick check
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import numpy as np  # noqa: E402

from trainerdesk.quality import agreement as qa  # noqa: E402


def make_data(n: int, raters: int, k: int, missing: float, seed: int) -> qa.Ratings:
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(n), raters)
    rater = np.tile(np.arange(raters), n)
    truth = np.repeat(rng.integers(0, k, n), raters)
    code = np.where(rng.random(n * raters) < 0.7, truth, rng.integers(0, k, n * raters))
    keep = rng.random(n * raters) >= missing
    return item[keep], rater[keep], code[keep]


def timed(fn, repeat: int, before=None) -> tuple[dict, object]:
    seconds, value = [], None
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        value = fn()
        seconds.append(time.perf_counter() - t0)
    return {
        "median_s": round(statistics.median(seconds), 4),
        "min_s": round(min(seconds), 4),
        "runs": repeat,
    }, value


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=250_000, help="items (default %(default)s)")
    p.add_argument("--raters", type=int, default=4)
    p.add_argument("--categories", type=int, default=5)
    p.add_argument("--missing", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=5, help="timed runs per metric")
    p.add_argument("--nltk-n", type=int, default=10_000, help="items NLTK is timed on")
    p.add_argument("--no-reference", action="store_true", help="skip the reference timings")
    args = p.parse_args(argv)
    load_start = os.getloadavg()

    item, rater, code = make_data(args.n, args.raters, args.categories, args.missing, args.seed)
    cats = tuple(range(1, args.categories + 1))

    def build() -> qa.Ratings:
        return qa.Ratings.from_arrays(
            item, rater, code, categories=cats, n_items=args.n, n_raters=args.raters
        )

    build_t, r = timed(build, args.repeat)
    clear = r._cache.clear
    ours = {"build_ratings": build_t}
    values = {}
    for name, fn in [
        ("alpha_nominal", lambda: qa.krippendorff_alpha(r, "nominal")),
        ("alpha_interval", lambda: qa.krippendorff_alpha(r, "interval")),
        ("alpha_ordinal", lambda: qa.krippendorff_alpha(r, "ordinal")),
        ("fleiss_kappa_complete_items", lambda: qa.fleiss_kappa(r, raters=args.raters)),
        ("percent_agreement", lambda: qa.percent_agreement(r)),
        ("cohen_kappa_pair_matrix", lambda: qa.pair_matrix(r)),
        ("per_item", lambda: qa.per_item(r)),
        ("per_label", lambda: qa.per_label(r)),
    ]:
        ours[name], values[name] = timed(fn, args.repeat, clear)

    # The adapter from Python tuples (what a caller holding database rows would use).
    rows = list(zip(item.tolist(), rater.tolist(), code.tolist(), strict=True))
    ours["from_tuples_adapter"], _ = timed(
        lambda: qa.Ratings.from_tuples(rows, categories=range(args.categories)), 1
    )
    core = ["alpha_nominal", "fleiss_kappa_complete_items"]
    result: dict = {
        "benchmark": "agreement",
        "machine": c.machine(),
        "n_items": args.n,
        "raters": args.raters,
        "categories": args.categories,
        "annotations": int(item.size),
        "missing_share": round(1 - item.size / (args.n * args.raters), 4),
        "ours": ours,
        "values": {
            "alpha_nominal": values["alpha_nominal"].value,
            "alpha_interval": values["alpha_interval"].value,
            "alpha_ordinal": values["alpha_ordinal"].value,
            "fleiss_kappa_complete_items": values["fleiss_kappa_complete_items"].value,
            "fleiss_items": values["fleiss_kappa_complete_items"].n_items,
            "percent_agreement": values["percent_agreement"].value,
        },
        "alpha_plus_fleiss_median_s": round(sum(ours[k]["median_s"] for k in core), 4),
    }

    if not args.no_reference:
        result["reference"] = references(args, r, values)
    result["load_start"] = [round(x, 2) for x in load_start]
    result["load_end"] = [round(x, 2) for x in os.getloadavg()]

    human = (
        f"{item.size:,} annotations ({args.n:,} items x {args.raters}, {args.categories} "
        f"categories): alpha nominal {ours['alpha_nominal']['median_s']} s, interval "
        f"{ours['alpha_interval']['median_s']} s, Fleiss "
        f"{ours['fleiss_kappa_complete_items']['median_s']} s, "
        f"Cohen matrix {ours['cohen_kappa_pair_matrix']['median_s']} s, per item "
        f"{ours['per_item']['median_s']} s (medians of {args.repeat})"
    )
    c.report(result, human)
    return result


def references(args, r: qa.Ratings, values: dict) -> dict:
    from nltk.metrics import agreement as nltk_agreement
    from nltk.metrics.distance import interval_distance
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    out: dict = {}
    # NLTK on a subset: its alpha loops over items in Python.
    sub = r.select(r.item < args.nltk_n)
    data = [
        (int(a), int(i), int(v) + 1)
        for a, i, v in zip(sub.rater.tolist(), sub.item.tolist(), sub.code.tolist(), strict=True)
    ]
    scale = args.n / args.nltk_n
    for level, distance in (("nominal", None), ("interval", interval_distance)):
        kwargs = {"distance": distance} if distance else {}
        t0 = time.perf_counter()
        task = nltk_agreement.AnnotationTask(data=data, **kwargs)
        theirs = task.alpha()
        s = time.perf_counter() - t0
        mine = qa.krippendorff_alpha(sub, level).value
        out[f"nltk_alpha_{level}"] = {
            "items_timed": args.nltk_n,
            "seconds_on_subset": round(s, 3),
            "extrapolated_to_n_s": round(s * scale, 1),
            "abs_diff_vs_ours_on_subset": abs(theirs - mine),
        }
    # statsmodels Fleiss on the table of complete items.
    counts = r.counts()
    table = counts[counts.sum(axis=1) == args.raters]
    t0 = time.perf_counter()
    theirs = sm_fleiss(table)
    s = time.perf_counter() - t0
    out["statsmodels_fleiss_kappa_table_only"] = {
        "seconds": round(s, 4),
        "items": int(table.shape[0]),
        "abs_diff_vs_ours": abs(theirs - values["fleiss_kappa_complete_items"].value),
    }
    cols = np.full((r.n_items, r.n_raters), -1)
    cols[r.item, r.rater] = r.code
    complete = cols[(cols >= 0).all(axis=1)]
    t0 = time.perf_counter()
    built, _ = aggregate_raters(complete, n_cat=r.n_categories)
    theirs = sm_fleiss(built)
    out["statsmodels_aggregate_raters_plus_fleiss_kappa"] = {
        "seconds": round(time.perf_counter() - t0, 4),
        "abs_diff_vs_ours": abs(theirs - values["fleiss_kappa_complete_items"].value),
    }
    # scikit-learn Cohen's kappa for every pair.
    pm = values["cohen_kappa_pair_matrix"]
    labels = list(range(r.n_categories))
    worst = 0.0
    t0 = time.perf_counter()
    for a in range(r.n_raters):
        for b in range(a + 1, r.n_raters):
            both = (cols[:, a] >= 0) & (cols[:, b] >= 0)
            k = cohen_kappa_score(cols[both, a], cols[both, b], labels=labels)
            worst = max(worst, abs(k - pm.kappa[a][b]))
    out["sklearn_cohen_kappa_all_pairs"] = {
        "seconds": round(time.perf_counter() - t0, 4),
        "pairs": r.n_raters * (r.n_raters - 1) // 2,
        "max_abs_diff_vs_ours": worst,
    }
    return out


if __name__ == "__main__":
    main()
