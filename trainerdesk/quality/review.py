"""Final labels from several annotators' answers: majority vote and Dawid–Skene.

Pure computation (no Django): the services feed it answers read from the database.

- `majority_vote`: per field, the answer given most often among the non-skipped answers.
  A tie at the top gives that field NO final answer (it is left out, and listed in
  `Majority.ties`), because picking the earliest or a random one would silently turn a
  disagreement into a label. No answers at all give no final answer.
- `dawid_skene`: the EM estimate of Dawid & Skene (1979) for one single-choice field: class
  priors and one confusion matrix per annotator, so an accurate annotator outweighs several
  careless ones. Vectorised with NumPy over the observation arrays (no Python loop per
  item or annotation); written here because no maintained, permissively licensed package
  does just this (crowd-kit pulls in pandas and a tree of extras; the GPL ones cannot be
  linked).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import numpy as np


def _key(value: Any) -> bytes:
    # Canonical JSON so {"a":1,"b":2} and {"b":2,"a":1} count as the same answer.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@dataclass
class Majority:
    answer: dict | None
    ties: list[str] = field(default_factory=list)


def majority_vote(answers: Sequence[dict]) -> Majority:
    """Per field, the value most answers agree on; a tied field has no final value."""
    if len(answers) <= 1:  # the common case in exports: no vote to count
        return Majority(dict(answers[0]) or None if answers else None)
    final: dict = {}
    ties: list[str] = []
    for name in dict.fromkeys(key for answer in answers for key in answer):
        votes = Counter(_key(a[name]) for a in answers if name in a)
        (top, n), *rest = votes.most_common()
        if rest and rest[0][1] == n:
            ties.append(name)
            continue
        final[name] = orjson.loads(top)
    return Majority(final or None, ties)


def agreeing_count(answers: Sequence[dict]) -> int:
    """How many of the answers equal the most common whole answer."""
    if not answers:
        return 0
    return Counter(_key(a) for a in answers).most_common(1)[0][1]


def disagree(answers: Sequence[dict]) -> bool:
    """Whether the (non-skipped) answers are not all the same."""
    return len({_key(a) for a in answers}) > 1


@dataclass
class DawidSkene:
    posterior: np.ndarray  # (items, classes): P(true class | the labels given)
    priors: np.ndarray  # (classes,)
    confusion: np.ndarray  # (annotators, true class, given class)
    accuracy: np.ndarray  # (annotators,): expected share of their labels that are right
    iterations: int
    converged: bool  # False: stopped at max_iter with a posterior still moving
    last_change: float = 0.0  # the largest posterior change in the last round

    @property
    def note(self) -> str:
        """Empty when EM converged, else what to tell the person reading the labels."""
        if self.converged:
            return ""
        return (
            f"did not converge: stopped after {self.iterations} rounds with posteriors still "
            f"moving by up to {self.last_change:.2g}; the labels are the last round's estimate"
        )

    def labels(self) -> np.ndarray:
        """The most probable class per item (ties to the lower class index)."""
        return self.posterior.argmax(axis=1)


def dawid_skene(
    items: Sequence[int] | np.ndarray,
    annotators: Sequence[int] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    n_items: int,
    n_annotators: int,
    n_classes: int,
    tol: float = 1e-6,
    max_iter: int = 200,
    smoothing: float = 0.01,
    diagonal: float = 1.0,
) -> DawidSkene:
    """EM for one single-choice field. Observation k says annotator annotators[k] gave
    item items[k] the class labels[k] (all 0-based indexes).

    Starts from the majority vote's vote shares (deterministic), alternates the M-step
    (priors and confusion matrices from the current posteriors, with additive `smoothing`
    so a class nobody used or a pair never seen keeps a finite log, plus `diagonal`
    pseudo-observations of a correct label per class and annotator: the prior belief that
    annotators beat chance, without which EM on thinly covered data, e.g. a single
    annotator, drifts from their labels towards uniform posteriors) and the E-step
    (posteriors from priors × the confusion entries of each label given), and stops when
    no posterior moves by more than `tol` or after `max_iter` rounds. Items nobody
    labelled keep the priors as posterior.
    """
    # Imported here: every web worker imports this module (the export's majority vote),
    # and NumPy adds ~12 MB to an idle worker that may never run Dawid–Skene.
    import numpy as np

    items = np.asarray(items, dtype=np.int64)
    annotators = np.asarray(annotators, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if not (len(items) == len(annotators) == len(labels)):
        raise ValueError("items, annotators and labels must have the same length")
    if n_classes < 1 or n_items < 0 or n_annotators < 0:
        raise ValueError("n_classes must be at least 1; n_items, n_annotators not negative")
    if max_iter < 1:
        raise ValueError(f"max_iter: must be at least 1, got {max_iter}")
    for name, arr, n in (("items", items, n_items), ("annotators", annotators, n_annotators),
                         ("labels", labels, n_classes)):  # fmt: skip
        if len(arr) and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"{name}: indexes must lie in 0..{n - 1}")
    silent = np.setdiff1d(np.arange(n_annotators), annotators)
    if silent.size:
        # Their accuracy would be 0/0 (it used to come back NaN).
        shown = ", ".join(str(int(j)) for j in silent[:10])
        raise ValueError(
            f"annotators: {silent.size} of n_annotators={n_annotators} gave no label "
            f"(index {shown}); leave them out and number the others 0..k-1"
        )

    # Initial posteriors: each item's vote shares; unlabelled items uniform.
    votes = np.zeros((n_items, n_classes))
    np.add.at(votes, (items, labels), 1.0)
    totals = votes.sum(axis=1, keepdims=True)
    posterior = np.where(totals > 0, votes / np.maximum(totals, 1), 1.0 / n_classes)

    converged = False
    rounds = 0
    delta = 0.0
    while rounds < max_iter:
        rounds += 1
        # M-step.
        priors = posterior.sum(axis=0) + smoothing
        priors /= priors.sum()
        confusion = np.full((n_annotators, n_classes, n_classes), smoothing)
        confusion += diagonal * np.eye(n_classes)
        # confusion[j, k, l] += posterior[i, k] for every observation (i, j, l).
        # ignore: NumPy's stubs take only integer arrays as ufunc.at indices; a tuple index
        # with a slice is what its docs show.
        np.add.at(confusion, (annotators, slice(None), labels), posterior[items])  # type: ignore[arg-type]
        confusion /= confusion.sum(axis=2, keepdims=True)
        # E-step, in logs.
        log_post = np.tile(np.log(priors), (n_items, 1))
        np.add.at(log_post, items, np.log(confusion[annotators, :, labels]))
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)
        delta = np.abs(new - posterior).max() if n_items else 0.0
        posterior = new
        if delta < tol:
            converged = True
            break

    given = np.bincount(annotators, minlength=n_annotators).astype(float)
    right = np.bincount(annotators, weights=posterior[items, labels], minlength=n_annotators)
    accuracy = right / given  # every annotator gave a label (checked above)
    return DawidSkene(posterior, priors, confusion, accuracy, rounds, converged, float(delta))


@dataclass
class DawidSkeneFit:
    """dawid_skene over keys and values: finals {item key: (class value, posterior)},
    accuracy {annotator key: estimated accuracy}, and whether EM converged."""

    finals: dict
    accuracy: dict
    converged: bool = True
    iterations: int = 0
    note: str = ""  # why the estimate may not be settled (empty when converged)


def dawid_skene_labels(
    observations: Sequence[tuple[object, object, str]], classes: Sequence[str], **options: Any
) -> tuple[dict, dict]:
    """Dawid–Skene over (item key, annotator key, class value) triples; returns
    ({item key: (class value, its posterior)}, {annotator key: estimated accuracy}).
    Values outside `classes` are ignored (a label removed from the schema). Use
    dawid_skene_fit to learn whether EM converged."""
    fit = dawid_skene_fit(observations, classes, **options)
    return fit.finals, fit.accuracy


def dawid_skene_fit(
    observations: Sequence[tuple[object, object, str]], classes: Sequence[str], **options: Any
) -> DawidSkeneFit:
    """dawid_skene_labels with the convergence flag and its note."""
    class_index = {c: i for i, c in enumerate(classes)}
    kept = [(i, a, class_index[v]) for i, a, v in observations if v in class_index]
    item_keys = list(dict.fromkeys(i for i, _, _ in kept))
    annotator_keys = list(dict.fromkeys(a for _, a, _ in kept))
    if not kept:
        return DawidSkeneFit({}, {})
    item_index = {k: n for n, k in enumerate(item_keys)}
    annotator_index = {k: n for n, k in enumerate(annotator_keys)}
    result = dawid_skene(
        [item_index[i] for i, _, _ in kept],
        [annotator_index[a] for _, a, _ in kept],
        [c for _, _, c in kept],
        n_items=len(item_keys),
        n_annotators=len(annotator_keys),
        n_classes=len(classes),
        **options,
    )
    best = result.labels()
    finals = {
        key: (classes[best[n]], float(result.posterior[n, best[n]]))
        for n, key in enumerate(item_keys)
    }
    accuracy = {key: float(result.accuracy[n]) for n, key in enumerate(annotator_keys)}
    return DawidSkeneFit(finals, accuracy, result.converged, result.iterations, result.note)
