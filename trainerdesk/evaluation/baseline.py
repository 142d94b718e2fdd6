"""The built-in baseline trainer for text classification (single- and multi-label), so the
label → train → evaluate loop works on a fresh install with no external system.

TF-IDF (word unigrams by default, sublinear tf) + logistic regression; one-vs-rest for
multi-label. Pure Python with no Django imports (like `quality/label_errors.py`): the
worker, the benchmark and the tests share it; the services turn its errors into
`InvalidInput` and store what `TrainedModel.record()` returns.

Reproducibility: the training rows are put in item-id order before fitting and the solver
(lbfgs, seeded) is deterministic, so the same (item, label) set gives the same model and
the same predictions whatever order the caller read it in. The training-set digest uses
`lib/digest.py`'s line format (`item id<TAB>label`, ids sorted), so it can be recomputed
from the database.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from trainerdesk.lib.digest import lines_digest

# Fewer than this many items of a label in use and the model cannot learn it in any useful
# way (and an evaluation of it would be noise): refuse rather than train something that
# looks like a model. A label with no items at all is allowed: its probability is 0.
MIN_PER_LABEL = 5
DEFAULT_BATCH = 2048
DEFAULT_PARAMS: dict[str, Any] = {
    # Word unigrams: bigrams cost 2.5x the time to predict (the 100k-text budget is the
    # tokenizer's) for no gain on topic classification in our measurement.
    "ngram_max": 1,  # word n-grams 1..ngram_max
    "min_df": 1,
    "max_features": 100_000,  # bounds the model's size whatever the corpus
    "sublinear_tf": True,
    "C": 10.0,  # inverse regularisation; TF-IDF rows are L2-normalised, so C is large
    "max_iter": 1000,
}


class NotEnoughLabels(ValueError):
    """The labels cannot support a model; the message says how many are needed."""

    field = "labels"


class HeldOutLeak(ValueError):
    """Items of the held-out evaluation split were passed for training."""

    field = "item_ids"

    def __init__(self, ids: Sequence[Any]) -> None:
        self.ids = list(ids)
        shown = ", ".join(str(i) for i in self.ids[:10])
        more = f" and {len(self.ids) - 10} more" if len(self.ids) > 10 else ""
        super().__init__(
            f"{len(self.ids)} item(s) of the held-out evaluation split were given for "
            f"training: {shown}{more}; the baseline never trains on the evaluation split"
        )


def check_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The defaults overridden by `params`; an unknown key or bad value names itself."""
    merged = dict(DEFAULT_PARAMS)
    for key, value in (params or {}).items():
        if key not in DEFAULT_PARAMS:
            raise ValueError(f"params.{key}: unknown parameter (known: {sorted(DEFAULT_PARAMS)})")
        merged[key] = value
    for key in ("ngram_max", "min_df", "max_features", "max_iter"):
        if not isinstance(merged[key], int) or isinstance(merged[key], bool) or merged[key] < 1:
            raise ValueError(f"params.{key}: must be a positive integer")
    if not isinstance(merged["C"], int | float) or not merged["C"] > 0:
        raise ValueError("params.C: must be a positive number")
    if not isinstance(merged["sublinear_tf"], bool):
        raise ValueError("params.sublinear_tf: must be true or false")
    return merged


def library_versions() -> dict[str, str]:
    """What the numbers depend on, stored with each trained version."""
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def training_digest(item_ids: Sequence[Any], labels: Sequence[Any]) -> str:
    """sha256 of `item id<TAB>label` lines in item-id order (`lib/digest.py`'s format); a
    multi-label answer is its label names sorted, as compact JSON (names may hold commas)."""
    rows = sorted(zip(item_ids, (_label_text(label) for label in labels), strict=True), key=_key)
    return lines_digest(rows)


def _label_text(label: Any) -> str:
    if isinstance(label, str):
        return label
    return json.dumps(sorted(label), ensure_ascii=False, separators=(",", ":"))


def _key(row: tuple[Any, Any]) -> tuple[str, Any]:
    # Ids of one type sort natively (1 < 2 < 10); mixed types still sort deterministically.
    first = row[0]
    return (type(first).__name__, first)


@dataclass
class TrainedModel:
    labels_order: tuple[str, ...]
    multi_label: bool
    params: dict[str, Any]
    seed: int
    items: int
    label_counts: dict[str, int]  # training items per label (positives for multi-label)
    absent_labels: tuple[str, ...]  # labels with no training item: probability 0
    training_digest: str
    model_digest: str
    library_versions: dict[str, str]
    training_seconds: float
    vectorizer: Any = field(repr=False)
    classifier: Any = field(repr=False)
    _columns: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=int))

    def iter_predict_proba(
        self, texts: Iterable[str], *, batch_size: int = DEFAULT_BATCH
    ) -> Iterator[np.ndarray]:
        """Probabilities batch by batch (rows in `labels_order` columns): memory stays that
        of one batch's sparse matrix, whatever the number of texts (an iterator is fine)."""
        if batch_size < 1:
            raise ValueError("batch_size: must be at least 1")
        it = iter(texts)
        while batch := list(islice(it, batch_size)):
            yield self._proba(batch)

    def predict_proba(self, texts: Iterable[str], *, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """All rows at once: n × labels floats (100k × 5 is 4 MB); the text features are
        still built one batch at a time."""
        parts = list(self.iter_predict_proba(texts, batch_size=batch_size))
        if not parts:
            return np.zeros((0, len(self.labels_order)))
        return np.vstack(parts)

    def _proba(self, batch: list[str]) -> np.ndarray:
        features = transform(self.vectorizer, batch)
        with _one_thread():
            raw = self.classifier.predict_proba(features)
        out = np.zeros((len(batch), len(self.labels_order)))
        if self.multi_label and raw.ndim == 1:
            raw = raw[:, None]
        out[:, self._columns] = raw
        return out

    def record(self) -> dict[str, Any]:
        """What a stored model version keeps about its training (JSON-ready)."""
        return {
            "labels_order": list(self.labels_order),
            "multi_label": self.multi_label,
            "params": self.params,
            "seed": self.seed,
            "items": self.items,
            "label_counts": self.label_counts,
            "absent_labels": list(self.absent_labels),
            "training_digest": self.training_digest,
            "model_digest": self.model_digest,
            "library_versions": self.library_versions,
            "training_seconds": round(self.training_seconds, 3),
        }


def train(
    texts: Sequence[str],
    labels: Sequence[str] | Sequence[Collection[str]],
    *,
    labels_order: Sequence[str],
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    item_ids: Sequence[Any] | None = None,
    held_out: Collection[Any] = (),
    multi_label: bool = False,
) -> TrainedModel:
    """Fit the baseline on (text, label) pairs. `labels` are label names (`multi_label`:
    collections of names, possibly empty). `item_ids` (default: positions) name the rows
    for the digest and for the held-out check: any id in `held_out` raises `HeldOutLeak`
    before anything is fitted, so a caller that forgot to remove the split cannot train."""
    start = time.perf_counter()
    merged = check_params(params)
    order = tuple(labels_order)
    if len(set(order)) != len(order) or not order:
        raise ValueError("labels_order: must be a non-empty list of distinct labels")
    if len(texts) != len(labels):
        raise ValueError(f"labels: {len(labels)} labels for {len(texts)} texts")
    ids = list(item_ids) if item_ids is not None else list(range(len(texts)))
    if len(ids) != len(texts):
        raise ValueError(f"item_ids: {len(ids)} ids for {len(texts)} texts")
    if len(set(ids)) != len(ids):
        dupes = sorted(
            (i for i, n in Counter(ids).items() if n > 1), key=lambda i: (str(type(i)), i)
        )
        raise ValueError(f"item_ids: repeated ids {dupes[:10]}")
    held = set(held_out)
    if held:
        leaked = sorted((i for i in ids if i in held), key=lambda i: (type(i).__name__, i))
        if leaked:
            raise HeldOutLeak(leaked)
    counts = _check_labels(labels, order, multi_label=multi_label)

    # Canonical order: the same set of rows gives the same model whatever order it came in.
    positions = sorted(range(len(ids)), key=lambda p: (type(ids[p]).__name__, ids[p]))
    texts_sorted = [texts[p] for p in positions]
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, merged["ngram_max"]),
        min_df=merged["min_df"],
        max_features=merged["max_features"],
        sublinear_tf=merged["sublinear_tf"],
        dtype=np.float64,
    )
    features = vectorizer.fit_transform(texts_sorted)
    with _one_thread():
        classifier, columns = _fit(
            features, labels, positions, order, counts, merged, seed, multi_label
        )
    model = TrainedModel(
        labels_order=order,
        multi_label=multi_label,
        params=merged,
        seed=seed,
        items=len(ids),
        label_counts=counts,
        absent_labels=tuple(name for name in order if counts[name] == 0),
        training_digest=training_digest(ids, labels),
        model_digest=_model_digest(vectorizer, classifier, order, multi_label),
        library_versions=library_versions(),
        training_seconds=0.0,
        vectorizer=vectorizer,
        classifier=classifier,
        _columns=columns,
    )
    model.training_seconds = time.perf_counter() - start
    return model


_DEFAULT_TOKENS = r"(?u)\b\w\w+\b"  # scikit-learn's token_pattern


def transform(vectorizer: Any, texts: Sequence[str]) -> Any:
    """`vectorizer.transform(texts)` (the same matrix, to the bit: tests compare), counted
    with C-level calls: scikit-learn's analyzer looks each token up in the vocabulary in a
    Python loop, 90% of predicting 100,000 articles. Here the tokens of the whole batch
    are looked up by one `map(vocabulary.get, ...)` and counted by SciPy. Only for the
    configuration the baseline fits (word unigrams, lowercase, the default token pattern
    and no stop words, preprocessor, tokenizer or accent stripping); else scikit-learn's."""
    plain = (
        vectorizer.analyzer == "word"
        and tuple(vectorizer.ngram_range) == (1, 1)
        and vectorizer.input == "content"
        and vectorizer.preprocessor is None
        and vectorizer.tokenizer is None
        and vectorizer.stop_words is None
        and vectorizer.strip_accents is None
        and vectorizer.token_pattern is not None
        and all(isinstance(t, str) for t in texts)
    )
    if not plain:
        return vectorizer.transform(texts)
    import re
    from itertools import chain, repeat

    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    source = vectorizer.token_pattern
    if source == _DEFAULT_TOKENS:
        # The same tokens: a greedy run of two or more word characters always starts and
        # ends at a word boundary (a run of one is no match either way), and the two
        # boundary checks cost 40% of the regex's time.
        source = r"\w\w+"
    pattern = re.compile(source)
    if pattern.groups:  # scikit-learn takes the group's text: leave that case to it
        return vectorizer.transform(texts)
    findall = pattern.findall
    if vectorizer.lowercase:
        tokens = [findall(t.lower()) for t in texts]
    else:
        tokens = [findall(t) for t in texts]
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    total = int(lengths.sum())
    vocabulary = vectorizer.vocabulary_
    columns = np.fromiter(
        map(vocabulary.get, chain.from_iterable(tokens), repeat(-1)), dtype=np.int64, count=total
    )
    rows = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
    known = columns >= 0
    counts = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float64), (rows[known], columns[known])),
        shape=(len(tokens), len(vocabulary)),
        dtype=np.float64,
    )
    counts.sum_duplicates()  # also sorts the indices, as CountVectorizer's matrix is
    # TfidfTransformer.transform's steps, in its order (so the floats are the same).
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices]
    if vectorizer.norm is not None:
        counts = normalize(counts, norm=vectorizer.norm, copy=False)
    return counts


def _one_thread() -> Any:
    """BLAS threads spinning on a small sparse problem cost 15x the CPU on a shared 2-core
    machine (measured: lbfgs 5 s against 0.3 s); the worker runs one job per process."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(1)


def _fit(
    features: Any,
    labels: Sequence[Any],
    positions: list[int],
    order: tuple[str, ...],
    counts: dict[str, int],
    merged: dict[str, Any],
    seed: int,
    multi_label: bool,
) -> tuple[Any, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    present = [name for name in order if counts[name] > 0]
    index = {name: i for i, name in enumerate(order)}
    if multi_label:
        from sklearn.multiclass import OneVsRestClassifier

        target = np.zeros((len(positions), len(present)), dtype=int)
        column = {name: j for j, name in enumerate(present)}
        for row, p in enumerate(positions):
            for name in labels[p]:
                target[row, column[name]] = 1
        classifier: Any = OneVsRestClassifier(
            LogisticRegression(C=merged["C"], max_iter=merged["max_iter"], random_state=seed)
        )
        classifier.fit(features, target)
        columns = np.array([index[name] for name in present])
    else:
        y = np.array([index[labels[p]] for p in positions])
        classifier = LogisticRegression(
            C=merged["C"], max_iter=merged["max_iter"], random_state=seed
        )
        classifier.fit(features, y)
        columns = np.asarray(classifier.classes_, dtype=int)
    return classifier, columns


def _check_labels(
    labels: Sequence[Any], order: tuple[str, ...], *, multi_label: bool
) -> dict[str, int]:
    known = set(order)
    counts = dict.fromkeys(order, 0)
    for position, label in enumerate(labels):
        names = label if multi_label else [label]
        if multi_label and isinstance(label, str):
            raise ValueError(f"labels[{position}]: a multi-label answer is a list of labels")
        for name in names:
            if name not in known:
                raise ValueError(f'labels[{position}]: unknown label "{name}"')
            counts[name] += 1
    if not labels:
        raise NotEnoughLabels(
            f"No labelled items: the baseline needs at least {MIN_PER_LABEL} labelled items "
            "per label in use"
        )
    short = {name: n for name, n in counts.items() if 0 < n < MIN_PER_LABEL}
    if short:
        listed = ", ".join(f'"{name}" has {n}' for name, n in short.items())
        raise NotEnoughLabels(
            f"Too few labelled items: {listed}; each label in use needs at least "
            f"{MIN_PER_LABEL} labelled items to train the baseline"
        )
    used = [name for name, n in counts.items() if n > 0]
    if multi_label:
        # One-vs-rest needs items without the label too; a label on every item is constant.
        learnable = [name for name in used if len(labels) - counts[name] >= MIN_PER_LABEL]
        if not learnable:
            raise NotEnoughLabels(
                f"Every label in use is on nearly every item: a label needs at least "
                f"{MIN_PER_LABEL} items with it and {MIN_PER_LABEL} without it"
            )
    elif len(used) < 2:
        only = f' (all are "{used[0]}")' if used else ""
        raise NotEnoughLabels(
            f"The baseline needs at least two labels in use{only}, each with at least "
            f"{MIN_PER_LABEL} labelled items"
        )
    return counts


def _model_digest(vectorizer: Any, classifier: Any, order: tuple[str, ...], multi: bool) -> str:
    """sha256 over the fitted parameters (vocabulary, idf, coefficients, intercepts, in a
    fixed order): equal digests mean equal predictions on the same library versions."""
    h = hashlib.sha256()
    h.update(json.dumps({"labels": list(order), "multi_label": multi}).encode())
    for term, column in sorted(vectorizer.vocabulary_.items()):
        h.update(f"{term}\t{column}\n".encode())
    h.update(np.ascontiguousarray(vectorizer.idf_, dtype=np.float64).tobytes())
    estimators = classifier.estimators_ if multi else [classifier]
    for estimator in estimators:
        for name in ("coef_", "intercept_"):
            value = getattr(estimator, name, None)
            if value is not None:  # a constant one-vs-rest estimator has neither
                h.update(np.ascontiguousarray(value, dtype=np.float64).tobytes())
    return h.hexdigest()
