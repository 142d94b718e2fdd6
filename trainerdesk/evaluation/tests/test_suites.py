"""Behavioural test suites through the services: tests checked with errors naming the
field and nothing half-stored, JSON round trip, cases generated and collected from items,
confirmation by annotators, a real baseline keyed on a name caught by an invariance test,
external predictions scored, and regressions between versions."""

import json

import numpy as np
import pytest

from trainerdesk.evaluation import baseline, baseline_state, checklist
from trainerdesk.evaluation import services as evaluation
from trainerdesk.evaluation.models import BaselineState, Suite, SuiteCase, SuiteRun, SuiteTest
from trainerdesk.evaluation.services import suite_runs, suites
from trainerdesk.evaluation.tests.conftest import add_labelled
from trainerdesk.workbench import services as wb
from trainerdesk.workbench.services import InvalidInput

pytestmark = pytest.mark.django_db

LEXICONS = {"thing": ["shares", "market", "profit"], "verb": ["rose", "fell"]}
MFT = {"templates": ["The {thing} {verb} today."], "expected": "business"}


@pytest.fixture
def suite(project, owner):
    return suites.create_suite(project=project, name="topics", lexicons=LEXICONS, seed=3, by=owner)


def test_bad_tests_name_the_field_and_store_nothing(suite, owner):
    cases = [
        ({"templates": ["The {drink} rose."], "expected": "business"},
         'spec.templates[0]: unknown placeholder "drink"'),
        ({"templates": [], "expected": "business"}, "spec.templates: must not be empty"),
        ({"templates": ["The {thing}."], "expected": "weather"},
         "spec.expected: 'weather' is not a label of topic"),
    ]  # fmt: skip
    for spec, message in cases:
        with pytest.raises(InvalidInput) as exc:
            suites.add_test(suite=suite, name="t", kind="mft", spec=spec, by=owner)
        assert str(exc.value).startswith(message), str(exc.value)
    with pytest.raises(InvalidInput, match="^spec: say which texts to perturb"):
        suites.add_test(suite=suite, name="t", kind="inv", spec={"perturbation": "typos"}, by=owner)
    with pytest.raises(InvalidInput, match=r"^spec\.direction"):
        suites.add_test(
            suite=suite, name="t", kind="dir",
            spec={"perturbation": "add_negation", "texts": ["a"], "label": "tech"}, by=owner,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match=r"^lexicons\.empty: must not be empty"):
        suites.create_suite(project=suite.project, name="x", lexicons={"empty": []}, by=owner)
    assert not SuiteTest.objects.exists()
    assert Suite.objects.count() == 1
    suites.add_test(suite=suite, name="t", kind="mft", spec=MFT, by=owner)
    # A lexicon a test uses cannot be removed; the error names the test.
    with pytest.raises(InvalidInput, match="lexicons: test 't'.*unknown placeholder \"verb\""):
        suites.update_suite(suite=suite, lexicons={"thing": ["x"]}, by=owner)
    suite.refresh_from_db()
    assert suite.lexicons == LEXICONS


def test_import_export_round_trip_and_a_bad_import_keeps_nothing(suite, project, owner):
    suites.add_test(suite=suite, name="mft", kind="mft", spec=MFT, by=owner)
    item = project.items.order_by("pk").first()
    suites.add_test(suite=suite, name="inv", kind="inv",
                    spec={"perturbation": {"kind": "typos", "samples": 2}, "items": [item.pk]},
                    by=owner)  # fmt: skip
    suites.add_test(suite=suite, name="dir", kind="dir",
                    spec={"perturbation": {"kind": "append", "text": "Great goal."},
                          "sample": 2, "label": "sport", "direction": "up"}, by=owner)  # fmt: skip
    wb.submit_annotation(project=project, item=item, user=owner, answer={"topic": "business"})
    suites.add_cases_from_items(suite=suite, item_ids=[item.pk], by=owner)
    exported = suites.suite_json(suite)
    copy = suites.import_suite(project=project, text=exported, name="copy", by=owner)
    again = json.loads(suites.suite_json(copy))
    assert again == json.loads(exported) | {"name": "copy"}
    assert [t.name for t in copy.tests.all()] == ["mft", "inv", "dir", suites.COLLECTED_TEST]
    # The same cases come out of the copy (same seed, same specs).
    assert suites.generate_cases(suite=copy, by=owner) == suites.generate_cases(
        suite=suite, by=owner
    )

    bad = json.loads(exported)
    bad["tests"][2]["perturbation"] = {"kind": "teleport"}
    with pytest.raises(InvalidInput, match=r"^tests\[2\]\.spec\.perturbation\.kind: must be one"):
        suites.import_suite(project=project, text=json.dumps(bad), name="bad", by=owner)
    with pytest.raises(InvalidInput, match="^file: not valid JSON"):
        suites.import_suite(project=project, text="{", by=owner)
    assert not Suite.objects.filter(name="bad").exists()
    assert Suite.objects.count() == 2


def test_generation_is_stable_and_keeps_case_ids(suite, owner):
    suites.add_test(suite=suite, name="mft", kind="mft", spec=MFT, by=owner)
    assert suites.generate_cases(suite=suite, by=owner) == {"mft": 6}
    ids = list(SuiteCase.objects.values_list("pk", "text"))
    assert ids[0][1] == "The shares rose today."
    suites.generate_cases(suite=suite, by=owner)
    assert list(SuiteCase.objects.values_list("pk", "text")) == ids
    test = suite.tests.get()
    suites.update_test(test=test, spec={**MFT, "templates": ["The {thing} {verb}."]}, by=owner)
    suites.generate_cases(suite=suite, by=owner)
    assert set(SuiteCase.objects.values_list("text", flat=True)) == {
        f"The {t} {v}." for t in LEXICONS["thing"] for v in LEXICONS["verb"]
    }


def test_cases_from_items_expect_their_final_label(suite, project, owner):
    first, second, _third = project.items.order_by("pk")
    with pytest.raises(InvalidInput, match=r"^item: \[\d+\] have no text or no final label"):
        suites.add_cases_from_items(suite=suite, item_ids=[first.pk], by=owner)
    assert not SuiteTest.objects.exists()  # the collected test was not kept either
    wb.submit_annotation(project=project, item=first, user=owner, answer={"topic": "business"})
    assert suites.add_cases_from_items(suite=suite, item_ids=[first.pk], by=owner) == 1
    assert suites.add_cases_from_items(suite=suite, item_ids=[first.pk], by=owner) == 0
    case = SuiteCase.objects.get()
    assert (case.text, case.expected, case.source_item_id) == (
        first.data["text"],
        "business",
        first.pk,
    )
    spec = {"perturbation": "uppercase", "texts": ["x y"]}
    inv = suites.add_test(suite=suite, name="casing", kind="inv", spec=spec, by=owner)
    assert suites.add_cases_from_items(suite=suite, test=inv, item_ids=[second.pk], by=owner) == 1
    assert inv.cases.get().text == second.data["text"].upper()
    with pytest.raises(InvalidInput, match="not items of this project"):
        suites.add_cases_from_items(suite=suite, item_ids=[10**9], by=owner)


def test_annotators_confirm_expected_labels_blind(suite, project, owner, teammate):
    suites.add_test(suite=suite, name="mft", kind="mft", spec=MFT, by=owner)
    suites.generate_cases(suite=suite, by=owner)
    before = project.items.count()
    assert suites.send_for_confirmation(suite=suite, by=owner) == 6
    with pytest.raises(InvalidInput, match="no case with an expected label is waiting"):
        suites.send_for_confirmation(suite=suite, by=owner)
    made = project.items.filter(data__has_key="checklist_case").order_by("pk")
    assert project.items.count() == before + 6 == before + made.count()
    assert all("business" not in json.dumps(i.data) for i in made)  # labelled blind
    # The teammate labels two of them, one against the template's expectation.
    for item, label in zip(made[:2], ("business", "tech"), strict=True):
        wb.submit_annotation(project=project, item=item, user=teammate, answer={"topic": label})
    counts = suites.sync_confirmations(suite=suite, by=owner)
    assert counts == {"sent": 6, "confirmed": 2, "disputed": 1, "changed": 2}
    disputed = SuiteCase.objects.get(confirmed_label="tech")
    assert disputed.expected_label == "tech" and disputed.disputed


@pytest.fixture
def name_keyed(project, owner):
    """A topic project where every sport text names John and no other does: the baseline
    learns the name as a sport word."""
    rows, truths = [], []
    words = {"business": "shares market profit bank", "sport": "goal match team league",
             "tech": "chip software computer data"}  # fmt: skip
    for topic, vocab in words.items():
        for i in range(10):
            bits = vocab.split()
            text = f"{bits[i % 4]} {bits[(i + 1) % 4]} report {i}"
            rows.append({"text": f"John said {text}" if topic == "sport" else text})
            truths.append(topic)
    last = project.items.order_by("pk").last().pk
    wb.add_items(project=project, items=rows, by=owner)
    for item, truth in zip(project.items.filter(pk__gt=last).order_by("pk"), truths, strict=True):
        wb.submit_annotation(project=project, item=item, user=owner, answer={"topic": truth})
    evaluation.create_split(project=project, fraction=0.2, seed=0, by=owner)
    return project


def _train(project, owner, name):
    run = evaluation.train_baseline(project=project, name=name, by=owner)
    run = evaluation.run_training(run_id=run.pk)
    assert run.status == "done", run.message
    return run.version


def test_invariance_catches_a_baseline_keyed_on_a_name(
    name_keyed, owner, django_capture_on_commit_callbacks
):
    version = _train(name_keyed, owner, "b1")
    assert BaselineState.objects.filter(version=version).exists()
    suite = suites.create_suite(
        project=name_keyed, name="names", lexicons={"w": ["chip", "software", "computer"]}, by=owner
    )
    suites.add_test(suite=suite, name="names do not matter", kind="inv",
                    spec={"perturbation": {"kind": "swap_names", "samples": 3},
                          "texts": ["John liked the new phone.", "John read the data."]},
                    by=owner)  # fmt: skip
    suites.add_test(
        suite=suite,
        name="tech",
        kind="mft",
        spec={"templates": ["The {w} was new."], "expected": "tech"},
        by=owner,
    )
    suites.generate_cases(suite=suite, by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        run = suite_runs.start_suite_run(suite=suite, version=version, by=owner)
    run.refresh_from_db()
    assert run.status == SuiteRun.Status.DONE, run.message
    inv, mft = run.results
    assert inv["cases"] >= 4 and inv["failed"] > 0
    failure = inv["failures"][0]
    assert "John" in failure["original"] and "John" not in failure["text"]
    assert failure["predicted_original"] == "sport" and failure["predicted"] != "sport"
    assert mft["pass_rate"] == 1.0
    assert run.passed == mft["passed"] + inv["passed"]


def test_stored_state_predicts_as_the_fitted_model_and_rebuilds(name_keyed, owner):
    version = _train(name_keyed, owner, "b1")
    texts = ["John goal", "chip software data", "", "unknown words only"]
    BaselineState.objects.filter(version=version).delete()
    predict, labels = suite_runs.predictor_for(version)  # rebuilt: digest still matches
    assert labels == ["business", "sport", "tech"]
    state = BaselineState.objects.get(version=version)
    # The same training set, fitted here: the stored state predicts what it predicts.
    fitted_ids, fitted_texts, fitted_labels = evaluation.training._training_rows(
        name_keyed, evaluation.field_of(name_keyed, None), evaluation.held_out_ids(name_keyed)
    )
    fitted = baseline.train(fitted_texts, fitted_labels, labels_order=labels, item_ids=fitted_ids)
    assert np.abs(predict(texts) - fitted.predict_proba(texts)).max() < 1e-12
    assert baseline_state.Predictor(state.data).model_digest == version.training["model_digest"]
    # Once the labels change, a version without a kept state cannot be rebuilt: said so.
    BaselineState.objects.all().delete()
    add_labelled(name_keyed, owner, 5)
    with pytest.raises(InvalidInput, match="training set has changed since"):
        suite_runs.predictor_for(version)


def _external_suite(project, owner):
    suite = suites.create_suite(project=project, name="ext", lexicons=LEXICONS, by=owner)
    suites.add_test(suite=suite, name="mft", kind="mft", spec=MFT, by=owner)
    suites.add_test(
        suite=suite,
        name="inv",
        kind="inv",
        spec={"perturbation": "uppercase", "texts": ["goal", "chip"]},
        by=owner,
    )
    suites.add_test(suite=suite, name="dir", kind="dir",
                    spec={"perturbation": {"kind": "append", "text": "match"}, "texts": ["a goal"],
                          "label": "sport", "direction": "up"}, by=owner)  # fmt: skip
    suites.generate_cases(suite=suite, by=owner)
    return suite


def _lines(suite, answer):
    out = []
    for line in suite_runs.export_cases(suite=suite):
        row = json.loads(line)
        out.append(json.dumps({"id": row["id"], **answer(row)}))
    return "\n".join(out)


def test_external_predictions_are_scored_mft_inv_dir(project, owner):
    suite = _external_suite(project, owner)
    version = evaluation.create_model_version(
        project=project, model_name="ext", name="e1", by=owner
    )

    def answer(row):
        if row["kind"] == "dir":  # the appended "match" raises sport, as it should
            sport = 0.8 if row["text"].endswith("match") else 0.4
            return {"scores": {"business": 0.1, "sport": sport, "tech": 0.9 - sport}}
        if row["kind"] == "inv":  # casing flips "chip": an invariance failure
            return {"label": "tech" if row["text"] in ("chip", "goal", "GOAL") else "business"}
        return {"label": "business" if "shares" in row["text"] else "tech"}

    run = suite_runs.import_predictions(
        suite=suite, version=version, data=_lines(suite, answer), by=owner
    )
    assert run.status == "done" and run.mode == "external"
    mft, inv, dir_ = run.results
    assert (mft["cases"], mft["passed"]) == (6, 2)
    assert (inv["cases"], inv["passed"]) == (2, 1)
    assert inv["failures"][0]["text"] == "CHIP"
    assert (dir_["cases"], dir_["passed"]) == (1, 1)
    assert run.cases == 9 and run.passed == 4


def test_bad_predictions_name_the_line_and_store_no_run(project, owner):
    suite = _external_suite(project, owner)
    version = evaluation.create_model_version(
        project=project, model_name="ext", name="e1", by=owner
    )
    good = _lines(suite, lambda r: {"scores": {"business": 0.2, "sport": 0.5, "tech": 0.3}})
    lines = good.split("\n")
    first = json.loads(lines[0])
    bad = [
        ('{"id": "c999999", "label": "tech"}', "line 1.id: 'c999999' is not a case of this suite"),
        (json.dumps({"id": first["id"], "label": "weather"}),
         "line 1.label: 'weather' is not a label"),
        (json.dumps({"id": first["id"], "scores": {"business": 0.9, "sport": 0.9, "tech": 0}}),
         "line 1.scores: must sum to 1"),
        ("\n".join(lines[:-1]), "id: 1 exported texts have no prediction"),
        ("[1]", "line 1: must be a JSON object"),
    ]  # fmt: skip
    for text, message in bad:
        with pytest.raises(InvalidInput) as exc:
            suite_runs.import_predictions(suite=suite, version=version, data=text, by=owner)
        assert str(exc.value).startswith(message), str(exc.value)
    dir_only = [json.loads(x) for x in lines]
    for row in dir_only:
        if row["id"].startswith(f"c{SuiteCase.objects.get(test__name='dir').pk}"):
            row.pop("scores")
            row["label"] = "sport"
    with pytest.raises(InvalidInput, match="directional test's case needs scores"):
        suite_runs.import_predictions(
            suite=suite, version=version, data="\n".join(map(json.dumps, dir_only)), by=owner
        )
    assert not SuiteRun.objects.exists()


def test_regressions_against_the_previous_version(project, owner):
    suite = _external_suite(project, owner)
    v1 = evaluation.create_model_version(project=project, model_name="ext", name="e1", by=owner)
    v2 = evaluation.create_model_version(project=project, model_name="ext", name="e2", by=owner)
    everything = {"scores": {"business": 0.1, "sport": 0.8, "tech": 0.1}}
    first = suite_runs.import_predictions(
        suite=suite,
        version=v1,
        by=owner,
        data=_lines(suite, lambda r: {"label": "business"} if r["kind"] == "mft" else everything),
    )
    # v2 gets "The shares rose today." wrong: one MFT case regressed.
    second = suite_runs.import_predictions(suite=suite, version=v2, by=owner, data=_lines(
        suite, lambda r: {"label": "tech" if r["text"] == "The shares rose today." else "business"}
        if r["kind"] == "mft" else everything))  # fmt: skip
    assert first.results[0]["pass_rate"] == 1.0
    before, marks = suite_runs.compare_to_previous(second)
    assert before == first
    wrong = SuiteCase.objects.get(text="The shares rose today.")
    assert marks["mft"]["regression"] and marks["mft"]["regressed"] == [wrong.pk]
    assert marks["mft"]["change"] == pytest.approx(-1 / 6)
    assert not marks["inv"]["regression"]
    assert suite_runs.compare_to_previous(first) == (None, {})


def test_imported_versions_cannot_run_in_the_worker(project, owner):
    suite = _external_suite(project, owner)
    version = evaluation.create_model_version(
        project=project, model_name="ext", name="e1", by=owner
    )
    with pytest.raises(InvalidInput, match="is an imported model: export the suite's cases"):
        suite_runs.start_suite_run(suite=suite, version=version, by=owner)
    assert not SuiteRun.objects.exists()


def test_the_core_judges_stored_cases_with_a_stub():
    suite = checklist.parse_suite(
        {"name": "s", "tests": [{"name": "m", "type": "mft", "templates": ["x"], "expected": "a"}]}
    )
    cases = [checklist.Case("m", "mft", "x", expected="a", id=1),
             checklist.Case("m", "mft", "y", expected="b", id=2)]  # fmt: skip
    result = checklist.judge_cases(suite, cases, lambda t: np.array([0.9, 0.1]), ["a", "b"])
    assert result.tests[0].failing_ids == [2] and result.tests[0].failures[0]["case"] == 2


def test_a_run_that_cannot_load_its_model_fails_with_the_reason(name_keyed, owner):
    version = _train(name_keyed, owner, "b1")
    suite = suites.create_suite(project=name_keyed, name="s", by=owner)
    spec = {"perturbation": "uppercase", "texts": ["John read the data."]}
    suites.add_test(suite=suite, name="casing", kind="inv", spec=spec, by=owner)
    suites.generate_cases(suite=suite, by=owner)
    run = suite_runs.start_suite_run(suite=suite, version=version, by=owner)
    BaselineState.objects.all().delete()
    add_labelled(name_keyed, owner, 5)  # and the training set moved on
    run = evaluation.run_suite_run(run_id=run.pk)
    assert run.status == SuiteRun.Status.FAILED
    assert "cannot be rebuilt: train a new version" in run.message
    assert run.results == [] and run.cases == 0
    from trainerdesk.accounts.models import AuditEvent

    finish = AuditEvent.objects.filter(action="evaluation.suite_run.finish").get()
    assert finish.changes["status"] == "failed" and finish.actor_system
