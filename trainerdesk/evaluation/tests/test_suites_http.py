"""Suites through the HTTP client: a suite built, generated and run against a trained
baseline over the API end to end (worker task included), the pages' forms, the
add-cases action the error-analysis page posts to, bad input answering 400 naming the
field, and owners/managers only (annotators, reviewers and outsiders get 404)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from trainerdesk.evaluation import services as evaluation
from trainerdesk.evaluation.models import Suite, SuiteCase, SuiteRun, SuiteTest
from trainerdesk.evaluation.services import suites
from trainerdesk.evaluation.tests.conftest import add_labelled
from trainerdesk.workbench import services as wb

pytestmark = pytest.mark.django_db


def api(project, rest=""):
    return f"/api/v1/projects/{project.pk}/evaluation/suites{rest}"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def trained(project, owner):
    add_labelled(project, owner, 10)
    evaluation.create_split(project=project, fraction=0.25, seed=1, by=owner)
    run = evaluation.run_training(
        run_id=evaluation.train_baseline(project=project, name="b1", by=owner).pk
    )
    assert run.status == "done", run.message
    project.version = run.version
    return project


def test_a_suite_run_end_to_end_through_the_api(
    trained, owner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    made = post(
        client,
        api(trained),
        {
            "name": "topics",
            "lexicons": {
                "biz": ["shares", "market", "profit"],
                "tech": ["chip", "software", "computer"],
            },
        },
    )
    assert made.status_code == 201, made.content
    suite = made.json()
    one = api(trained, f"/{suite['id']}")
    tests = [
        {"name": "business words", "kind": "mft",
         "spec": {"templates": ["{biz} {biz} news"], "expected": "business"}},
        {"name": "tech words", "kind": "mft",
         "spec": {"templates": ["{tech} {tech} today"], "expected": "tech"}},
        {"name": "casing", "kind": "inv", "spec": {"perturbation": "uppercase", "sample": 10}},
        {"name": "more sport", "kind": "dir",
         "spec": {"perturbation": {"kind": "append", "text": "goal match team"},
                  "texts": ["shares market", "chip data"], "label": "sport",
                  "direction": "up"}},
    ]  # fmt: skip
    for test in tests:
        response = post(client, f"{one}/tests", test)
        assert response.status_code == 201, response.content
    counts = post(client, f"{one}/generate").json()
    assert counts == {"business words": 3, "tech words": 3, "casing": 10, "more sport": 2}
    with django_capture_on_commit_callbacks(execute=True):
        started = post(client, f"{one}/runs", {"version": trained.version.pk})
    assert started.status_code == 202, started.content
    run = client.get(f"{one}/runs/{started.json()['id']}").json()
    assert run["status"] == "done", run["message"]
    by_name = {r["name"]: r for r in run["results"]}
    assert by_name["business words"]["pass_rate"] == 1.0
    assert by_name["tech words"]["pass_rate"] == 1.0
    assert by_name["more sport"]["passed"] == 2
    assert by_name["casing"]["pass_rate"] == 1.0  # TF-IDF lower-cases: casing never matters
    assert run["cases"] == 18 and run["previous_run"] is None

    # The page shows the run, its pass rate per test, and the progress card.
    page = client.get(reverse("evaluation:suite", args=[trained.pk, suite["id"]]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Runs per version" in body and "business words" in body and "100%" in body
    card = client.get(
        reverse("evaluation:suite_run_progress", args=[trained.pk, suite["id"], run["id"]]),
        HTTP_HX_REQUEST="true",
    )
    assert card.status_code == 200 and "suite-run-status" in card.content.decode()
    # A queued run's card polls itself until the worker is done.
    queued = post(client, f"{one}/runs", {"version": trained.version.pk}).json()
    assert queued["status"] == "queued"
    again = post(client, f"{one}/runs", {"version": trained.version.pk})
    assert again.status_code == 409
    page = client.get(reverse("evaluation:suite", args=[trained.pk, suite["id"]]),
                      {"run": queued["id"]}).content.decode()  # fmt: skip
    assert 'hx-trigger="every 1s"' in page and f"/runs/{queued['id']}/progress/" in page
    evaluation.run_suite_run(run_id=queued["id"])

    # An external model (an imported version) through the export and predictions.
    version = evaluation.create_model_version(project=trained, model_name="ext", name="e1",
                                              by=owner)  # fmt: skip
    lines = b"".join(client.get(f"{one}/cases.jsonl").streaming_content).splitlines()
    answers = []
    for row in map(json.loads, lines):
        sport = 0.9 if row["text"].endswith("goal match team") else 0.05
        answers.append({"id": row["id"], "scores": {"business": 0.95 - sport, "sport": sport,
                                                    "tech": 0.05}})  # fmt: skip
    scored = post(
        client,
        f"{one}/predictions",
        {"version": version.pk, "predictions": "\n".join(map(json.dumps, answers))},
    )
    assert scored.status_code == 201, scored.content
    detail = client.get(f"{one}/runs/{scored.json()['id']}").json()
    assert detail["previous_run"] == queued["id"]  # the latest run of another version
    # Everything is "business" to it: the tech template regressed, case by case.
    tech = SuiteCase.objects.filter(test__name="tech words").values_list("pk", flat=True)
    assert detail["regressions"]["tech words"]["regressed"] == sorted(tech)
    assert not detail["regressions"]["business words"]["regression"]
    page = client.get(reverse("evaluation:suite", args=[trained.pk, suite["id"]]))
    assert "▼ regression" in page.content.decode()
    listed = client.get(f"{one}/runs").json()
    assert [r["id"] for r in listed] == [detail["id"], queued["id"], run["id"]]


def test_bad_input_answers_400_naming_the_field(project, owner, client_for):
    client = client_for(owner)
    suite = post(client, api(project), {"name": "s"}).json()
    response = post(
        client,
        api(project, f"/{suite['id']}/tests"),
        {
            "name": "t",
            "kind": "mft",
            "spec": {"templates": ["The {food} was bad."], "expected": "tech"},
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith('spec.templates[0]: unknown placeholder "food"')
    response = post(client, api(project), {"name": "x", "lexicons": {"food": []}})
    assert response.status_code == 400
    assert response.json()["errors"] == ["lexicons.food: must not be empty"]
    doc = {"name": "imp", "tests": [
        {"name": "ok", "type": "mft", "templates": ["{first_name} won"], "expected": "sport"},
        {"name": "bad", "type": "dir", "perturbation": "add_negation", "texts": ["x"],
         "label": "weather", "direction": "up"}]}  # fmt: skip
    response = post(client, api(project, "/import"), {"suite": doc})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("tests[1].spec.label: 'weather' is not a label")
    assert list(Suite.objects.values_list("name", flat=True)) == ["s"]
    assert not SuiteTest.objects.exists()
    response = post(client, api(project, f"/{suite['id']}/runs"), {"version": 10**6})
    assert response.status_code == 404


def test_pages_create_edit_import_and_add_cases(project, owner, client_for):
    client = client_for(owner)
    url = reverse("evaluation:suites", args=[project.pk])
    response = client.post(url, {"name": "pages", "lexicons": "thing: chip, phone"})
    suite = Suite.objects.get(name="pages")
    assert response.status_code == 302 and response["Location"].endswith(f"/suites/{suite.pk}/")
    page = reverse("evaluation:suite", args=[project.pk, suite.pk])
    client.post(
        page,
        {
            "action": "add_test",
            "kind": "mft",
            "name": "tech",
            "templates": "A new {thing}.\nThe {thing} broke.",
            "expected": "tech",
        },
    )
    test = suite.tests.get()
    assert test.spec["templates"] == ["A new {thing}.", "The {thing} broke."]
    # A bad edit is refused with the message and changes nothing.
    response = client.post(
        page,
        {
            "action": "edit_test",
            "test": test.pk,
            "name": "tech",
            "templates": "A {gadget}.",
            "expected": "tech",
        },
        follow=True,
    )
    assert "unknown placeholder &quot;gadget&quot;" in response.content.decode()
    test.refresh_from_db()
    assert test.spec["templates"] == ["A new {thing}.", "The {thing} broke."]
    client.post(
        page,
        {
            "action": "add_test",
            "kind": "inv",
            "name": "typos",
            "perturbation": "typos",
            "source": "texts",
            "texts": "a new chip",
        },
    )
    client.post(page, {"action": "generate"})
    assert SuiteCase.objects.filter(test__suite=suite).count() == 5
    body = client.get(page).content.decode()
    assert "A new chip." in body and "expects tech" in body

    exported = client.get(reverse("evaluation:suite_export", args=[project.pk, suite.pk]))
    upload = SimpleUploadedFile("suite.json", exported.content, content_type="application/json")
    client.post(url, {"action": "import", "file": upload, "name": "copy"})
    assert suites.export_suite(Suite.objects.get(name="copy")) == (
        json.loads(exported.content) | {"name": "copy"}
    )

    # The error-analysis page's one action: items into the suite's collected test.
    item = project.items.order_by("pk").first()
    wb.submit_annotation(project=project, item=item, user=owner, answer={"topic": "business"})
    response = client.post(
        reverse("evaluation:suite_add_cases", args=[project.pk]),
        {"suite": suite.pk, "item": [item.pk], "next": f"/projects/{project.pk}/models/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/models/"
    case = SuiteCase.objects.get(test__name=suites.COLLECTED_TEST)
    assert (case.text, case.expected) == (item.data["text"], "business")
    response = client.post(
        reverse("evaluation:suite_add_cases", args=[project.pk]),
        {"suite": suite.pk, "item": [item.pk], "next": "https://evil.example/"},
    )
    assert response["Location"] == page


@pytest.mark.parametrize("persona", ["teammate", "reviewer", "outsider"])
def test_only_owners_and_managers_get_in(project, owner, teammate, persona, request, client_for):
    suite = suites.create_suite(project=project, name="s", by=owner)
    if persona == "reviewer":
        wb.set_project_member(project=project, user=teammate, role="reviewer", by=owner)
    user = teammate if persona == "reviewer" else request.getfixturevalue(persona)
    client = client_for(user)
    pages = [
        reverse("evaluation:suites", args=[project.pk]),
        reverse("evaluation:suite", args=[project.pk, suite.pk]),
        reverse("evaluation:suite_export", args=[project.pk, suite.pk]),
        reverse("evaluation:suite_cases_export", args=[project.pk, suite.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 404, url
    assert client.post(pages[1], {"action": "generate"}).status_code == 404
    add = reverse("evaluation:suite_add_cases", args=[project.pk])
    assert client.post(add, {"suite": suite.pk, "item": [1]}).status_code == 404
    for url in ("", f"/{suite.pk}", f"/{suite.pk}/runs", f"/{suite.pk}/export"):
        assert client.get(api(project, url)).status_code == 404, url
    assert post(client, api(project), {"name": "mine"}).status_code == 404
    assert post(client, api(project, f"/{suite.pk}/generate")).status_code == 404
    assert Suite.objects.count() == 1 and not SuiteRun.objects.exists()
    nav = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"/projects/{project.pk}/models/suites/" not in nav
