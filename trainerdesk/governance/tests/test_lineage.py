"""Lineage: runs linked to the dataset version whose finals give their input digest (when
the version is built, and when a run finishes later), explicit links, page and API."""

import pytest

from trainerdesk.evaluation import services as evaluation
from trainerdesk.evaluation.tests.conftest import add_labelled
from trainerdesk.governance import services
from trainerdesk.governance.models import DatasetVersion, UsedVersion
from trainerdesk.governance.services import lineage
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.quality import services as quality
from trainerdesk.workbench import services as workbench


@pytest.fixture
def runs(project, owner, django_capture_on_commit_callbacks):
    """24 labelled items with a model's predictions, one evaluation run on all of them and
    one label-error run, both finished."""
    items = add_labelled(project, owner, 8)
    for i, item in enumerate(items):
        guess = item.annotations.get().answer["topic"] if i % 4 else "tech"
        workbench.add_prediction(
            project=project, item=item, answer={"topic": guess}, model_version="m1", by=owner
        )
    m1 = evaluation.version_for(project=project, model_version="m1", by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation.start_evaluation(version=m1, scope="all", resamples=100, by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        errors = quality.start_label_error_run(project=project, by=owner, folds=2)
    run.refresh_from_db()
    errors.refresh_from_db()
    assert run.status == "done", run.message
    assert errors.status == "done", errors.message
    return {"evaluation": run, "label_errors": errors, "m1": m1, "items": items}


def _version(project, name, owner, capture):
    with capture(execute=True):
        v = services.create_version(project=project, name=name, by=owner)
    v.refresh_from_db()
    assert v.status == DatasetVersion.Status.DONE
    return v


def _links(version):
    return set(
        UsedVersion.objects.filter(version=version).values_list("run_type", "run_id", "match")
    )


def test_a_built_version_links_the_runs_that_read_its_labels(
    runs, project, owner, django_capture_on_commit_callbacks
):
    v1 = _version(project, "v1", owner, django_capture_on_commit_callbacks)

    assert _links(v1) == {
        ("evaluation_run", runs["evaluation"].pk, "digest"),
        ("label_error_run", runs["label_errors"].pk, "digest"),
    }
    link = UsedVersion.objects.get(version=v1, run_type="evaluation_run")
    assert link.digest == runs["evaluation"].items_digest


def test_changed_labels_do_not_match_and_a_later_run_links_itself(
    runs, project, owner, django_capture_on_commit_callbacks
):
    _version(project, "v1", owner, django_capture_on_commit_callbacks)
    add_labelled(project, owner, 1)  # three more labelled items, with no m1 prediction
    v2 = _version(project, "v2", owner, django_capture_on_commit_callbacks)
    # The label-error run read every labelled item: v2 holds three it did not read. The
    # evaluation read the items m1 predicted, whose labels v2 holds unchanged: it matches.
    assert _links(v2) == {("evaluation_run", runs["evaluation"].pk, "digest")}

    item = runs["items"][0]
    workbench.submit_annotation(project=project, item=item, user=owner, answer={"topic": "tech"})
    with django_capture_on_commit_callbacks(execute=True):
        later = quality.start_label_error_run(project=project, by=owner, folds=2)
    later.refresh_from_db()
    assert later.status == "done"
    # Relabelled since v2: the new run's labels are no version's yet.
    assert UsedVersion.objects.filter(run_type="label_error_run", run_id=later.pk).count() == 0
    v3 = _version(project, "v3", owner, django_capture_on_commit_callbacks)
    assert ("label_error_run", later.pk, "digest") in _links(v3)
    assert lineage.match_version(v3) == 0  # idempotent
    assert lineage.match_run("label_error_run", later) == 0
    # A run that finishes after the version was built links itself (runs.after_finish).
    with django_capture_on_commit_callbacks(execute=True):
        again = quality.start_label_error_run(project=project, by=owner, folds=2)
    assert ("label_error_run", again.pk, "digest") in _links(v3)


def test_explicit_link_and_bad_input(runs, project, owner, outsider, org):
    v = services.create_version(project=project, name="v1", by=owner)  # not built: fine
    link = lineage.record_used_version(
        version=v, run_type="label_error_run", run_id=runs["label_errors"].pk, note="by hand",
        by=owner,
    )  # fmt: skip
    assert (link.match, link.recorded_by, link.note) == ("explicit", owner, "by hand")
    again = lineage.record_used_version(
        version=v, run_type="label_error_run", run_id=runs["label_errors"].pk, by=owner
    )
    assert again.pk == link.pk
    with pytest.raises(InvalidInput, match="run_type"):
        lineage.record_used_version(version=v, run_type="nope", run_id=1, by=owner)
    with pytest.raises(InvalidInput, match="no agreement report 999"):
        lineage.record_used_version(version=v, run_type="agreement_report", run_id=999, by=owner)


def test_page_and_api(
    client, runs, project, owner, teammate, outsider, django_capture_on_commit_callbacks
):
    workbench.set_project_member(project=project, user=owner, role="manager", by=owner)
    v1 = _version(project, "v1", owner, django_capture_on_commit_callbacks)
    client.force_login(owner)
    page = client.get(f"/projects/{project.pk}/versions/{v1.pk}/")
    assert page.status_code == 200
    assert "Evaluation run" in page.content.decode() and "input digest matches" in (
        page.content.decode()
    )
    api = f"/api/v1/projects/{project.pk}/versions/{v1.pk}/lineage"
    listed = client.get(api).json()
    assert {(x["run_type"], x["match"]) for x in listed} == {
        ("evaluation_run", "digest"),
        ("label_error_run", "digest"),
    }
    r = client.post(api, {"run_type": "model_version", "run_id": runs["m1"].pk}, "application/json")
    assert r.status_code == 201 and r.json()["match"] == "explicit"
    bad = client.post(api, {"run_type": "nope", "run_id": 1}, "application/json")
    assert bad.status_code == 400
    by_run = client.get(
        f"/api/v1/projects/{project.pk}/lineage",
        {"run_type": "evaluation_run", "run_id": runs["evaluation"].pk},
    ).json()
    assert [(x["version"], x["match"]) for x in by_run] == [(v1.pk, "digest")]
    assert by_run[0]["version_id"] == v1.version_id
    missing = client.get(
        f"/api/v1/projects/{project.pk}/lineage", {"run_type": "evaluation_run", "run_id": 99999}
    )
    assert missing.status_code == 400
    form = client.post(
        f"/projects/{project.pk}/versions/{v1.pk}/lineage/",
        {"run_type": "evaluation_run", "run_id": "12345"},
    )
    assert form.status_code == 302
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(api).status_code == 404
        by_run = f"/api/v1/projects/{project.pk}/lineage?run_type=evaluation_run&run_id=1"
        assert client.get(by_run).status_code == 404
        assert (
            client.post(
                api, {"run_type": "model_version", "run_id": 1}, "application/json"
            ).status_code
            == 404
        )
        assert (
            client.post(f"/projects/{project.pk}/versions/{v1.pk}/lineage/", {}).status_code == 404
        )


def test_a_baseline_model_version_and_its_training_run_link_to_the_version(
    project, owner, django_capture_on_commit_callbacks
):
    add_labelled(project, owner, 12)
    evaluation.create_split(project=project, fraction=0.25, seed=1, by=owner)
    v1 = _version(project, "v1", owner, django_capture_on_commit_callbacks)
    run = evaluation.train_baseline(project=project, name="baseline", by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation.run_training(run_id=run.pk)
    assert run.status == "done", run.message
    # The model version is linked when it is stored (its training digest is v1's labels
    # outside the split), and its training run with it.
    assert _links(v1) >= {
        ("model_version", run.version.pk, "digest"),
        ("training_run", run.pk, "digest"),
    }
