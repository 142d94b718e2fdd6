"""Time the bias audit's computations (trainerdesk/governance/fairness.py) on N rows.

Data (seeded): N rows with two attributes (sex: 2 groups, 55/45; region: 4 groups),
20 annotators, a binary final label whose favourable rate differs by sex (0.45 / 0.35),
and a "model" that agrees with the label 85 % of the time. Each function is timed once
after one warm-up call on 1,000 rows (so imports of fairlearn, pandas and scipy are not
counted; their cost is reported separately as `import_s`). Peak RSS is the process's.

    .venv/bin/python bench/bench_fairness.py                # 1,000,000 rows
    .venv/bin/python bench/bench_fairness.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def data(n: int, seed: int) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    sex = np.where(rng.random(n) < 0.55, "M", "F")
    region = rng.choice(["north", "south", "east", "west"], size=n)
    label = (rng.random(n) < np.where(sex == "M", 0.45, 0.35)).astype(int)
    pred = np.where(rng.random(n) < 0.85, label, 1 - label)
    annotator = rng.integers(0, 20, size=n)
    split = np.where(rng.random(n) < 0.8, "train", "test")
    return {
        "sex": sex.tolist(),
        "region": region.tolist(),
        "label": label.tolist(),
        "pred": pred.tolist(),
        "annotator": [f"a{i:02d}" for i in annotator],
        "split": split.tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t = time.perf_counter()
    from trainerdesk.governance import fairness as f
    from trainerdesk.governance import fairness_model as fm

    small = data(1000, 1)
    fm.model_fairness(small["label"], small["pred"], {"sex": small["sex"]}, positive=1, n_boot=10)
    f.annotator_parity(small["annotator"], small["label"], {"sex": small["sex"]}, positive=1)
    import_s = time.perf_counter() - t

    d = data(args.n, args.seed)
    timings = {}

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t, 3)
        return out

    timed("label_parity_s", lambda: f.label_parity(d["label"], {"sex": d["sex"]}, positive=1))
    timed(
        "label_parity_intersection_s",
        lambda: f.label_parity(d["label"], {"sex": d["sex"], "region": d["region"]}, positive=1),
    )
    timed(
        "annotator_parity_s",
        lambda: f.annotator_parity(d["annotator"], d["label"], {"sex": d["sex"]}, positive=1),
    )
    report = timed(
        "model_fairness_s",
        lambda: fm.model_fairness(
            d["label"], d["pred"], {"sex": d["sex"]}, positive=1, n_boot=args.n_boot, seed=0
        ),
    )
    timed(
        "model_fairness_intersection_s",
        lambda: fm.model_fairness(
            d["label"],
            d["pred"],
            {"sex": d["sex"], "region": d["region"]},
            positive=1,
            n_boot=args.n_boot,
            seed=0,
        ),
    )
    timed("representation_s", lambda: f.representation(d["split"], {"sex": d["sex"]}))
    print(
        json.dumps(
            {
                "n": args.n,
                "n_boot": args.n_boot,
                "import_s": round(import_s, 3),
                **timings,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "dp_difference": report.fairlearn["demographic_parity_difference"].as_dict(),
                "load": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
