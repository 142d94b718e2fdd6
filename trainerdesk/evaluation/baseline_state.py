"""A trained baseline's fitted parameters as plain arrays, and a predictor rebuilt from
them: what a suite run needs to ask a baseline version about texts that are not items
(the trainer predicts every item once and keeps no model).

Stored as a NumPy .npz archive read with `allow_pickle=False`, so loading runs no code
from the database (a pickled scikit-learn object would). The predictor redoes what
`TfidfVectorizer.transform` and `LogisticRegression.predict_proba` do with the same
vocabulary, idf, coefficients and intercepts: counts with the fitted vocabulary, sublinear
tf, idf, L2 rows, then softmax (or, for two classes, the logistic) of the linear scores; a
test checks it equals the fitted model's probabilities. Single-label only, like the
trainer. No Django imports.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

FORMAT = 1


def dump(model: Any) -> bytes:
    """The archive of a `baseline.TrainedModel` (single-label)."""
    if model.multi_label:
        raise ValueError("multi_label: only single-label baselines are kept")
    vocabulary = model.vectorizer.vocabulary_
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    meta = {
        "format": FORMAT,
        "labels_order": list(model.labels_order),
        "ngram_max": model.params["ngram_max"],
        "sublinear_tf": model.params["sublinear_tf"],
        "model_digest": model.model_digest,
    }
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        terms=np.frombuffer("\n".join(terms).encode(), dtype=np.uint8),
        idf=np.asarray(model.vectorizer.idf_, dtype=np.float64),
        coef=np.asarray(model.classifier.coef_, dtype=np.float64),
        intercept=np.asarray(model.classifier.intercept_, dtype=np.float64),
        columns=np.asarray(model._columns, dtype=np.int64),
    )
    return buffer.getvalue()


class Predictor:
    """`predict_proba(texts)` → n × labels (in `labels_order`), from a dumped archive."""

    def __init__(self, data: bytes) -> None:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            if meta.get("format") != FORMAT:
                raise ValueError(f"state: format {meta.get('format')} is not {FORMAT}")
            raw_terms = archive["terms"].tobytes().decode()
            self.terms = raw_terms.split("\n") if raw_terms else []
            self.idf = archive["idf"]
            self.coef = archive["coef"]
            self.intercept = archive["intercept"]
            self.columns = archive["columns"]
        self.labels_order: list[str] = meta["labels_order"]
        self.model_digest: str = meta["model_digest"]
        self.sublinear_tf = bool(meta["sublinear_tf"])
        from sklearn.feature_extraction.text import CountVectorizer

        self._counter = CountVectorizer(
            ngram_range=(1, meta["ngram_max"]),
            vocabulary={term: i for i, term in enumerate(self.terms)},
            dtype=np.float64,
        )

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        from sklearn.preprocessing import normalize

        texts = list(texts)
        out = np.zeros((len(texts), len(self.labels_order)))
        if not texts:
            return out
        counts = self._counter.transform(texts).tocsr()
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        features = normalize(counts.multiply(self.idf).tocsr())
        scores = np.asarray(features @ self.coef.T) + self.intercept
        if self.coef.shape[0] == 1:  # two classes: the logistic of one score
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            raw = np.column_stack([1.0 - positive, positive])
        else:
            scores -= scores.max(axis=1, keepdims=True)
            raw = np.exp(scores)
            raw /= raw.sum(axis=1, keepdims=True)
        out[:, self.columns] = raw
        return out
