"""Evaluation runs: start one (request), compute it (worker), slices, and comparisons."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.evaluation.models import (
    EvaluationRun,
    EvaluationSplit,
    ModelVersion,
    PredictedProbabilities,
)
from trainerdesk.evaluation.services import reads
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.evaluation.services.reads import LENGTH_SLICE, Rows, length_bucket
from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench import runs
from trainerdesk.workbench.models import Prediction, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import ConflictError, InvalidInput

# NumPy-backed, loaded when an evaluation first runs (lib/lazy.py says why).
np = lazy_module("numpy")
metrics = lazy_module("trainerdesk.evaluation.metrics")
bootstrap = lazy_module("trainerdesk.evaluation.bootstrap")

logger = logging.getLogger(__name__)

MAX_RESAMPLES = 10_000
# A slice with fewer items is listed but marked small: its interval is too wide to rank on.
SMALL_SLICE = 30
# Re-exported: the slice names and the rows are the read's (services/reads.py).
__all__ = ["LENGTH_SLICE", "Rows", "length_bucket"]


def start_evaluation(
    *,
    version: ModelVersion,
    field_name: str | None = None,
    scope: str = EvaluationRun.Scope.SPLIT,
    against: str = EvaluationRun.Against.FINAL,
    resamples: Any = 1000,
    seed: int = 0,
    slices: Any = None,
    bins: Any = 10,
    by,
) -> EvaluationRun:
    """Record an evaluation and queue it for the worker."""
    from trainerdesk.evaluation.tasks import run_evaluation_task

    project = version.project
    field = field_of(project, field_name)
    errors = []
    if scope not in EvaluationRun.Scope.values:
        errors.append(f"scope: must be one of {', '.join(EvaluationRun.Scope.values)}")
    if against not in EvaluationRun.Against.values:
        errors.append(f"against: must be one of {', '.join(EvaluationRun.Against.values)}")
    if (
        isinstance(resamples, bool)
        or not isinstance(resamples, int)
        or not (100 <= resamples <= MAX_RESAMPLES)
    ):
        errors.append(f"resamples: must be a whole number from 100 to {MAX_RESAMPLES}")
    if not isinstance(bins, int) or not 2 <= bins <= 50:
        errors.append("bins: must be a whole number from 2 to 50")
    slices = list(slices or [])
    if any(not isinstance(s, str) or not s or len(s) > 64 for s in slices):
        errors.append("slices: each must be an item data key (1 to 64 characters)")
    if (
        scope == EvaluationRun.Scope.SPLIT
        and not EvaluationSplit.objects.filter(project=project).exists()
    ):
        errors.append(
            "scope: this project has no evaluation split yet: create one first, or evaluate "
            'on all labelled items (scope "all", not held out)'
        )
    if not Prediction.objects.filter(item__project=project, model_version=version.name).exists():
        errors.append(f"version: {version.name!r} has no predictions in this project")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        busy = EvaluationRun.objects.active().filter(version=version, field_name=field.name)
        if busy.exists():
            raise ConflictError("An evaluation of this version is already queued or running")
        run = EvaluationRun.objects.create(
            project=project,
            version=version,
            field_name=field.name,
            scope=scope,
            against=against,
            parameters={
                "resamples": resamples,
                "seed": seed,
                "confidence": 0.95,
                "slices": slices,
                "bins": bins,
            },
            classes=list(field.label_values),
            created_by=by,
        )
        audit.record(
            action="evaluation.run.create",
            obj=run,
            project=project,
            changes={
                "version": version.name,
                "field_name": field.name,
                "scope": scope,
                "against": against,
                "parameters": run.parameters,
            },
            by=by,
        )
        transaction.on_commit(lambda: run_evaluation_task.enqueue(run_id=run.pk))
    return run


def read_rows(*, project: Project, scope: str, **kwargs) -> dict[str, Rows]:
    """{version name: Rows} over the items with a reference answer for `field`; an item a
    version has no prediction for is left out of that version's rows (counted). Read in
    SQL (services/reads.py: its read_rows takes the same keywords); `fast=False` reads
    every item through export_records."""
    split_ids = None
    if scope == EvaluationRun.Scope.SPLIT:
        split_ids = list(EvaluationSplit.objects.get(project=project).item_ids)
    return reads.read_rows(project=project, scope=scope, split_ids=split_ids, **kwargs)


def _codes(rows: Rows, classes: list[str], multiple: bool):
    return rows.codes()


def rows_digest(rows: Rows) -> str:
    """sha256 of `item id<TAB>reference<TAB>prediction` lines in item-id order (the rows
    are in that order already); a multi-label answer is its labels sorted, joined by |."""
    texts = rows.values.texts()
    digest = LineDigest()
    digest.add_lines(
        map(
            "{}\t{}\t{}\n".format,
            rows.id_array.tolist(),
            texts[rows.t_vid].tolist(),
            texts[rows.p_vid].tolist(),
        )
    )
    return digest.hexdigest()


def compute_metrics(
    t, p, classes: list[str], multiple: bool, params: dict, proba=None
) -> dict[str, Any]:
    """Headline metrics with their bootstrap intervals (pure: the rows are read)."""
    k = len(classes)
    resamples, seed = params.get("resamples", 1000), params.get("seed", 0)
    if multiple:
        out = metrics.multilabel(t, p)
        right = int((t == p).all(axis=1).sum())
        cm = np.array([[right, len(t) - right], [0, 0]])
        out["intervals"] = bootstrap.confusion_intervals(
            cm, resamples=resamples, seed=seed, statistics=("accuracy", "error_rate")
        )
    else:
        out = metrics.classification(t, p, k, proba=proba, bins=params.get("bins", 10))
        out["intervals"] = bootstrap.confusion_intervals(
            np.asarray(out["confusion"]), resamples=resamples, seed=seed
        )
    return out


def compute_slices(t, p, rows: Rows, classes: list[str], multiple: bool, params: dict):
    """Per slice key and value: n, accuracy, macro F1, error rate with its interval; the
    worst (highest error rate) first, small slices marked."""
    k = len(classes)
    out = []
    for name, codes in rows.slice_codes.items():
        names = rows.slice_values[name].names
        order = np.argsort(codes, kind="stable")
        present, starts = np.unique(codes[order], return_index=True)
        for code, members in zip(present.tolist(), np.split(order, starts[1:]), strict=True):
            out.append(_slice(name, names[code], t[members], p[members], k, multiple, params))
    out.sort(key=lambda s: (s["small"], -s["error_rate"]["value"], s["key"], s["value"]))
    return out


def _slice(name: str, value: str, st, sp, k: int, multiple: bool, params: dict) -> dict:
    n = len(st)
    if multiple:
        right = int((st == sp).all(axis=1).sum())
        cm = np.array([[right, n - right], [0, 0]])
        stats: tuple[str, ...] = ("accuracy", "error_rate")
    else:
        cm = metrics.confusion(st, sp, k)
        stats = ("accuracy", "error_rate", "macro_f1")
    ci = bootstrap.confusion_intervals(
        cm, resamples=params.get("resamples", 1000), seed=params.get("seed", 0),
        statistics=stats,
    )  # fmt: skip
    return {
        "key": name,
        "value": value,
        "n": n,
        "small": n < SMALL_SLICE,
        "accuracy": ci["accuracy"],
        "error_rate": ci["error_rate"],
        "macro_f1": ci.get("macro_f1"),
    }


def _probabilities(version: ModelVersion, field: Field, ids: list[int]):
    """The N x K matrix when every evaluated item has a vector, else None."""
    vectors = PredictedProbabilities.objects.filter(version=version, field_name=field.name)
    # Counted first: a version with vectors for some items only is not decoded at all.
    if not ids or vectors.count() < len(ids):
        return None
    stored = dict(vectors.values_list("item_id", "probabilities"))
    if any(pk not in stored for pk in ids):
        return None
    return np.asarray([stored[pk] for pk in ids], dtype=np.float64)


_RESULT_FIELDS = [
    "status",
    "progress",
    "message",
    "finished_at",
    "items_digest",
    "items_evaluated",
    "items_left_out",
    "metrics",
    "slices",
    "computed_at",
]


def run_evaluation(*, run_id: int) -> EvaluationRun:
    """Worker entry point: read references and predictions, compute, store in one save."""
    with transaction.atomic():
        run = (
            EvaluationRun.objects.select_for_update()
            .select_related("project", "version")
            .get(pk=run_id)
        )
        if run.status != EvaluationRun.Status.QUEUED:
            return run
        run.start_run("Reading labels and predictions")
    params = run.parameters
    try:
        field = field_of(run.project, run.field_name)
        if list(field.label_values) != run.classes:
            raise InvalidInput(["field_name: its labels changed since the run was started"])
        rows = read_rows(
            project=run.project,
            field=field,
            version_names=[run.version.name],
            scope=run.scope,
            against=run.against,
            slices=params.get("slices", []),
            on_progress=lambda f: run.set_progress(0.6 * f, "Reading labels and predictions"),
        )[run.version.name]
        if not len(rows):
            where = "the evaluation split" if run.scope == "split" else "the project"
            ref = "a gold reference" if run.against == "gold" else "a final label"
            raise InvalidInput(
                [
                    f"labels: no item of {where} has both {ref} for {field.name} and a "
                    f"prediction of {run.version.name!r}: label held-out items first"
                ]
            )
        run.set_progress(0.6, "Computing metrics")
        t, p = _codes(rows, run.classes, field.multiple)
        proba = None if field.multiple else _probabilities(run.version, field, rows.ids)
        result = compute_metrics(t, p, run.classes, field.multiple, params, proba=proba)
        result["probabilities"] = proba is not None
        run.set_progress(0.8, "Computing slices")
        run.slices = compute_slices(t, p, rows, run.classes, field.multiple, params)
        # NaN (kappa when references and model use one and the same class, as
        # scikit-learn answers) is no JSON: stored as null, "not defined here".
        run.metrics = _json_safe(result)
        run.items_evaluated, run.items_left_out = len(rows), rows.left_out
        run.items_digest = rows_digest(rows)
        run.computed_at = timezone.now()
    except InvalidInput as exc:
        return _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - the run must record any failure for the user
        logger.exception("evaluation run %s failed", run.pk)
        return _fail(run, f"The evaluation stopped: {type(exc).__name__}: {exc}")
    headline = result.get("accuracy", result.get("subset_accuracy"))
    run.finish(f"Accuracy {headline:.1%} on {len(rows):,} items", save=False)
    with transaction.atomic():
        run.save(update_fields=_RESULT_FIELDS)
        _record_finish(run)
        runs.announce_finished(run)
    return run


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _record_finish(run: EvaluationRun) -> None:
    audit.record(
        action="evaluation.run.finish",
        obj=run,
        project=run.project,
        changes={
            "status": run.status,
            "items_evaluated": run.items_evaluated,
            "items_sha256": run.items_digest,
        },
    )


def _fail(run: EvaluationRun, message: str) -> EvaluationRun:
    run.fail(message, save=False)
    run.metrics, run.slices = {}, []
    with transaction.atomic():
        run.save(update_fields=_RESULT_FIELDS)
        _record_finish(run)
    return run


def compare_runs(*, a: EvaluationRun, b: EvaluationRun, resamples: int = 1000, seed: int = 0):
    """B against A on the items both versions predicted (with the references A used):
    paired bootstrap of accuracy and macro F1, and McNemar. Reads, writes nothing."""
    if a.project_id != b.project_id or a.field_name != b.field_name:
        raise InvalidInput(["runs: both must evaluate the same field of one project"])
    if (a.scope, a.against) != (b.scope, b.against):
        raise InvalidInput(["runs: both must use the same items and references (scope, against)"])
    field = field_of(a.project, a.field_name)
    if field.multiple:
        raise InvalidInput(["runs: comparing multi-label runs is not supported yet"])
    both = read_rows(
        project=a.project,
        field=field,
        version_names=[a.version.name, b.version.name],
        scope=a.scope,
        against=a.against,
        slices=[],
    )
    ra, rb = both[a.version.name], both[b.version.name]
    shared, ia, ib = np.intersect1d(ra.id_array, rb.id_array, return_indices=True)
    if not len(shared):
        raise InvalidInput(["runs: the two versions have no evaluated item in common"])
    (ta, pa), (_tb, pb) = ra.codes(), rb.codes()
    t, xa, xb = ta[ia], pa[ia], pb[ib]
    joint = bootstrap.joint_counts(t, xa, xb, len(a.classes))
    return {
        "items": int(len(shared)),
        # Each version's accuracy on the shared items with today's references (which may
        # differ from a run's stored numbers if items were relabelled since it ran).
        "a_accuracy": float((xa == t).mean()),
        "b_accuracy": float((xb == t).mean()),
        "accuracy": bootstrap.paired_difference(
            joint, statistic="accuracy", resamples=resamples, seed=seed
        ),
        "macro_f1": bootstrap.paired_difference(
            joint, statistic="macro_f1", resamples=resamples, seed=seed
        ),
        "mcnemar": bootstrap.mcnemar(xa == t, xb == t),
    }
