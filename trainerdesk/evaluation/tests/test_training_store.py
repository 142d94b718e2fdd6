"""The baseline's prediction and storage (issue 12): texts read in keyset batches, the
same matrix as scikit-learn's transform, the version and its predictions stored in one
transaction (a failure midway keeps nothing), and the multi-label baseline end to end."""

import random

import numpy as np
import pytest
from sklearn import metrics as sk

from trainerdesk.evaluation import baseline, services
from trainerdesk.evaluation.models import ModelVersion, PredictedProbabilities, TrainingRun
from trainerdesk.evaluation.services import training
from trainerdesk.evaluation.tests.conftest import TOPIC_WORDS, TOPICS, add_labelled
from trainerdesk.workbench import services as wb
from trainerdesk.workbench.models import Prediction
from trainerdesk.workbench.services import InvalidInput

pytestmark = pytest.mark.django_db

TAGS_SCHEMA = {
    "fields": [
        {"name": "tags", "type": "choice", "source": "text", "multiple": True,
         "labels": [{"value": v} for v in TOPICS]},
    ]
}  # fmt: skip


@pytest.fixture
def ready(project, owner):
    project.labelled_items = add_labelled(project, owner, 12)
    services.create_split(project=project, fraction=0.25, seed=1, by=owner)
    return project


def _train(project, owner, name, **kwargs):
    run = services.train_baseline(project=project, name=name, by=owner, **kwargs)
    return services.run_training(run_id=run.pk)


def test_transform_is_scikit_learns_to_the_bit():
    rng = random.Random(4)
    words = ["Shares", "rose", "ÉCOLE", "école", "x_y", "a", "12", "日本語", "naïve", "--"]
    texts = [
        rng.choice([" ", "\t", "  ", "\n", ", "]).join(rng.choices(words, k=rng.randint(0, 30)))
        for _ in range(300)
    ] + [""]
    labels = [TOPICS[i % 3] for i in range(len(texts))]
    model = baseline.train(texts, labels, labels_order=TOPICS, seed=0)
    ours = baseline.transform(model.vectorizer, texts).tocsr()
    theirs = model.vectorizer.transform(texts).tocsr()
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part
    # Another configuration (bigrams) is scikit-learn's own transform.
    bigrams = baseline.train(texts, labels, labels_order=TOPICS, params={"ngram_max": 2})
    got = baseline.transform(bigrams.vectorizer, texts[:5])
    assert (got != bigrams.vectorizer.transform(texts[:5])).nnz == 0


def test_predictions_in_small_batches_equal_the_model(ready, owner, monkeypatch):
    monkeypatch.setattr(training, "PREDICT_BATCH", 7)
    run = _train(ready, owner, "batched")
    assert run.status == TrainingRun.Status.DONE, run.message
    items = list(ready.items.order_by("pk").values_list("pk", "data"))
    ids, texts, labels = training._training_rows(
        ready, services.field_of(ready, None), services.held_out_ids(ready)
    )
    model = baseline.train(texts, labels, labels_order=TOPICS, seed=0, item_ids=ids)
    expected = model.predict_proba([d["text"] for _pk, d in items])
    stored = dict(
        PredictedProbabilities.objects.filter(version=run.version).values_list(
            "item_id", "probabilities"
        )
    )
    got = np.asarray([stored[pk] for pk, _ in items])
    assert np.array_equal(got, expected)
    answers = dict(
        Prediction.objects.filter(model_version="batched").values_list("item_id", "answer")
    )
    scores = dict(
        Prediction.objects.filter(model_version="batched").values_list("item_id", "score")
    )
    for (pk, _), row in zip(items, expected, strict=True):
        assert answers[pk] == {"topic": TOPICS[int(row.argmax())]}
        assert scores[pk] == row.max()


@pytest.mark.parametrize("where", ["predicting", "storing"])
def test_a_failure_midway_keeps_no_version_and_no_prediction(ready, owner, monkeypatch, where):
    monkeypatch.setattr(training, "PREDICT_BATCH", 5)
    calls = {"n": 0}
    if where == "predicting":
        real = baseline.TrainedModel.predict_proba

        def flaky(self, texts, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("the trainer broke on batch 3")
            return real(self, texts, **kwargs)

        monkeypatch.setattr(baseline.TrainedModel, "predict_proba", flaky)
    else:
        real_bulk = training.audit.record_bulk

        def flaky_bulk(**kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("the database broke on batch 3")
            return real_bulk(**kwargs)

        monkeypatch.setattr(training.audit, "record_bulk", flaky_bulk)
    run = _train(ready, owner, "broken")
    assert run.status == TrainingRun.Status.FAILED
    assert "broke on batch 3" in run.message
    assert calls["n"] == 3
    assert not ModelVersion.objects.filter(project=ready).exists()
    assert not Prediction.objects.filter(model_version="broken").exists()
    assert not PredictedProbabilities.objects.exists()
    assert run.version is None
    # The same name trains once the cause is gone.
    monkeypatch.undo()
    assert _train(ready, owner, "broken").status == TrainingRun.Status.DONE


@pytest.fixture
def tagged(org, owner):
    """A multi-label project: 60 items, each with one or two topics' telling words and
    those topics as its labels; a 25% split."""
    project = wb.create_project(
        organization=org, created_by=owner, name="Tagged", label_schema=TAGS_SCHEMA
    )
    rng = random.Random(9)
    rows, truths = [], []
    for i in range(60):
        tags = sorted(rng.sample(TOPICS, rng.choice((1, 1, 2))))
        words = [w for t in tags for w in rng.sample(TOPIC_WORDS[t], 3)]
        rows.append({"text": " ".join(words) + f" n{i}"})
        truths.append(tags)
    wb.add_items(project=project, items=rows, by=owner)
    for item, tags in zip(project.items.order_by("pk"), truths, strict=True):
        wb.submit_annotation(project=project, item=item, user=owner, answer={"tags": tags})
    services.create_split(project=project, fraction=0.25, seed=1, by=owner)
    return project


def test_multi_label_baseline_trains_predicts_and_evaluates(tagged, owner):
    run = _train(tagged, owner, "tags-1")
    assert run.status == TrainingRun.Status.DONE, run.message
    version = run.version
    assert version.training["multi_label"] is True
    assert version.training["threshold"] == 0.5
    held = services.held_out_ids(tagged)
    assert version.training["items"] == 60 - len(held)
    vectors = dict(
        PredictedProbabilities.objects.filter(version=version).values_list(
            "item_id", "probabilities"
        )
    )
    predictions = dict(
        Prediction.objects.filter(model_version="tags-1").values_list("item_id", "answer")
    )
    assert set(vectors) == set(predictions) == set(tagged.items.values_list("pk", flat=True))
    for pk, vector in vectors.items():
        assert len(vector) == 3  # one probability per label, in the schema's order
        assert predictions[pk]["tags"] == [
            t for t, p in zip(TOPICS, vector, strict=True) if p >= 0.5
        ]

    evaluation = services.start_evaluation(version=version, resamples=200, by=owner)
    evaluation = services.run_evaluation(run_id=evaluation.pk)
    assert evaluation.status == "done", evaluation.message
    truth = {i.pk: i.annotations.get().answer["tags"] for i in tagged.items.filter(pk__in=held)}
    ids = sorted(truth)
    assert evaluation.items_evaluated == len(ids)
    t = np.array([[label in truth[pk] for label in TOPICS] for pk in ids], dtype=int)
    p = np.array([[label in predictions[pk]["tags"] for label in TOPICS] for pk in ids], dtype=int)
    m = evaluation.metrics
    assert abs(m["hamming_loss"] - sk.hamming_loss(t, p)) < 1e-9
    assert abs(m["subset_accuracy"] - sk.accuracy_score(t, p)) < 1e-9
    precision, recall, f1, support = sk.precision_recall_fscore_support(t, p, zero_division=0)
    per_label = m["per_class"]  # per label, in the schema's order
    assert np.allclose(per_label["precision"], precision, rtol=0, atol=1e-9)
    assert np.allclose(per_label["recall"], recall, rtol=0, atol=1e-9)
    assert np.allclose(per_label["f1"], f1, rtol=0, atol=1e-9)
    assert per_label["support"] == support.tolist()
    for avg in ("macro", "micro", "weighted"):
        expected = sk.f1_score(t, p, average=avg, zero_division=0)
        assert abs(m[avg]["f1"] - expected) < 1e-9


def test_multi_label_too_few_labels_says_how_many(org, owner):
    project = wb.create_project(
        organization=org, created_by=owner, name="Few tags", label_schema=TAGS_SCHEMA
    )
    wb.add_items(project=project, items=[{"text": f"goal match {i}"} for i in range(8)], by=owner)
    for i, item in enumerate(project.items.order_by("pk")):
        tags = ["sport"] + (["tech"] if i < 2 else [])
        wb.submit_annotation(project=project, item=item, user=owner, answer={"tags": tags})
    services.create_split(project=project, fraction=0.1, seed=1, by=owner)
    with pytest.raises(InvalidInput) as exc:
        services.train_baseline(project=project, name="few", by=owner)
    message = str(exc.value)
    assert '"tech" is on 2' in message and '"sport" is on' in message
    assert "at least 5 items with it" in message
    assert not TrainingRun.objects.exists()


def test_single_label_baseline_unchanged_by_the_store(ready, owner):
    """The one-transaction store keeps what the first version stored per item."""
    assert _train(ready, owner, "plain").status == TrainingRun.Status.DONE
    assert Prediction.objects.filter(model_version="plain").count() == ready.items.count()
    assert all(p.score is not None for p in Prediction.objects.filter(model_version="plain"))
