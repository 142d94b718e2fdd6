"""The built-in baseline wired to the project (issue 12): it trains on the final labels
outside the evaluation split, stores a baseline version whose predictions the Model page
and evaluation runs read, and is reached from the service, API, page and CLI."""

import pytest
from django.core.management import CommandError, call_command

from trainerdesk.evaluation import services
from trainerdesk.evaluation.models import (
    EvaluationRun,
    ModelVersion,
    PredictedProbabilities,
    TrainingRun,
)
from trainerdesk.evaluation.services import training
from trainerdesk.evaluation.tests.conftest import add_labelled
from trainerdesk.lib.digest import lines_digest
from trainerdesk.workbench.models import Prediction
from trainerdesk.workbench.services import InvalidInput

pytestmark = pytest.mark.django_db


def api(project, rest=""):
    return f"/api/v1/projects/{project.pk}/evaluation{rest}"


@pytest.fixture
def ready(project, owner):
    """The topic project with 12 labelled items per topic and a 25% split."""
    project.labelled_items = add_labelled(project, owner, 12)
    services.create_split(project=project, fraction=0.25, seed=1, by=owner)
    return project


def _train(project, owner, name):
    run = services.train_baseline(project=project, name=name, by=owner)
    return services.run_training(run_id=run.pk)


def test_trains_outside_the_split_and_predicts_every_item(ready, owner):
    run = _train(ready, owner, "baseline-1")
    assert run.status == TrainingRun.Status.DONE, run.message
    version = run.version
    assert version.source == ModelVersion.Source.BASELINE
    held = services.held_out_ids(ready)
    trained = sorted({i.pk for i in ready.labelled_items} - held)
    truth = {i.pk: i.annotations.get().answer["topic"] for i in ready.labelled_items}
    # The digest is over exactly the labelled items outside the split.
    assert version.training_digest == lines_digest((pk, truth[pk]) for pk in trained)
    assert version.training["items"] == len(trained)
    assert version.training["held_out_items"] == len(held)
    assert set(version.training) >= {"params", "library_versions", "training_seconds"}
    assert "scikit-learn" in str(version.training["library_versions"])
    every = set(ready.items.values_list("pk", flat=True))
    predicted = Prediction.objects.filter(model_version="baseline-1")
    assert set(predicted.values_list("item_id", flat=True)) == every
    assert PredictedProbabilities.objects.filter(version=version).count() == len(every)
    tested = [p for p in predicted if p.item_id in held and p.item_id in truth]
    assert tested
    right = sum(p.answer["topic"] == truth[p.item_id] for p in tested)
    assert right >= 0.8 * len(tested)  # the telling words are learnt


def test_held_out_items_are_never_trained_on(ready, owner, monkeypatch):
    """A reader that forgets the split hands held-out items to the trainer: it refuses."""
    real = training._training_rows
    monkeypatch.setattr(training, "_training_rows", lambda p, f, held: real(p, f, set()))
    run = _train(ready, owner, "leaky")
    assert run.status == TrainingRun.Status.FAILED
    assert "item_ids" in run.message and "held" in run.message.lower()
    assert not ModelVersion.objects.filter(project=ready, name="leaky").exists()
    assert not Prediction.objects.filter(model_version="leaky").exists()


def test_retraining_the_same_data_gives_the_same_predictions(ready, owner):
    a = _train(ready, owner, "b-a").version
    b = _train(ready, owner, "b-b").version
    assert a.training_digest == b.training_digest
    assert a.training["model_digest"] == b.training["model_digest"]

    def answers(v):
        return dict(
            Prediction.objects.filter(model_version=v.name).values_list("item_id", "answer")
        )

    def vectors(v):
        return dict(
            PredictedProbabilities.objects.filter(version=v).values_list("item_id", "probabilities")
        )

    assert answers(a) == answers(b)
    assert vectors(a) == vectors(b)


def test_train_then_evaluate_gives_a_run(ready, owner):
    version = _train(ready, owner, "baseline-e2e").version
    assert version in services.versions_with_predictions(project=ready, by=owner)
    run = services.start_evaluation(version=version, resamples=200, by=owner)
    run = services.run_evaluation(run_id=run.pk)
    assert run.status == EvaluationRun.Status.DONE, run.message
    assert run.items_evaluated == len(
        services.held_out_ids(ready) & {i.pk for i in ready.labelled_items}
    )
    assert run.metrics["probabilities"] is True
    assert run.metrics["accuracy"] >= 0.8


def test_too_few_labels_names_each_label_and_the_minimum(project, owner):
    add_labelled(project, owner, 3)
    services.create_split(project=project, fraction=0.1, by=owner)
    with pytest.raises(InvalidInput) as exc:
        services.train_baseline(project=project, name="small", by=owner)
    message = str(exc.value)
    for topic in ("business", "sport", "tech"):
        assert f'"{topic}" has' in message
    assert "5" in message and "labels:" in message
    assert not TrainingRun.objects.exists()


def test_refuses_without_a_split_and_a_taken_name(project, owner):
    add_labelled(project, owner, 8)
    with pytest.raises(InvalidInput, match="no evaluation split yet: create it first"):
        services.train_baseline(project=project, name="x", by=owner)
    services.create_split(project=project, fraction=0.2, by=owner)
    assert _train(project, owner, "x").status == TrainingRun.Status.DONE
    with pytest.raises(InvalidInput, match="already has a version 'x'"):
        services.train_baseline(project=project, name="x", by=owner)


def test_api_trains_in_the_background(ready, owner, client_for, django_capture_on_commit_callbacks):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(api(ready, "/train"), {"name": "api-1"},
                               content_type="application/json")  # fmt: skip
    assert response.status_code == 202, response.content
    got = client.get(api(ready, f"/train/{response.json()['id']}")).json()
    assert got["status"] == "done", got["message"]
    assert got["version"] and got["training"]["training_digest"]
    names = {v["name"]: v["source"] for v in client.get(api(ready, "/versions")).json()}
    assert names["api-1"] == "baseline"
    bad = client.post(api(ready, "/train"), {"name": "api-1"}, content_type="application/json")
    assert bad.status_code == 400 and "already has a version" in bad.content.decode()


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_annotators_and_outsiders_get_404(ready, owner, who, request, client_for):
    run = _train(ready, owner, "private")
    client = client_for(request.getfixturevalue(who))
    assert client.post(api(ready, "/train"), {"name": "n"},
                       content_type="application/json").status_code == 404  # fmt: skip
    assert client.get(api(ready, f"/train/{run.pk}")).status_code == 404
    page = client.post(f"/projects/{ready.pk}/models/", {"action": "train", "name": "n"})
    assert page.status_code == 404
    assert TrainingRun.objects.count() == 1


def test_reviewer_cannot_train(ready, owner, teammate, client_for):
    from trainerdesk.workbench.services import set_project_member

    set_project_member(project=ready, user=teammate, role="reviewer", by=owner)
    client = client_for(teammate)
    page = client.get(f"/projects/{ready.pk}/models/")
    assert page.status_code == 200 and "Train the baseline" not in page.content.decode()
    response = client.post(api(ready, "/train"), {"name": "n"}, content_type="application/json")
    assert response.status_code in (403, 404)
    assert not TrainingRun.objects.exists()


def test_manager_trains_from_the_model_page(
    ready, owner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    page = client.get(f"/projects/{ready.pk}/models/")
    assert "Train the baseline" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/projects/{ready.pk}/models/", {"action": "train", "name": "web-1"}
        )
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE, run.message
    page = client.get(f"/projects/{ready.pk}/models/").content.decode()
    assert "web-1" in page and "Built-in baseline trainer" in page


def test_cli_trains_and_names_the_problem(ready, owner, project, capsys):
    call_command("train", str(ready.pk), "--name", "cli-1")
    out = capsys.readouterr().out
    assert "version 'cli-1'" in out and "training digest" in out
    assert ModelVersion.objects.get(project=ready, name="cli-1").source == "baseline"
    with pytest.raises(CommandError, match="already has a version"):
        call_command("train", str(ready.pk), "--name", "cli-1")
