"""Label-error detection for single-label text classification: out-of-sample predicted
probabilities from k-fold cross-validation of the project's baseline model (TF-IDF +
a linear classifier), ranked by cleanlab's confident learning.

Pure Python with no Django imports, so the worker, the benchmark and the tests share it.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MODELS = ("sgd", "logreg")
DEFAULT_FOLDS = 5
# cleanlab's own ranking score: the given label's probability minus the best other class's,
# shifted to 0..1. It ranks and scores with one number, so the queue order and the score
# shown beside each finding can never disagree.
RANK_BY = "normalized_margin"


class NotEnoughData(ValueError):
    """The labels cannot support cross-validation; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class Suspect:
    index: int  # position in the texts/labels given
    given: int  # class index
    likely: int  # argmax of the out-of-sample probabilities
    confidence_given: float  # out-of-sample probability of the given label
    quality: float  # cleanlab label-quality score, 0 (surely wrong) .. 1
    rank: int  # 1 = most suspect


@dataclass(slots=True)
class Detection:
    suspects: list[Suspect]
    folds: int  # folds actually used (fewer than asked when a class is small)
    items: int
    parameters: dict = field(default_factory=dict)


def _check(
    labels: np.ndarray, n_classes: int, folds: int, label_names: Sequence[str] | None
) -> int:
    if folds < 2:
        raise NotEnoughData("folds: cross-validation needs at least 2 folds")
    if len(labels) == 0:
        raise NotEnoughData("No labelled items: label some items first")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels: class indices must be in 0..{n_classes - 1}")
    counts = Counter(labels.tolist())
    if len(counts) < 2:
        only = _name(label_names, next(iter(counts)))
        raise NotEnoughData(
            f'Every labelled item has the label "{only}": label-error detection needs at '
            "least two labels in use"
        )
    smallest, count = min(counts.items(), key=lambda pair: (pair[1], pair[0]))
    if count < 2:
        raise NotEnoughData(
            f'The label "{_name(label_names, smallest)}" has only 1 labelled item; each label '
            "in use needs at least 2 for cross-validation"
        )
    return min(folds, count)


def _name(label_names: Sequence[str] | None, index: int) -> str:
    return str(label_names[index]) if label_names is not None else str(index)


def _classifier(model: str, seed: int) -> Any:  # a scikit-learn estimator (untyped)
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    if model == "sgd":
        # Log loss gives probabilities. lbfgs LogisticRegression took 36 s for 10k items
        # (bigram vocabularies are wide) against 5 s for this, with the same precision and
        # recall; 5 epochs gave the same held-out accuracy as 15 (docs/benchmarks.md).
        return SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=5, tol=None, random_state=seed)
    if model == "logreg":
        return LogisticRegression(C=4.0, max_iter=200, random_state=seed)
    raise ValueError(f"model: must be one of {', '.join(MODELS)}, got {model!r}")


def out_of_sample_probabilities(
    texts: Sequence[str],
    labels: np.ndarray,
    *,
    folds: int,
    model: str,
    seed: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Probabilities for each item from a model that never saw its label (k-fold)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold

    n = len(labels)
    # The vectoriser sees every text once, without labels: no label leaks into a held-out
    # fold, and one fit instead of k saves most of the vectorising time. min_df scales
    # with size so rare bigrams don't dominate the feature count on large projects.
    min_df = 1 if n < 2000 else 2 if n < 20000 else 3
    vectorizer = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), min_df=min_df, dtype=np.float32
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError as exc:  # scikit-learn's "empty vocabulary" after tokenising
        raise NotEnoughData(
            "The texts have no words to learn from (every token is shorter than 2 "
            "characters or too rare)"
        ) from exc
    classes = np.unique(labels)
    probabilities = np.zeros((n, len(classes)), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for i, (train, test) in enumerate(splitter.split(np.zeros(n), labels), start=1):
        if on_progress is not None:
            on_progress(i, folds)
        classifier = _classifier(model, seed)
        with warnings.catch_warnings():
            # A capped iteration count is deliberate (speed); its warning is noise here.
            warnings.simplefilter("ignore")
            classifier.fit(matrix[train], labels[train])
        # A training fold always holds every class (stratified, each class >= folds).
        columns = np.searchsorted(classes, classifier.classes_)
        probabilities[np.ix_(test, columns)] = classifier.predict_proba(matrix[test])
    return probabilities


def find_label_errors(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    n_classes: int,
    folds: int = DEFAULT_FOLDS,
    model: str = "sgd",
    seed: int = 0,
    label_names: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Detection:
    """Rank the items whose given label is likely wrong, most suspect first.

    `labels` are class indices into 0..n_classes-1 (label_names, if given, only improve the
    error messages). Raises NotEnoughData when a label in use has fewer than 2 items or
    only one label is in use; with fewer items than folds in some class, the folds shrink
    to that count. `on_progress(fold, folds)` is called before each fold.
    """
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    if len(texts) != len(labels):
        raise ValueError(f"texts and labels differ in length ({len(texts)} vs {len(labels)})")
    if model not in MODELS:
        raise ValueError(f"model: must be one of {', '.join(MODELS)}, got {model!r}")
    given = np.asarray(labels, dtype=np.int64)
    used_folds = _check(given, n_classes, folds, label_names)
    # cleanlab wants labels 0..K-1 with every class present; map the used classes down
    # and back so a label nobody chose is simply absent, not a degenerate column.
    classes, compact = np.unique(given, return_inverse=True)
    probabilities = out_of_sample_probabilities(
        texts, compact, folds=used_folds, model=model, seed=seed, on_progress=on_progress
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # n_jobs=1: the worker process must not fork a pool behind Django's back.
        ranked = find_label_issues(
            compact,
            probabilities,
            return_indices_ranked_by=RANK_BY,
            n_jobs=1,
        )
        scores = get_label_quality_scores(compact, probabilities, method=RANK_BY)
    likely = probabilities.argmax(axis=1)
    suspects = [
        Suspect(
            index=int(index),
            given=int(classes[compact[index]]),
            likely=int(classes[likely[index]]),
            confidence_given=float(probabilities[index, compact[index]]),
            quality=float(scores[index]),
            rank=rank,
        )
        for rank, index in enumerate(ranked, start=1)
    ]
    return Detection(
        suspects=suspects,
        folds=used_folds,
        items=len(given),
        parameters={"folds": used_folds, "model": model, "seed": seed, "rank_by": RANK_BY},
    )
