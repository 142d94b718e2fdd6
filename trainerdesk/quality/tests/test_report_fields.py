"""Agreement reports on every field the product creates (the LLM-comparison template's
per-response ratings), the levels and kappa weights a report is computed with, answers left
out of a report (counted, with the reason), and Dawid–Skene's convergence on the report."""

import csv
import io

import pytest
from django.urls import reverse

from trainerdesk.quality import agreement, metrics
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import AgreementReport, ItemAgreement
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Project


def _scores(h, c, s):
    return {"helpfulness": h, "correctness": c, "harmlessness": s}


# Two annotators' answers to three LLM-comparison items with two responses each.
LLM_ANSWERS = {
    "owner": [
        ({"preferred": 1, "strength": 2}, [_scores(2, 3, 5), _scores(5, 4, 5)]),
        ({"preferred": 0, "strength": 1}, [_scores(4, 4, 4), _scores(3, 2, 4)]),
        ({"preferred": "tie"}, [_scores(3, 3, 5), _scores(3, 3, 5)]),
    ],
    "teammate": [
        ({"preferred": 1, "strength": 3}, [_scores(1, 3, 5), _scores(5, 5, 5)]),
        ({"preferred": 1, "strength": 1}, [_scores(4, 3, 4), _scores(4, 2, 3)]),
        ({"preferred": "tie"}, [_scores(2, 3, 5), _scores(3, 4, 5)]),
    ],
}


def _compute(project, owner, captured, **options):
    with captured(execute=True):
        rep = quality.start_agreement_report(project=project, by=owner, **options)
    rep.refresh_from_db()
    return rep


@pytest.fixture
def llm_project(client_for, org, owner, teammate):
    """A project made with the new-project form's "LLM comparison" task type, answered on
    the annotation queue by two people."""
    form = {
        "organization": org.pk, "name": "Chatbots", "description": "", "instructions": "",
        "task_type": "llm_compare", "source": "", "labels": "", "label_schema": "",
        "overlap": 2, "ordering": "sequential", "blind_order": "",
    }  # fmt: skip
    response = client_for(owner).post(reverse("workbench:project_new"), form)
    assert response.status_code == 302
    project = Project.objects.get(name="Chatbots")
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    rows = [{"prompt": f"Question {n}?", "responses": [f"Answer A{n}", f"Answer B{n}"]}
            for n in range(3)]  # fmt: skip
    assert services.add_items(project=project, items=rows, by=project.created_by).added == 3
    for user in (owner, teammate):
        for _ in range(3):
            item = services.next_item(project=project, user=user)
            n = int(item.data["prompt"].split()[1][0])
            preference, ratings = LLM_ANSWERS[user.username][n]
            services.submit_annotation(
                project=project, item=item, user=user,
                answer={"preference": preference, "ratings": ratings, "rationale": "",
                        "ideal_response": ""},
            )  # fmt: skip
    return project


def test_llm_comparison_template_report_with_per_response_ratings(
    llm_project, owner, django_capture_on_commit_callbacks
):
    # Before the fix the report failed with KeyError: 'ratings'.
    rep = _compute(llm_project, owner, django_capture_on_commit_callbacks)
    assert rep.status == AgreementReport.Status.DONE, rep.message
    ratings = rep.results["fields"]["ratings"]
    assert ratings["per_response"] is True and set(ratings["criteria"]) == {
        "helpfulness", "correctness", "harmlessness",
    }  # fmt: skip
    # Each (item, response) is one unit: the figure equals the agreement module's on them.
    for criterion in ("helpfulness", "correctness"):
        rows = [
            ((n, k), who, scores[k][criterion])
            for who, answers in LLM_ANSWERS.items()
            for n, (_p, scores) in enumerate(answers)
            for k in (0, 1)
        ]
        r = agreement.Ratings.from_tuples(rows, categories=range(1, 6))
        sub = ratings["criteria"][criterion]
        assert sub["n_values"] == 12
        assert sub["alpha"]["value"] == pytest.approx(
            metrics.krippendorff_alpha(r, "ordinal").value, 1e-12
        )
        pm = metrics.pair_matrix(r, weights="quadratic")  # ratings' default weights
        assert sub["pairs"][0]["kappa"] == pytest.approx(pm.kappa[0][1], 1e-12)
        assert sub["alpha_by_level"]["ratio"]["value"] == pytest.approx(
            metrics.krippendorff_alpha(r, "ratio").value, 1e-12
        )
    assert ratings["kappa_weights"] == "quadratic" and ratings["dropped"]["count"] == 0
    preference = rep.results["fields"]["preference"]
    assert preference["level"] == "ordinal" and preference["n_values"] == 6
    # Per item: the lowest score over its responses and criteria.
    assert ItemAgreement.objects.filter(report=rep, field="ratings").count() == 3


def test_levels_and_weights_are_parameters(
    llm_project, owner, client_for, django_capture_on_commit_callbacks
):
    rep = _compute(
        llm_project, owner, django_capture_on_commit_callbacks,
        levels={"ratings": "ratio", "preference": "interval"},
        kappa_weights={"ratings": "linear"},
    )  # fmt: skip
    assert rep.status == "done", rep.message
    assert rep.parameters["fields"]["ratings"]["level"] == "ratio"
    assert rep.parameters["fields"]["ratings"]["kappa_weights"] == "linear"
    sub = rep.results["fields"]["ratings"]["criteria"]["helpfulness"]
    assert sub["level"] == "ratio" and set(sub["alpha_by_level"]) == {"ordinal", "interval"}
    assert rep.results["fields"]["ratings"]["kappa_weights"] == "linear"
    assert rep.results["fields"]["preference"]["level"] == "interval"
    # Bad choices name the field and what it allows.
    with pytest.raises(services.InvalidInput) as exc:
        quality.start_agreement_report(
            project=llm_project, by=owner,
            levels={"ratings": "nominal", "rationale": "ordinal"},
            kappa_weights={"preference": "cubic"},
        )  # fmt: skip
    text = str(exc.value)
    assert "levels.ratings: 'nominal' does not fit a rating field's answers" in text
    assert "levels.rationale: not a field with a level" in text
    assert "kappa_weights.preference: 'cubic' is not none, linear or quadratic" in text
    # The API takes them, and the JSON and CSV exports show them.
    client = client_for(owner)
    api = f"/api/v1/projects/{llm_project.pk}/quality/report"
    bad = client.post(api, {"levels": {"ratings": "nominal"}}, content_type="application/json")
    assert bad.status_code == 400 and "levels.ratings" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(api, {"kappa_weights": {"ratings": "none"}},
                         content_type="application/json")  # fmt: skip
    assert ok.status_code == 202, ok.content
    data = client.get(api).json()
    assert data["parameters"]["fields"]["ratings"]["kappa_weights"] == "none"
    body = client.get(f"/projects/{llm_project.pk}/quality/report.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    weights = [
        r for r in rows if r["metric"] == "kappa_weights" and r["field"].startswith("ratings.")
    ]
    assert weights and {r["value"] for r in weights} == {"none"}
    assert any(r["metric"] == "alpha_ratio" for r in rows)
    # The page offers the choice when computing, per field.
    page = client.get(f"/projects/{llm_project.pk}/quality/").content.decode()
    assert 'name="level.ratings"' in page and 'name="weights.ratings"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/projects/{llm_project.pk}/quality/",
                    {"level.ratings": "interval", "weights.ratings": "quadratic"})  # fmt: skip
    latest = AgreementReport.objects.filter(project=llm_project).first()
    assert latest.parameters["fields"]["ratings"]["level"] == "interval"
    page = client.get(f"/projects/{llm_project.pk}/quality/").content.decode()
    assert "interval alpha" in page and "quadratic" in page


def test_dropped_answers_are_counted_with_the_reason(
    project, owner, client_for, django_capture_on_commit_callbacks
):
    rows = [
        {"data": {"text": f"t{n}"}, "annotations": [
            {"answer": {"topic": a}, "annotator": "a"}, {"answer": {"topic": b}, "annotator": "b"}]}
        for n, (a, b) in enumerate([("sport", "sport"), ("tech", "business"), ("tech", "sport")])
    ]  # fmt: skip
    assert services.add_items(project=project, items=rows, by=project.created_by).added == 3
    # The label "tech" is then removed from the schema (stored answers stay as they were).
    schema = project.label_schema
    schema["fields"][0]["labels"] = [la for la in schema["fields"][0]["labels"]
                                     if la["value"] != "tech"]  # fmt: skip
    Project.objects.filter(pk=project.pk).update(label_schema=schema)
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    assert rep.status == "done", rep.message
    # Topic labels: nominal or ordinal only, and no alpha at other levels beside it.
    assert quality.report_field_specs(project)[0].levels() == ("nominal", "ordinal")
    assert "alpha_by_level" not in rep.results["fields"]["topic"]
    dropped = rep.results["fields"]["topic"]["dropped"]
    assert dropped == {"count": 2, "reasons": {"not one of the schema's labels": 2}}
    client = client_for(owner)
    page = client.get(f"/projects/{project.pk}/quality/").content.decode()
    assert "Answers left out" in page and "not one of the schema&#x27;s labels" in page
    body = client.get(f"/projects/{project.pk}/quality/report.csv").content.decode()
    rows = [r for r in csv.DictReader(io.StringIO(body)) if r["section"] == "dropped"]
    assert {(r["reason"], r["value"]) for r in rows} >= {
        ("", "2"), ("not one of the schema's labels", "2"),
    }  # fmt: skip
    data = client.get(f"/projects/{project.pk}/quality/report.json").json()
    assert data["results"]["fields"]["topic"]["dropped"]["count"] == 2


def test_dawid_skene_convergence_on_the_report(
    project, owner, client_for, django_capture_on_commit_callbacks
):
    rows = [
        {"data": {"text": f"t{n}"}, "annotations": [
            {"answer": {"topic": t}, "annotator": w} for w, t in zip("abc", triple, strict=True)]}
        for n, triple in enumerate([("sport", "sport", "tech"), ("tech", "tech", "tech"),
                                    ("business", "sport", "business")])
    ]  # fmt: skip
    services.add_items(project=project, items=rows, by=project.created_by)
    quality.update_quality_settings(project=project, final_label_rule="dawid_skene", by=owner)
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    ds = rep.results["fields"]["topic"]["dawid_skene"]
    assert ds["converged"] is True and set(ds["accuracy"]) == {"a", "b", "c"}
    assert all(0 <= v <= 1 for v in ds["accuracy"].values())
    page = client_for(owner).get(f"/projects/{project.pk}/quality/").content.decode()
    assert "Dawid–Skene" in page and "converged after" in page


def test_a_failed_report_is_visible_through_the_api(
    project, owner, teammate, outsider, client_for, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from trainerdesk.quality import report

    client = client_for(owner)
    api = f"/api/v1/projects/{project.pk}/quality"
    done = _compute(project, owner, django_capture_on_commit_callbacks)

    def boom(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report.ReportBuilder, "finish", boom)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.generic("POST", f"{api}/report", b"")  # no body: the defaults
    assert started.status_code == 202
    failed_id = started.json()["id"]
    # The latest endpoint shows the failed run (it answered 404 "No agreement report yet").
    latest = client.get(f"{api}/report")
    assert latest.status_code == 200
    body = latest.json()
    assert body["report"] == failed_id and body["status"] == "failed"
    assert "disk on fire" in body["message"] and body["results"] is None
    assert body["latest_done"] == done.pk
    # By id: the failure, and the finished one in full.
    one = client.get(f"{api}/reports/{failed_id}").json()
    assert one["status"] == "failed" and "RuntimeError: disk on fire" in one["message"]
    full = client.get(f"{api}/reports/{done.pk}").json()
    assert full["status"] == "done" and full["digest"] == done.digest and full["results"]
    listed = client.get(f"{api}/reports").json()
    assert [(r["id"], r["status"]) for r in listed] == [(failed_id, "failed"), (done.pk, "done")]
    # A queued one shows as queued.
    with django_capture_on_commit_callbacks(execute=False):
        queued = quality.start_agreement_report(project=project, by=owner)
    assert client.get(f"{api}/report").json()["status"] == "queued"
    assert client.get(f"{api}/reports/{queued.pk}").json()["status"] == "queued"
    # Reports of other projects, annotators and outsiders: 404.
    assert client.get(f"{api}/reports/{queued.pk + 100}").status_code == 404
    for user in (teammate, outsider):
        c = client_for(user)
        assert c.get(f"{api}/reports/{done.pk}").status_code == 404
        assert c.get(f"{api}/reports").status_code == 404


def test_numeric_labels_offer_interval_and_ratio(org, owner, django_capture_on_commit_callbacks):
    schema = {"fields": [{"name": "stars", "type": "choice", "source": "text",
                          "labels": [{"value": v} for v in ("1", "2", "3")]}]}  # fmt: skip
    project = services.create_project(
        organization=org, created_by=owner, name="Stars", label_schema=schema
    )
    rows = [
        {"data": {"text": f"t{n}"}, "annotations": [
            {"answer": {"stars": a}, "annotator": "a"}, {"answer": {"stars": b}, "annotator": "b"}]}
        for n, (a, b) in enumerate([("1", "2"), ("3", "3"), ("2", "3"), ("1", "1")])
    ]  # fmt: skip
    services.add_items(project=project, items=rows, by=project.created_by)
    rep = _compute(project, owner, django_capture_on_commit_callbacks,
                   levels={"stars": "interval"}, kappa_weights={"stars": "quadratic"})  # fmt: skip
    stars = rep.results["fields"]["stars"]
    r = agreement.Ratings.from_tuples(
        [(n, w, int(v)) for n, row in enumerate(rows) for a in row["annotations"]
         for w, v in [(a["annotator"], a["answer"]["stars"])]], categories=(1, 2, 3),
    )  # fmt: skip
    assert stars["alpha"]["value"] == pytest.approx(
        metrics.krippendorff_alpha(r, "interval").value, 1e-12
    )
    assert set(stars["alpha_by_level"]) == {"ordinal", "ratio"}
    pm = metrics.pair_matrix(r, weights="quadratic")
    assert stars["pairs"][0]["kappa"] == pytest.approx(pm.kappa[0][1], 1e-12)
    assert quality.report_field_specs(project)[0].levels() == (
        "nominal", "ordinal", "interval", "ratio",
    )  # fmt: skip
