"""The disagreement queue, error analysis with its bulk actions, iterations and the
comparison of runs (issue 12), through services, pages and the API."""

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.evaluation import services
from trainerdesk.evaluation.models import FeedbackBatch, Iteration
from trainerdesk.evaluation.services import feedback, iterations
from trainerdesk.lib.audit import ids_digest
from trainerdesk.quality.models import Review
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Item
from trainerdesk.workbench.services import InvalidInput

pytestmark = pytest.mark.django_db


def api(project, rest=""):
    return f"/api/v1/projects/{project.pk}/evaluation{rest}"


def _run(project, owner, name, **kw):
    version = services.version_for(project=project, model_version=name, by=owner)
    run = services.start_evaluation(version=version, scope="all", resamples=200, by=owner, **kw)
    return services.run_evaluation(run_id=run.pk)


def _truth(item):
    return item.annotations.get().answer["topic"]


def test_disagreements_name_their_reasons(labelled, owner, teammate):
    items = labelled.labelled_items
    version = services.version_for(project=labelled, model_version="v1", by=owner)
    # A gold item the model is confidently wrong on ...
    gold = items[0]
    workbench.set_gold(
        project=labelled, item=gold, reference={"topic": "tech"}, is_gold=True, by=owner
    )
    workbench.add_prediction(
        project=labelled,
        item=gold,
        answer={"topic": "sport"},
        model_version="v1",
        score=0.95,
        by=owner,
    )
    # ... and an item where people disagree (2 vs 1) and the model sides with the one.
    split_item = items[1]
    truth = _truth(split_item)
    other = [t for t in ("business", "sport", "tech") if t != truth][0]
    from trainerdesk.workbench.models import Annotation

    Annotation.objects.create(
        project=labelled,
        item=split_item,
        answer={"topic": other},
        imported_annotator="ext-1",
        guideline_version=1,
    )
    Annotation.objects.create(
        project=labelled,
        item=split_item,
        answer={"topic": truth},
        imported_annotator="ext-2",
        guideline_version=1,
    )
    workbench.add_prediction(
        project=labelled, item=split_item, answer={"topic": other}, model_version="v1", by=owner
    )
    found = {e["item"]: e for e in feedback.find_disagreements(project=labelled, version=version)}
    assert "gold" in found[gold.pk]["reasons"]
    assert "minority" in found[split_item.pk]["reasons"]
    preds = {
        i.pk: i.predictions.filter(model_version="v1").order_by("id").last().answer["topic"]
        for i in items[2:]
    }
    wrong = {pk for pk, p in preds.items() if p != _truth(Item.objects.get(pk=pk))}
    assert wrong
    assert {pk for pk in found if pk in preds} == wrong
    assert all(found[pk]["reasons"] == ["final"] for pk in wrong)


def test_disagreement_queue_goes_to_review_in_one_api_call(labelled, owner, client_for):
    client = client_for(owner)
    version = services.version_for(project=labelled, model_version="v1", by=owner)
    response = client.post(
        api(labelled, "/disagreement-queue"),
        {"version": version.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    batch = FeedbackBatch.objects.get()
    ids = [e["item"] for e in batch.entries]
    assert batch.kind == "review" and len(ids) == response.json()["items"] > 0
    event = AuditEvent.objects.get(action="evaluation.feedback.review")
    assert (event.changes["count"], event.changes["ids_sha256"]) == ids_digest(ids)
    page = client.get(f"/projects/{labelled.pk}/models/review-queue/").content.decode()
    assert f"review/?item={ids[0]}" in page and "the model disagrees with the final label" in page


def test_relabel_sends_answers_back_to_their_author(labelled, owner, teammate):
    item = Item.objects.filter(project=labelled, done_count=0).first()
    workbench.submit_annotation(
        project=labelled,
        item=workbench.next_item(project=labelled, user=teammate),
        user=teammate,
        answer={"topic": "sport"},
    )
    item = Item.objects.get(annotations__annotator=teammate)
    feedback.send_items(
        project=labelled,
        kind="relabel",
        source="errors",
        entries=[{"item": item.pk, "reason": "an error of run 1"}],
        by=owner,
    )
    review = Review.objects.get(item=item)
    assert review.sent_back and "an error of run 1" in review.reason
    assert review.original_answer == {"topic": "sport"}
    # First in the author's queue again.
    assert workbench.next_item(project=labelled, user=teammate).pk == item.pk


def test_a_relabel_is_no_rejection_on_the_authors_record(labelled, owner, teammate):
    # The model disagreeing says nothing of the annotator's work: their review acceptance
    # (scorecards, and the vetting evidence drawn from them) must not count it. Before the
    # `judged` flag it counted as a rejection: 0 of 1 accepted.
    from trainerdesk.quality.services import reviews, scorecards

    workbench.submit_annotation(
        project=labelled,
        item=workbench.next_item(project=labelled, user=teammate),
        user=teammate,
        answer={"topic": "sport"},
    )
    item = Item.objects.get(annotations__annotator=teammate)
    feedback.send_items(
        project=labelled, kind="relabel", source="errors", entries=[{"item": item.pk}], by=owner
    )
    assert Review.objects.get(item=item).judged is False
    assert scorecards.review_acceptance(project=labelled, annotator=teammate)["available"] is False

    # A reviewer's own rejection still counts.
    again = workbench.submit_annotation(
        project=labelled, item=item, user=teammate, answer={"topic": "sport"}
    ).annotation
    reviews.record_review(
        project=labelled, annotation=again, reviewer=owner, decision="rejected", reason="no"
    )
    acceptance = scorecards.review_acceptance(project=labelled, annotator=teammate)
    assert (acceptance["reviewed"], acceptance["rejected"]) == (1, 1)


def test_send_refuses_items_of_other_projects_and_stores_nothing(labelled, owner):
    with pytest.raises(InvalidInput, match="not items of this project"):
        feedback.send_items(
            project=labelled, kind="review", source="errors", entries=[{"item": 10**9}], by=owner
        )
    with pytest.raises(InvalidInput, match="select at least one item"):
        feedback.send_items(project=labelled, kind="review", source="errors", entries=[], by=owner)
    assert not FeedbackBatch.objects.exists()


def test_error_page_lists_errors_and_sends_a_selection(labelled, owner, client_for):
    run = _run(labelled, owner, "v1")
    errors = feedback.run_errors(run=run)
    assert errors and all(e["truth"] != e["pred"] for e in errors)
    confusion = run.metrics["confusion"]
    right = sum(confusion[i][i] for i in range(len(confusion)))
    assert len(errors) == run.items_evaluated - right
    client = client_for(owner)
    url = f"/projects/{labelled.pk}/models/runs/{run.pk}/errors/"
    page = client.get(url).content.decode()
    assert f"/items/{errors[0]['item']}/" in page and "Send the selected to review" in page
    # No suite yet: nothing to add to (the suites' view exists, the button waits for one).
    assert "Add to a behavioural suite" not in page and "No behavioural suite yet" in page
    picked = [errors[0]["item"], errors[1]["item"]]
    response = client.post(url, {"item": picked, "kind": "review"})
    assert response.status_code == 302
    assert sorted(e["item"] for e in FeedbackBatch.objects.get().entries) == sorted(picked)
    truth = errors[0]["truth"]
    filtered = client.get(url, {"truth": truth}).context["errors"]
    assert filtered and all(e["truth"] == truth for e in filtered)
    assert (
        client.get(api(labelled, f"/runs/{run.pk}/errors")).json()[0]["item"] == errors[0]["item"]
    )


def test_iterations_record_the_paired_change_and_the_headline(labelled, owner, client_for):
    a, b = _run(labelled, owner, "v1"), _run(labelled, owner, "v2")
    first = iterations.record_iteration(project=labelled, run=a, name="round 1", by=owner)
    second = iterations.record_iteration(project=labelled, run=b, name="round 2", by=owner)
    assert (first.number, second.number) == (1, 2) and first.change == {}
    change = second.change
    assert change["paired"] is True and change["items"] == a.items_evaluated
    ea = a.metrics["intervals"]["error_rate"]["value"]
    eb = b.metrics["intervals"]["error_rate"]["value"]
    assert change["difference"] == pytest.approx(eb - ea)
    assert change["low"] <= change["difference"] <= change["high"]
    head = iterations.headline([first, second])
    assert head["text"].startswith("Error rate down")
    assert f"{100 * ea:.1f}% → {100 * eb:.1f}%" in head["text"]
    page = client_for(owner).get(f"/projects/{labelled.pk}/models/").content.decode()
    assert "iterations-chart" in page and "iterations-data" in page
    assert head["text"].replace("→", "&rarr;") in page or head["text"] in page
    got = client_for(owner).get(api(labelled, "/iterations")).json()
    assert [i["number"] for i in got] == [1, 2] and got[1]["change"]["paired"] is True


def test_an_unfinished_run_is_no_iteration(labelled, owner):
    version = services.version_for(project=labelled, model_version="v1", by=owner)
    run = services.start_evaluation(version=version, scope="all", resamples=200, by=owner)
    with pytest.raises(InvalidInput, match="not done"):
        iterations.record_iteration(project=labelled, run=run, by=owner)
    assert not Iteration.objects.exists()


def test_comparison_puts_regressions_first(labelled, owner, client_for):
    good, bad = _run(labelled, owner, "v2"), _run(labelled, owner, "v1")
    result = iterations.compare_many(runs=[good, bad])
    assert result["metrics"][0]["regression"] is True
    error = next(r for r in result["metrics"] if r["key"] == "error_rate")
    assert error["cells"][1]["direction"] == "worse" and error["cells"][1]["beyond_noise"]
    flags = [r["regression"] for r in result["slices"]]
    assert flags == sorted(flags, reverse=True)
    page = (
        client_for(owner)
        .get(f"/projects/{labelled.pk}/models/compare/", {"run": [good.pk, bad.pk]})
        .content.decode()
    )
    assert "regression" in page and f"Run {good.pk}" in page and f"Run {bad.pk}" in page
    response = client_for(owner).get(api(labelled, f"/comparison?run={good.pk}&run={bad.pk}"))
    assert response.status_code == 200 and response.json()["base"] == good.pk
    one = client_for(owner).get(api(labelled, f"/comparison?run={good.pk}"))
    assert one.status_code == 400 and "two or more" in one.content.decode()


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_annotators_never_reach_the_loop_pages(labelled, owner, who, request, client_for):
    run = _run(labelled, owner, "v1")
    iterations.record_iteration(project=labelled, run=run, by=owner)
    client = client_for(request.getfixturevalue(who))
    base = f"/projects/{labelled.pk}/models"
    for url in (
        f"{base}/runs/{run.pk}/errors/",
        f"{base}/review-queue/",
        f"{base}/compare/?run={run.pk}&run={run.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"{base}/runs/{run.pk}/errors/", {"item": [1], "kind": "review"}).status_code
        == 404
    )
    for path in (
        f"/runs/{run.pk}/errors",
        "/iterations",
        f"/comparison?run={run.pk}&run={run.pk}",
        "/versions/1/disagreements",
    ):
        assert client.get(api(labelled, path)).status_code == 404, path
    for path, body in (
        ("/disagreement-queue", {"version": run.version_id}),
        ("/feedback", {"kind": "review", "items": [1]}),
        ("/iterations", {"run": run.pk}),
    ):
        response = client.post(api(labelled, path), body, content_type="application/json")
        assert response.status_code == 404, path
    assert not FeedbackBatch.objects.exists()


def test_reviewer_sees_but_cannot_send(labelled, owner, teammate, client_for):
    workbench.set_project_member(project=labelled, user=teammate, role="reviewer", by=owner)
    run = _run(labelled, owner, "v1")
    client = client_for(teammate)
    page = client.get(f"/projects/{labelled.pk}/models/runs/{run.pk}/errors/")
    assert page.status_code == 200 and "Send the selected" not in page.content.decode()
    response = client.post(
        api(labelled, "/feedback"),
        {"kind": "review", "items": [1]},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)


def test_model_page_sends_the_disagreements_in_one_action(labelled, owner, client_for):
    version = services.version_for(project=labelled, model_version="v1", by=owner)
    client = client_for(owner)
    page = client.get(f"/projects/{labelled.pk}/models/").content.decode()
    assert "Send the disagreements" in page
    response = client.post(
        f"/projects/{labelled.pk}/models/",
        {"action": "disagreements", "version": version.pk, "kind": "review"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/review-queue/")
    batch = FeedbackBatch.objects.get()
    assert batch.source == "disagreement" and batch.version == version
    assert all(e["reason"] for e in batch.entries)


def test_errors_go_into_a_behavioural_suite_in_one_action(labelled, owner, client_for):
    """The error page POSTs the selection (`suite`, repeated `item`, `next`) to the suites'
    evaluation:suite_add_cases view; the items become cases of the suite."""
    from django.urls import reverse

    from trainerdesk.evaluation.models import SuiteCase
    from trainerdesk.evaluation.services import suites

    suite = suites.create_suite(project=labelled, name="found in errors", by=owner)
    run = _run(labelled, owner, "v1")
    url = f"/projects/{labelled.pk}/models/runs/{run.pk}/errors/"
    client = client_for(owner)
    body = client.get(url).content.decode()
    add = reverse("evaluation:suite_add_cases", args=[labelled.pk])
    assert f'formaction="{add}"' in body and "Add to a behavioural suite" in body
    assert f'<option value="{suite.pk}">found in errors</option>' in body
    picked = [e["item"] for e in feedback.run_errors(run=run)[:2]]
    response = client.post(add, {"suite": suite.pk, "item": picked, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert SuiteCase.objects.filter(test__suite=suite).count() == 2


def test_a_relabelled_reference_is_measured_again_not_compared_stale(labelled, owner):
    """Run 1 scored v1 against the old labels; after relabelling, the change compares both
    versions on today's references, and says the stored rates are not comparable."""
    a = _run(labelled, owner, "v1")
    iterations.record_iteration(project=labelled, run=a, by=owner)
    wrong = [e["item"] for e in feedback.run_errors(run=a)][:3]
    for pk in wrong:  # the "human" label moves to what v1 predicted
        item = Item.objects.get(pk=pk)
        guess = item.predictions.filter(model_version="v1").order_by("id").last().answer
        workbench.submit_annotation(project=labelled, item=item, user=owner, answer=guess)
    b = _run(labelled, owner, "v2")
    change = iterations.record_iteration(project=labelled, run=b, by=owner).change
    assert change["paired"] and change["references_changed"] is True
    assert change["stored_before"] == a.metrics["intervals"]["error_rate"]["value"]
    assert change["before"] == pytest.approx(change["stored_before"] - 3 / a.items_evaluated)
    assert "references changed since" in change["computed_on"]


def test_a_run_on_one_class_stores_kappa_as_null(project, owner):
    """One item, one class on both sides: kappa is NaN (as scikit-learn answers), which
    JSON cannot hold; the run finishes with kappa null instead of failing to save."""
    item = project.items.order_by("pk").first()
    workbench.submit_annotation(project=project, item=item, user=owner, answer={"topic": "tech"})
    workbench.add_prediction(project=project, item=item, answer={"topic": "tech"},
                             model_version="one", by=owner)  # fmt: skip
    run = _run(project, owner, "one")
    assert run.status == "done", run.message
    run.refresh_from_db()
    assert run.metrics["kappa"] is None and run.metrics["accuracy"] == 1.0
