"""The Model page and the evaluation API through the HTTP client: the owner (manager) sees
and starts everything; the teammate (annotator) and an outsider get 404 everywhere, and
the annotator's project bar has no Model link."""

import pytest

from trainerdesk.evaluation.models import EvaluationRun
from trainerdesk.evaluation.services import version_for


def api(project, rest=""):
    return f"/api/v1/projects/{project.pk}/evaluation{rest}"


def test_full_flow_through_the_api(labelled, owner, client_for, django_capture_on_commit_callbacks):
    client = client_for(owner)
    split = client.post(api(labelled, "/split"), {"fraction": 0.5, "seed": 2},
                        content_type="application/json")  # fmt: skip
    assert split.status_code == 201, split.content
    assert split.json()["items"] == len(split.json()["item_ids"]) > 0
    again = client.post(api(labelled, "/split"), {"fraction": 0.3},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 409
    versions = {v["name"]: v["id"] for v in client.get(api(labelled, "/versions")).json()}
    assert set(versions) == {"v1", "v2"}
    ids = []
    for name in ("v1", "v2"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                api(labelled, "/runs"),
                {"version": versions[name], "slices": ["source"], "resamples": 200},
                content_type="application/json",
            )
        assert response.status_code == 202, response.content
        ids.append(response.json()["id"])
    run = client.get(api(labelled, f"/runs/{ids[1]}")).json()
    assert run["status"] == "done", run["message"]
    assert run["metrics"]["intervals"]["resamples"] == 200
    assert run["slices"] and "error_rate" in run["slices"][0]
    listed = client.get(api(labelled, "/runs")).json()
    assert [r["id"] for r in listed] == ids[::-1]
    compared = client.get(api(labelled, "/compare"), {"a": ids[0], "b": ids[1]}).json()
    assert compared["items"] == run["items_evaluated"]
    assert set(compared) == {"items", "accuracy", "macro_f1", "mcnemar", "a_accuracy", "b_accuracy"}

    page = client.get(f"/projects/{labelled.pk}/models/?run={ids[1]}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Slices, worst first" in body and "Confusion matrix" in body
    assert "200 resamples" in body
    assert f'href="/projects/{labelled.pk}/models/"' in body  # the nav link


def test_bad_probabilities_answer_400_naming_the_row(labelled, owner, client_for):
    client = client_for(owner)
    version = version_for(project=labelled, model_version="v1", by=owner)
    item = labelled.labelled_items[0]
    response = client.post(
        api(labelled, f"/versions/{version.pk}/probabilities"),
        {"rows": [{"item": item.pk, "probabilities": [0.9, 0.9, 0.1]}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["rows[0].probabilities: must sum to 1, sum to 1.9"]


def test_evaluation_without_a_split_answers_400(labelled, owner, client_for):
    version = version_for(project=labelled, model_version="v1", by=owner)
    response = client_for(owner).post(
        api(labelled, "/runs"), {"version": version.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("scope: this project has no evaluation split")
    assert not EvaluationRun.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_annotators_and_outsiders_get_404(labelled, owner, persona, request, client_for):
    version = version_for(project=labelled, model_version="v1", by=owner)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/projects/{labelled.pk}/models/").status_code == 404
    assert client.post(f"/projects/{labelled.pk}/models/", {"action": "split"}).status_code == 404
    for url in ("/versions", "/runs", "/split", "/compare?a=1&b=2"):
        assert client.get(api(labelled, url)).status_code == 404, url
    for url, body in (("/split", {"fraction": 0.2}), ("/runs", {"version": version.pk})):
        response = client.post(api(labelled, url), body, content_type="application/json")
        assert response.status_code == 404, url
    assert not labelled.eval_runs.exists()


def test_annotator_project_bar_has_no_model_link(labelled, teammate, client_for):
    page = client_for(teammate).get(f"/projects/{labelled.pk}/")
    assert page.status_code == 200
    assert f"/projects/{labelled.pk}/models/" not in page.content.decode()


def test_reviewer_reads_but_cannot_start(labelled, owner, teammate, client_for):
    from trainerdesk.workbench import services

    services.set_project_member(project=labelled, user=teammate, role="reviewer", by=owner)
    client = client_for(teammate)
    assert client.get(f"/projects/{labelled.pk}/models/").status_code == 200
    response = client.post(api(labelled, "/split"), {"fraction": 0.2},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 404


def test_manager_starts_from_the_page(labelled, owner, client_for):
    client = client_for(owner)
    response = client.post(
        f"/projects/{labelled.pk}/models/", {"action": "split", "fraction": "0.25", "seed": "1"}
    )
    assert response.status_code == 302
    assert labelled.eval_split.fraction == 0.25
