"""Versions, the fixed split and evaluation runs through the services (the immediate
task backend runs the worker's part when the transaction commits)."""

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.evaluation import services
from trainerdesk.evaluation.models import EvaluationRun, EvaluationSplit, ModelVersion
from trainerdesk.evaluation.tests.conftest import truth_of
from trainerdesk.workbench.services import ConflictError, InvalidInput


def run_now(capture, **kwargs):
    with capture(execute=True):
        run = services.start_evaluation(**kwargs)
    run.refresh_from_db()
    return run


def test_existing_predictions_belong_to_versions_named_by_their_string(labelled, owner):
    versions = services.versions_with_predictions(project=labelled, by=owner)
    assert sorted(v.name for v in versions) == ["v1", "v2"]
    assert services.version_for(project=labelled, model_version="v1").pk in {v.pk for v in versions}
    assert ModelVersion.objects.filter(project=labelled).count() == 2
    assert AuditEvent.objects.filter(action="evaluation.model_version.create").count() == 2


def test_split_is_stratified_has_gold_and_never_changes(labelled, owner):
    gold = labelled.labelled_items[0]
    gold.is_gold, gold.reference = True, {"topic": "business"}
    gold.save()
    split = services.create_split(project=labelled, fraction=0.3, seed=5, by=owner)
    assert gold.pk in split.item_ids
    ids = set(split.item_ids)
    per_label = dict.fromkeys(("business", "sport", "tech"), 0)
    for i, item in enumerate(labelled.labelled_items):
        if item.pk in ids and item.pk != gold.pk:
            per_label[truth_of(i)] += 1
    # 20 per label, 19 for business (the gold item drawn separately): 30% of each, rounded.
    assert per_label == {"business": 6, "sport": 6, "tech": 6}
    with pytest.raises(ConflictError, match="fixed"):
        services.create_split(project=labelled, fraction=0.5, seed=1, by=owner)
    assert EvaluationSplit.objects.get(project=labelled).item_ids == split.item_ids
    assert services.draw_split(
        [i.pk for i in labelled.labelled_items], {}, set(), 0.3, 5
    ) == services.draw_split([i.pk for i in labelled.labelled_items], {}, set(), 0.3, 5)


def test_bad_fraction_names_the_field(labelled, owner):
    with pytest.raises(InvalidInput, match="fraction"):
        services.create_split(project=labelled, fraction=1.5, by=owner)


def test_evaluation_on_the_split_with_intervals_and_slices(
    labelled, owner, django_capture_on_commit_callbacks
):
    services.create_split(project=labelled, fraction=0.5, seed=1, by=owner)
    v2 = services.version_for(project=labelled, model_version="v2", by=owner)
    run = run_now(
        django_capture_on_commit_callbacks, version=v2, slices=["source"], resamples=200,
        by=owner,
    )  # fmt: skip
    assert run.status == EvaluationRun.Status.DONE, run.message
    split = set(EvaluationSplit.objects.get(project=labelled).item_ids)
    held = [(i, it) for i, it in enumerate(labelled.labelled_items) if it.pk in split]
    from trainerdesk.workbench.models import Prediction

    preds = dict(
        Prediction.objects.filter(model_version="v2", item__project=labelled).values_list(
            "item_id", "answer__topic"
        )
    )
    right = sum(preds[it.pk] == truth_of(i) for i, it in held)
    assert run.items_evaluated == len(held)
    assert run.metrics["accuracy"] == pytest.approx(right / len(held))
    ci = run.metrics["intervals"]
    assert ci["resamples"] == 200 and ci["accuracy"]["low"] <= ci["accuracy"]["value"]
    assert len(run.items_digest) == 64
    keys = {(s["key"], s["value"]) for s in run.slices}
    assert ("source", "a") in keys and ("source", "b") in keys
    assert ("length", "1-20 words") in keys and ("length", "21-50 words") in keys
    assert all(s["small"] for s in run.slices)  # 30 held-out items: every slice is small
    rates = [s["error_rate"]["value"] for s in run.slices]
    assert rates == sorted(rates, reverse=True)
    finish = AuditEvent.objects.filter(action="evaluation.run.finish").last()
    assert finish.actor_system == "task:run_evaluation"


def test_evaluation_needs_a_split_or_says_all(labelled, owner, django_capture_on_commit_callbacks):
    v1 = services.version_for(project=labelled, model_version="v1", by=owner)
    with pytest.raises(InvalidInput, match="scope: this project has no evaluation split"):
        services.start_evaluation(version=v1, by=owner)
    run = run_now(django_capture_on_commit_callbacks, version=v1, scope="all", by=owner)
    assert run.status == "done" and run.items_evaluated == 60


def test_split_without_labels_fails_with_a_message(
    project, owner, django_capture_on_commit_callbacks
):
    from trainerdesk.workbench import services as wb

    item = project.items.first()
    wb.add_prediction(project=project, item=item, answer={"topic": "tech"}, model_version="m",
                      by=owner)  # fmt: skip
    services.create_split(project=project, fraction=0.9, by=owner)
    version = services.version_for(project=project, model_version="m", by=owner)
    run = run_now(django_capture_on_commit_callbacks, version=version, by=owner)
    assert run.status == "failed"
    assert run.message.startswith("labels: no item of the evaluation split has both")
    assert run.metrics == {}


def test_probabilities_are_checked_and_give_log_loss(
    labelled, owner, django_capture_on_commit_callbacks
):
    v2 = services.version_for(project=labelled, model_version="v2", by=owner)
    items = labelled.labelled_items
    with pytest.raises(InvalidInput) as exc:
        services.add_probabilities(
            version=v2,
            rows=[
                {"item": items[0].pk, "probabilities": [0.5, 0.5]},
                {"item": items[1].pk, "probabilities": [0.5, 0.4, 0.3]},
                {"item": 10**9, "probabilities": [0.2, 0.3, 0.5]},
            ],
            by=owner,
        )
    errors = exc.value.errors
    assert errors[0].startswith("rows[0].probabilities: needs 3 numbers")
    assert errors[1].startswith("rows[1].probabilities: must sum to 1")
    assert errors[2].startswith("rows[2].item: no item")
    assert not v2.probs.exists()  # nothing stored half-way
    from trainerdesk.workbench.models import Prediction

    preds = dict(
        Prediction.objects.filter(model_version="v2", item__project=labelled).values_list(
            "item_id", "answer__topic"
        )
    )
    order = ["business", "sport", "tech"]
    rows = []
    for item in items:
        vec = [0.1, 0.1, 0.1]
        vec[order.index(preds[item.pk])] = 0.8
        rows.append({"item": item.pk, "probabilities": vec})
    assert services.add_probabilities(version=v2, rows=rows, by=owner) == 60
    run = run_now(django_capture_on_commit_callbacks, version=v2, scope="all", by=owner)
    assert run.metrics["probabilities"] is True
    assert run.metrics["log_loss"] > 0 and 0 <= run.metrics["calibration"]["ece"] <= 1


def test_comparison_sees_the_better_version(labelled, owner, django_capture_on_commit_callbacks):
    v1 = services.version_for(project=labelled, model_version="v1", by=owner)
    v2 = services.version_for(project=labelled, model_version="v2", by=owner)
    a = run_now(django_capture_on_commit_callbacks, version=v1, scope="all", by=owner)
    b = run_now(django_capture_on_commit_callbacks, version=v2, scope="all", by=owner)
    result = services.compare_runs(a=a, b=b, resamples=500)
    assert result["items"] == 60
    diff = b.metrics["accuracy"] - a.metrics["accuracy"]
    assert result["accuracy"]["difference"] == pytest.approx(diff)
    assert result["mcnemar"]["only_b_right"] >= result["mcnemar"]["only_a_right"]
