"""Running a model version against a suite's stored cases: a built-in baseline version in
the worker (its fitted state predicts the case texts), or an external model by exporting
the cases as JSONL and importing its predictions for them, scored at once. Either way the
pure core (`checklist.judge_cases`) judges the cases, and the run keeps per test its pass
rate, failing cases and the ids of every failing case, so the next version's run shows
which cases regressed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from trainerdesk.evaluation import checklist
from trainerdesk.evaluation.models import BaselineState, ModelVersion, Suite, SuiteCase, SuiteRun
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.evaluation.services.splits import held_out_ids
from trainerdesk.evaluation.services.suites import core_suite, sync_confirmations
from trainerdesk.lib import audit, jsonlimits
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench.services import ConflictError, InvalidInput

np = lazy_module("numpy")
baseline = lazy_module("trainerdesk.evaluation.baseline")
baseline_state = lazy_module("trainerdesk.evaluation.baseline_state")

logger = logging.getLogger(__name__)

PREDICT_BATCH = 1000
MAX_PREDICTIONS_BYTES = 50_000_000
SUM_TOLERANCE = 1e-6
ORIGINAL = "-original"  # the export id of a case's unperturbed text: "c12-original"


# --- the baseline's fitted state ---------------------------------------------------------


def save_baseline_state(*, version: ModelVersion, model) -> BaselineState:
    """Keep a just-trained baseline's parameters with its version (the trainer calls it)."""
    with transaction.atomic():
        state, _ = BaselineState.objects.update_or_create(
            version=version, defaults={"data": baseline_state.dump(model)}
        )
        audit.record(
            action="evaluation.baseline_state.create", obj=state, project=version.project,
            changes={"version": version.pk, "model_sha256": model.model_digest},
        )  # fmt: skip
    return state


def _rebuild(version: ModelVersion):
    """Train again on the version's training set, when the project's final labels still
    give that set (same digest); the seeded trainer then gives the same model, which the
    model digest confirms."""
    from trainerdesk.evaluation.services.training import _training_rows

    record = version.training or {}
    field = field_of(version.project, record.get("field_name"))
    ids, texts, labels = _training_rows(version.project, field, held_out_ids(version.project))
    if not ids or baseline.training_digest(ids, labels) != version.training_digest:
        raise InvalidInput(
            [
                f"version: {version.name!r} kept no fitted state and its training set has "
                "changed since (labels were added or changed), so it cannot be rebuilt: "
                "train a new version and run the suite on it"
            ]
        )
    model = baseline.train(
        texts, labels, labels_order=record["labels_order"], seed=record.get("seed", 0),
        params=record.get("params"), item_ids=ids, held_out=held_out_ids(version.project),
    )  # fmt: skip
    if model.model_digest != record.get("model_digest"):
        raise InvalidInput([f"version: retraining {version.name!r} gave a different model"])
    return save_baseline_state(version=version, model=model)


def predictor_for(version: ModelVersion):
    """(predict_proba, labels) of a baseline version."""
    if version.source != ModelVersion.Source.BASELINE:
        raise InvalidInput(
            [
                f"version: {version.name!r} is an imported model: export the suite's cases "
                "(JSONL), run your model on them and import its predictions"
            ]
        )
    state = BaselineState.objects.filter(version=version).first() or _rebuild(version)
    predictor = baseline_state.Predictor(state.data)
    return predictor.predict_proba, predictor.labels_order


# --- judging stored cases ----------------------------------------------------------------


def _cases(suite: Suite) -> tuple[list, list[checklist.Case]]:
    tests = list(suite.tests.all())
    cases = []
    for case in SuiteCase.objects.filter(test__suite=suite).select_related("test"):
        cases.append(
            checklist.Case(
                test=case.test.name,
                type=case.test.kind,
                text=case.text,
                original=case.original or None if case.test.kind != "mft" else None,
                expected=case.expected_label or None,
                id=case.pk,
            )
        )
    return tests, cases


def _judge(suite: Suite, tests, cases, scores_of, labels) -> tuple[dict, list[dict]]:
    result = checklist.judge_cases(core_suite(suite, tests), cases, scores_of, labels)
    ids_of: dict[str, list[int]] = {}
    for case in cases:
        ids_of.setdefault(case.test, []).append(case.id)
    rows = []
    for test, outcome in zip(tests, result.tests, strict=True):
        rows.append(outcome.as_dict() | {"kind": test.kind, "case_ids": ids_of.get(test.name, [])})
    digest = LineDigest()
    for case in sorted(cases, key=lambda c: c.id):
        digest.add(case.id, case.text, case.expected or "")
    return {"cases": result.cases, "passed": result.passed, "digest": digest.hexdigest()}, rows


def _store(run: SuiteRun, totals: dict, rows: list[dict], message: str, by=None) -> SuiteRun:
    run.results = rows
    run.cases, run.passed = totals["cases"], totals["passed"]
    run.cases_digest = totals["digest"]
    run.computed_at = timezone.now()
    run.finish(message, save=False)
    with transaction.atomic():
        run.save()
        _record_finish(run, by=by)
    return run


def _record_finish(run: SuiteRun, by=None) -> None:
    audit.record(
        action="evaluation.suite_run.finish", obj=run, project=run.project,
        changes={"status": run.status, "cases": run.cases, "passed": run.passed,
                 "cases_sha256": run.cases_digest}, by=by,
    )  # fmt: skip


def _summary(totals: dict) -> str:
    rate = totals["passed"] / totals["cases"] if totals["cases"] else 0
    return f"{totals['passed']:,} of {totals['cases']:,} cases passed ({rate:.1%})"


# --- built-in versions: in the worker ----------------------------------------------------


def start_suite_run(*, suite: Suite, version: ModelVersion, by) -> SuiteRun:
    from trainerdesk.evaluation.tasks import run_suite_task

    if version.project_id != suite.project_id:
        raise InvalidInput(["version: not a version of this project"])
    if version.source != ModelVersion.Source.BASELINE:
        predictor_for(version)  # raises the message saying how to test an imported model
    if not SuiteCase.objects.filter(test__suite=suite).exists():
        raise InvalidInput(["cases: the suite has no cases yet: generate them first"])
    with transaction.atomic():
        if SuiteRun.objects.active().filter(suite=suite, version=version).exists():
            raise ConflictError("A run of this suite on this version is already queued or running")
        run = SuiteRun.objects.create(
            project=suite.project, suite=suite, version=version, created_by=by
        )
        audit.record(
            action="evaluation.suite_run.create", obj=run, project=suite.project,
            changes={"suite": suite.pk, "version": version.name, "mode": run.mode}, by=by,
        )  # fmt: skip
        transaction.on_commit(lambda: run_suite_task.enqueue(run_id=run.pk))
    return run


def run_suite_run(*, run_id: int) -> SuiteRun:
    """Worker entry point: confirmations, the model's state, predictions, judging."""
    with transaction.atomic():
        run = (
            SuiteRun.objects.select_for_update()
            .select_related("suite__project", "version__project")
            .get(pk=run_id)
        )
        if run.status != SuiteRun.Status.QUEUED:
            return run
        run.start_run("Reading the cases and confirmed labels")
    try:
        sync_confirmations(suite=run.suite)
        tests, cases = _cases(run.suite)
        run.set_progress(0.05, "Loading the model")
        predict, labels = predictor_for(run.version)
        field = field_of(run.suite.project, run.suite.field_name)
        if set(labels) != set(field.label_values):
            raise InvalidInput(
                [f"version: {run.version.name!r} was trained on the labels {labels}; "
                 f"{field.name} now has {list(field.label_values)}: train a new version"]
            )  # fmt: skip
        texts = list(dict.fromkeys(t for c in cases for t in (c.text, c.original) if t))
        scores: dict[str, Any] = {}
        for start in range(0, len(texts), PREDICT_BATCH):
            chunk = texts[start : start + PREDICT_BATCH]
            scores.update(zip(chunk, predict(chunk), strict=True))
            done = start + len(chunk)
            run.set_progress(
                0.1 + 0.85 * done / len(texts), f"Predicted {done:,} of {len(texts):,} texts"
            )
        totals, rows = _judge(run.suite, tests, cases, scores.__getitem__, labels)
    except (InvalidInput, checklist.SuiteError) as exc:
        return _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - the run must record any failure for the user
        logger.exception("suite run %s failed", run.pk)
        return _fail(run, f"The suite run stopped: {type(exc).__name__}: {exc}")
    return _store(run, totals, rows, _summary(totals))


def _fail(run: SuiteRun, message: str) -> SuiteRun:
    run.fail(message, save=False)
    run.results = []
    with transaction.atomic():
        run.save()
        _record_finish(run)
    return run


# --- external models: export the cases, import predictions --------------------------------


def export_cases(*, suite: Suite) -> Iterator[bytes]:
    """JSONL, one text to predict per line: `{"id": "c12", "test": ..., "text": ...}`; an
    invariance or directional case's unperturbed text comes as `"c12-original"`."""
    for case in SuiteCase.objects.filter(test__suite=suite).select_related("test").iterator():
        yield orjson.dumps(
            {"id": f"c{case.pk}", "test": case.test.name, "kind": case.test.kind,
             "text": case.text}, option=orjson.OPT_APPEND_NEWLINE,
        )  # fmt: skip
        if case.original and case.test.kind != "mft":
            yield orjson.dumps(
                {"id": f"c{case.pk}{ORIGINAL}", "test": case.test.name, "kind": case.test.kind,
                 "text": case.original}, option=orjson.OPT_APPEND_NEWLINE,
            )  # fmt: skip


def _vector(obj: dict, labels: list[str], where: str) -> Any:
    has_label, has_scores = "label" in obj, "scores" in obj
    if has_label == has_scores:
        raise InvalidInput([f'{where}: give either "label" or "scores" (one of them)'])
    if has_label:
        label = obj["label"]
        if label not in labels:
            raise InvalidInput([f"{where}.label: {label!r} is not a label ({', '.join(labels)})"])
        out = np.zeros(len(labels))
        out[labels.index(label)] = 1.0
        return out
    scores = obj["scores"]
    if not isinstance(scores, dict):
        raise InvalidInput([f"{where}.scores: must be an object of label: probability"])
    if unknown := sorted(set(scores) - set(labels)):
        raise InvalidInput([f"{where}.scores: {unknown[0]!r} is not a label ({', '.join(labels)})"])
    if missing := [name for name in labels if name not in scores]:
        raise InvalidInput([f"{where}.scores: no score for {missing}"])
    values = [scores[name] for name in labels]
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in values
    ):
        raise InvalidInput([f"{where}.scores: each must be a number from 0 to 1"])
    if not math.isclose(sum(values), 1.0, abs_tol=SUM_TOLERANCE):
        raise InvalidInput([f"{where}.scores: must sum to 1, sum to {sum(values):.6g}"])
    return np.asarray(values, dtype=np.float64)


def import_predictions(*, suite: Suite, version: ModelVersion, data: bytes | str, by) -> SuiteRun:
    """Score an external model's predictions for the exported cases (JSONL: one
    `{"id": ..., "label": ...}` or `{"id": ..., "scores": {label: p}}` per line; directional
    tests need scores). Every exported text must be predicted; any bad line rejects the
    file, naming the line, and nothing is stored."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_PREDICTIONS_BYTES:
        raise InvalidInput([f"file: over {MAX_PREDICTIONS_BYTES:,} bytes"])
    if version.project_id != suite.project_id:
        raise InvalidInput(["version: not a version of this project"])
    labels = list(field_of(suite.project, suite.field_name).label_values)
    tests, cases = _cases(suite)
    if not cases:
        raise InvalidInput(["cases: the suite has no cases yet: generate them first"])
    wanted: dict[str, str] = {}
    needs_scores: set[str] = set()
    kinds = {t.name: t.kind for t in tests}
    for case in cases:
        wanted[f"c{case.id}"] = case.text
        if case.original:
            wanted[f"c{case.id}{ORIGINAL}"] = case.original
        if kinds[case.test] == "dir":
            needs_scores.update({f"c{case.id}", f"c{case.id}{ORIGINAL}"})
    scores: dict[str, Any] = {}
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {lineno}"
        if jsonlimits.deep_at(line) is not None:
            raise InvalidInput([f"{where}: nested too deep"])
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput([f"{where}: not valid JSON ({exc})"]) from None
        if not isinstance(obj, dict):
            raise InvalidInput([f"{where}: must be a JSON object"])
        key = obj.get("id")
        if key not in wanted:
            raise InvalidInput([f"{where}.id: {key!r} is not a case of this suite"])
        if key in scores:
            raise InvalidInput([f"{where}.id: {key!r} is predicted twice"])
        if key in needs_scores and "scores" not in obj:
            raise InvalidInput([f"{where}.scores: a directional test's case needs scores"])
        scores[key] = _vector(obj, labels, where)
    if missing := [k for k in wanted if k not in scores]:
        raise InvalidInput(
            [f"id: {len(missing):,} exported texts have no prediction (first: {missing[0]})"]
        )
    by_text = {wanted[k]: v for k, v in scores.items()}
    totals, rows = _judge(suite, tests, cases, by_text.__getitem__, labels)
    with transaction.atomic():
        run = SuiteRun(
            project=suite.project, suite=suite, version=version,
            mode=SuiteRun.Mode.EXTERNAL, created_by=by,
        )  # fmt: skip
        run.start_run("Scoring imported predictions", save=False)
        run.save()
        audit.record(
            action="evaluation.suite_run.create", obj=run, project=suite.project,
            changes={"suite": suite.pk, "version": version.name, "mode": run.mode,
                     "predictions": len(scores)}, by=by,
        )  # fmt: skip
        return _store(run, totals, rows, _summary(totals) + " (imported predictions)", by=by)


# --- regressions ---------------------------------------------------------------------------


def previous_run(run: SuiteRun) -> SuiteRun | None:
    """The latest finished run of the same suite on another version before this one."""
    return (
        SuiteRun.objects.filter(suite=run.suite, status=SuiteRun.Status.DONE)
        .exclude(version=run.version)
        .filter(created_at__lte=run.created_at)
        .exclude(pk=run.pk)
        .select_related("version")
        .order_by("-created_at", "-id")
        .first()
    )


def compare_to_previous(run: SuiteRun) -> tuple[SuiteRun | None, dict[str, dict]]:
    """Per test name: the previous run's pass rate, the change, and the cases that pass
    in the previous run and fail in this one (regressed); `regression` when any did."""
    before = previous_run(run)
    if before is None:
        return None, {}
    old = {r["name"]: r for r in before.results}
    out = {}
    for row in run.results:
        prev = old.get(row["name"])
        if prev is None:
            continue
        shared = set(row.get("case_ids", [])) & set(prev.get("case_ids", []))
        regressed = sorted(
            (set(row.get("failing_ids", [])) - set(prev.get("failing_ids", []))) & shared
        )
        fixed = sorted(
            (set(prev.get("failing_ids", [])) - set(row.get("failing_ids", []))) & shared
        )
        change = None
        if row["pass_rate"] is not None and prev["pass_rate"] is not None:
            change = row["pass_rate"] - prev["pass_rate"]
        out[row["name"]] = {
            "previous_pass_rate": prev["pass_rate"],
            "change": change,
            "regressed": regressed,
            "fixed": fixed,
            "regression": bool(regressed),
        }
    return before, out
