"""Agreement reports: the service on hand-made projects (values equal quality.agreement on
the same data), edge cases, the worker path, the quality page's permissions, exports and
the data manager's low-agreement filter."""

import csv
import io
import json

import pytest

from trainerdesk.quality import agreement
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import AgreementReport, ItemAgreement
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item

# item -> answers of annotators a, b, c (None: not annotated)
ANSWERS = [
    ("business", "business", "business"),
    ("sport", "sport", "tech"),
    ("tech", "tech", "tech"),
    ("business", "sport", None),
    ("sport", "sport", "sport"),
    ("tech", "business", "tech"),
]


def _load(project, answers=ANSWERS):
    rows = []
    for n, triple in enumerate(answers):
        anns = [
            {"answer": {"topic": v}, "annotator": who}
            for who, v in zip("abc", triple, strict=True)
            if v is not None
        ]
        rows.append({"data": {"text": f"text {n}"}, "annotations": anns})
    result = services.add_items(project=project, items=rows, by=project.created_by)
    assert result.added == len(answers), result.errors
    return list(Item.objects.filter(project=project, done_count__gt=0).order_by("id"))


def _compute(project, owner, captured):
    with captured(execute=True):
        rep = quality.start_agreement_report(project=project, by=owner)
    rep.refresh_from_db()
    return rep


def _expected(answers=ANSWERS):
    rows = [(i, w, v) for i, t in enumerate(answers) for w, v in zip("abc", t, strict=True)]
    return agreement.Ratings.from_tuples(rows, categories=("business", "sport", "tech"))


def test_report_equals_the_agreement_module(project, owner, django_capture_on_commit_callbacks):
    items = _load(project)
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    assert rep.status == AgreementReport.Status.DONE, rep.message
    r = _expected()
    topic = rep.results["fields"]["topic"]
    assert topic["alpha"]["value"] == pytest.approx(agreement.krippendorff_alpha(r).value, 1e-12)
    assert topic["percent_agreement"]["value"] == pytest.approx(
        agreement.percent_agreement(r).value, 1e-12
    )
    # Item 3 has two annotators, the others three: Fleiss is undefined, with a reason.
    assert topic["fleiss_kappa"]["value"] is None
    assert "different numbers" in topic["fleiss_kappa"]["reason"]
    pm = agreement.pair_matrix(r)
    ab = next(p for p in topic["pairs"] if (p["a"], p["b"]) == ("a", "b"))
    assert ab["kappa"] == pytest.approx(pm.kappa[0][1], 1e-12)
    assert ab["percent_agreement"] == pytest.approx(pm.percent[0][1], 1e-12)
    labels = {row["label"]: row for row in topic["labels"]}
    for la in agreement.per_label(r):
        assert labels[la.label]["alpha"]["value"] == pytest.approx(la.alpha.value, 1e-12)
    assert (rep.item_count, rep.annotation_count) == (6, 17)
    assert len(rep.digest) == 64
    per_item = {ia.item_id: ia for ia in ItemAgreement.objects.filter(report=rep)}
    shares = agreement.per_item(r).pair_share
    for n, item in enumerate(items):
        assert per_item[item.pk].score == pytest.approx(shares[n], 1e-12)
    assert per_item[items[3].pk].n_annotators == 2
    # The same annotations give the same digest; a changed one a different digest.
    again = _compute(project, owner, django_capture_on_commit_callbacks)
    assert again.digest == rep.digest and again.results == rep.results
    from django.utils import timezone

    items[0].annotations.filter(imported_annotator="c").update(
        answer={"topic": "tech"}, updated_at=timezone.now()
    )
    third = _compute(project, owner, django_capture_on_commit_callbacks)
    assert third.digest != rep.digest


def test_edge_cases_give_defined_values(project, owner, django_capture_on_commit_callbacks):
    # No annotations at all.
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    topic = rep.results["fields"]["topic"]
    assert rep.status == "done" and rep.item_count == 0
    assert topic["alpha"]["value"] is None and topic["alpha"]["reason"].startswith("not enough")
    # One annotator.
    _load(project, [("sport", None, None), ("tech", None, None)])
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    topic = rep.results["fields"]["topic"]
    assert topic["percent_agreement"]["value"] is None
    assert "not enough data" in topic["percent_agreement"]["reason"]
    assert topic["pairs"] == []


def test_all_agree(project, owner, django_capture_on_commit_callbacks):
    _load(project, [("sport", "sport", "sport"), ("tech", "tech", "tech")])
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    topic = rep.results["fields"]["topic"]
    assert topic["percent_agreement"]["value"] == 1.0
    assert topic["alpha"]["value"] == 1.0 and topic["fleiss_kappa"]["value"] == 1.0
    text = json.dumps(rep.results)
    assert "NaN" not in text and "Infinity" not in text


def test_worker_path_records_progress_and_failure(
    project, owner, monkeypatch, django_capture_on_commit_callbacks
):
    _load(project)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rep = quality.start_agreement_report(project=project, by=owner)
    assert rep.status == "queued" and len(callbacks) == 1
    with pytest.raises(services.ConflictError):
        quality.start_agreement_report(project=project, by=owner)
    from trainerdesk.quality.tasks import compute_agreement_report_task

    compute_agreement_report_task.call(report_id=rep.pk)
    rep.refresh_from_db()
    assert rep.status == "done" and rep.progress == 1.0 and rep.computed_at

    from trainerdesk.quality import report

    def boom(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report.ReportBuilder, "finish", boom)
    failed = _compute(project, owner, django_capture_on_commit_callbacks)
    assert failed.status == "failed" and "disk on fire" in failed.message
    assert not ItemAgreement.objects.filter(report=failed).exists()


def test_quality_page_permissions(project, owner, teammate, outsider, client_for):
    url = f"/projects/{project.pk}/quality/"
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(teammate).get(url).status_code == 404  # annotator
    assert client_for(teammate).post(url).status_code == 404
    assert client_for(owner).get(url).status_code == 200


def test_page_runs_report_and_exports(
    project, owner, client_for, django_capture_on_commit_callbacks
):
    _load(project)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/projects/{project.pk}/quality/")
    assert response.status_code == 302
    rep = AgreementReport.objects.get(project=project)
    page = client.get(f"/projects/{project.pk}/quality/").content.decode()
    alpha = rep.results["fields"]["topic"]["alpha"]["value"]
    assert f"{alpha:.3f}" in page and "not enough data" not in page.split("Fleiss")[0][-10:]
    data = client.get(f"/projects/{project.pk}/quality/report.json").json()
    assert data["digest"] == rep.digest and data["parameters"] == rep.parameters
    assert data["results"]["fields"]["topic"]["alpha"]["value"] == alpha
    assert len(data["items"]) == ItemAgreement.objects.filter(report=rep).count()
    body = client.get(f"/projects/{project.pk}/quality/report.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    field_row = next(r for r in rows if r["section"] == "field" and r["metric"] == "alpha")
    assert float(field_row["value"]) == pytest.approx(alpha)
    assert all(r["digest"] == rep.digest for r in rows)
    assert any(r["section"] == "pair" for r in rows) and any(r["section"] == "item" for r in rows)
    api = client.get(f"/api/v1/projects/{project.pk}/quality/report")
    assert api.status_code == 200 and api.json()["digest"] == rep.digest


def test_exports_404_for_outsider_and_without_report(project, owner, outsider, client_for):
    assert client_for(owner).get(f"/projects/{project.pk}/quality/report.json").status_code == 404
    client = client_for(outsider)
    assert client.get(f"/projects/{project.pk}/quality/report.csv").status_code == 404
    assert client.get(f"/api/v1/projects/{project.pk}/quality/report").status_code == 404


def test_low_agreement_filter(project, owner, client_for, django_capture_on_commit_callbacks):
    items = _load(project)
    _compute(project, owner, django_capture_on_commit_callbacks)
    items_of = Item.objects.filter(project=project)
    low = set(
        ItemAgreement.objects.items_below(items_of, project, 0.5).values_list("id", flat=True)
    )
    # Items 1, 3 and 5: one pair in three agrees (1/3), or the two annotators differ (0).
    assert low == {items[1].pk, items[3].pk, items[5].pk}
    page = client_for(owner).get(f"/projects/{project.pk}/items/?agreement_below=0.5")
    assert page.status_code == 200
    html = page.content.decode()
    assert "text 3" in html and "text 0" not in html
    bad = client_for(owner).get(f"/projects/{project.pk}/items/?agreement_below=2")
    assert "agreement_below: must be a number from 0 to 1" in bad.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_run_the_report_and_see_the_charts(live_server, browser_page, project, owner):
    from conftest import PASSWORD

    items = _load(project)
    Item.objects.filter(pk=items[0].pk).update(reference={"topic": "business"})
    page, errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.click(".project-nav >> text=Quality")
    page.click("button:has-text('Compute the agreement report')")
    page.wait_for_selector("#numbers tr[data-field='topic']")
    rep = AgreementReport.objects.get(project=project)
    topic = rep.results["fields"]["topic"]
    cells = page.locator("#numbers tr[data-field='topic'] td").all_inner_texts()
    assert cells[0] == f"{topic['percent_agreement']['value']:.3f}"
    assert cells[1] == f"{topic['alpha']['value']:.3f}"
    assert cells[2].startswith("undefined: items have different numbers")
    for canvas in ("#label-chart", "#weekly-chart"):
        page.wait_for_selector(f"{canvas}[data-rendered]")
        # Some pixel of the drawn chart is not transparent.
        painted = page.evaluate(
            """(sel) => { const c = document.querySelector(sel);
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return true; }
                 return false; }""",
            canvas,
        )
        assert painted, canvas
    assert page.locator("table.confusion").count() == 1
    assert errors == []


def test_multi_label_and_spans_fields(org, owner, django_capture_on_commit_callbacks):
    from trainerdesk.quality import metrics

    schema = {
        "fields": [
            {"name": "tags", "type": "choice", "source": "text", "multiple": True,
             "labels": [{"value": "x"}, {"value": "y"}]},
            {"name": "ents", "type": "spans", "source": "text", "labels": [{"value": "P"}]},
        ]
    }  # fmt: skip
    project = services.create_project(
        organization=org, created_by=owner, name="Mixed", label_schema=schema
    )
    answers = [
        ({"tags": ["x"], "ents": [{"start": 0, "end": 3, "label": "P"}]},
         {"tags": ["x", "y"], "ents": [{"start": 0, "end": 3, "label": "P"}]}),
        ({"tags": ["y"], "ents": [{"start": 0, "end": 2, "label": "P"}]},
         {"tags": ["y"], "ents": [{"start": 1, "end": 3, "label": "P"}]}),
    ]  # fmt: skip
    rows = [
        {"data": {"text": f"abc {n}"},
         "annotations": [{"answer": a, "annotator": "a"}, {"answer": b, "annotator": "b"}]}
        for n, (a, b) in enumerate(answers)
    ]  # fmt: skip
    assert services.add_items(project=project, items=rows, by=project.created_by).added == 2
    rep = _compute(project, owner, django_capture_on_commit_callbacks)
    assert rep.status == "done", rep.message
    tags, ents = rep.results["fields"]["tags"], rep.results["fields"]["ents"]
    sets, dist = metrics.set_ratings(
        [(n, w, ans[k]["tags"]) for n, ans in enumerate(answers) for k, w in ((0, "a"), (1, "b"))]
    )
    assert tags["alpha"]["value"] == pytest.approx(
        metrics.krippendorff_alpha(sets, distance=dist).value, 1e-12
    )
    assert {la["label"] for la in tags["labels"]} == {"x", "y"}
    # Exact: 1 of 2 spans pairs match on each side -> F1 2*1/4; overlap: both match.
    assert ents["span_f1_exact"]["value"] == pytest.approx(0.5)
    assert ents["span_f1_overlap"]["value"] == pytest.approx(1.0)
    assert ItemAgreement.objects.filter(report=rep, field="ents").count() == 2


def test_status_card_polls_until_done(
    project, owner, client_for, django_capture_on_commit_callbacks
):
    _load(project)
    with django_capture_on_commit_callbacks(execute=False):
        rep = quality.start_agreement_report(project=project, by=owner)
    client = client_for(owner)
    url = f"/projects/{project.pk}/quality/?was=queued"
    card = client.get(url, headers={"HX-Request": "true"})
    assert card.status_code == 200 and "HX-Redirect" not in card
    assert 'hx-trigger="every 1s"' in card.content.decode()
    quality.compute_agreement_report(report_id=rep.pk)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == f"/projects/{project.pk}/quality/"
