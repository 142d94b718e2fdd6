"""Evaluation runs: start one (request), compute it (worker), slices, and comparisons."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.evaluation.models import (
    EvaluationRun,
    EvaluationSplit,
    ModelVersion,
    PredictedProbabilities,
)
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench import runs
from trainerdesk.workbench.models import Prediction, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

# NumPy-backed, loaded when an evaluation first runs (lib/lazy.py says why).
np = lazy_module("numpy")
metrics = lazy_module("trainerdesk.evaluation.metrics")
bootstrap = lazy_module("trainerdesk.evaluation.bootstrap")

logger = logging.getLogger(__name__)

MAX_RESAMPLES = 10_000
# A slice with fewer items is listed but marked small: its interval is too wide to rank on.
SMALL_SLICE = 30
LENGTH_SLICE = "length"
# Words in the text: the length buckets' upper bounds (the last is open).
LENGTH_BUCKETS = ((20, "1-20 words"), (50, "21-50 words"), (200, "51-200 words"))
_PAGE = 2000


def length_bucket(text: Any) -> str:
    if not isinstance(text, str):
        return "no text"
    words = len(text.split())
    for bound, name in LENGTH_BUCKETS:
        if words <= bound:
            return name
    return f"over {LENGTH_BUCKETS[-1][0]} words"


def start_evaluation(
    *,
    version: ModelVersion,
    field_name: str | None = None,
    scope: str = EvaluationRun.Scope.SPLIT,
    against: str = EvaluationRun.Against.FINAL,
    resamples: int = 1000,
    seed: int = 0,
    slices: list[str] | None = None,
    bins: int = 10,
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


@dataclass
class Rows:
    """What an evaluation reads: per item its reference, prediction and slice values."""

    ids: list[int] = dc_field(default_factory=list)
    truth: list[Any] = dc_field(default_factory=list)
    pred: list[Any] = dc_field(default_factory=list)
    keys: list[dict[str, str]] = dc_field(default_factory=list)
    left_out: int = 0


def _label_problem(value: Any, field: Field, where: str) -> str | None:
    labels = set(field.label_values)
    values = value if isinstance(value, list) else [value]
    if field.multiple and not isinstance(value, list):
        return f"{where}: must be a list of labels of {field.name}"
    for v in values:
        if v not in labels:
            return (
                f"{where}: {v!r} is not a label of {field.name} ({', '.join(field.label_values)})"
            )
    return None


def read_rows(
    *,
    project: Project,
    field: Field,
    version_names: list[str],
    scope: str,
    against: str,
    slices: list[str],
    on_progress=None,
) -> dict[str, Rows]:
    """{version name: Rows} over the items with a reference answer for `field`; an item a
    version has no prediction for is left out of that version's rows (counted)."""
    gold = set(project.items.filter(is_gold=True).values_list("pk", flat=True))
    if scope == EvaluationRun.Scope.SPLIT:
        split = EvaluationSplit.objects.get(project=project)
        ids = split.item_ids
        pages = [ids[i : i + _PAGE] for i in range(0, len(ids), _PAGE)]
        total = len(ids) or 1
    else:
        pages = [None]
        total = project.items.filter(done_count__gt=0).count() or 1
    text_key = field.source
    out = {name: Rows() for name in version_names}
    seen = 0
    for page in pages:
        records = export_records(
            project=project,
            only_labeled=against == EvaluationRun.Against.FINAL,
            include_annotations=False,
            include_final=against == EvaluationRun.Against.FINAL,
            chunk_size=_PAGE,
            item_ids=page,
        )
        for record in records:
            seen += 1
            if against == EvaluationRun.Against.GOLD:
                ref = (record["reference"] or {}) if record["id"] in gold else {}
            else:
                ref = record["final"] or {}
            truth = ref.get(field.name) if isinstance(ref, dict) else None
            if truth is None or _label_problem(truth, field, "reference") is not None:
                for rows in out.values():
                    rows.left_out += 1
                continue
            latest: dict[str, Any] = {}
            for p in record["predictions"]:  # oldest first: the last one counts
                answer = p["answer"]
                if p["model_version"] in out and isinstance(answer, dict) and field.name in answer:
                    latest[p["model_version"]] = p["answer"][field.name]
            data = record["data"] if isinstance(record["data"], dict) else {}
            keys = {LENGTH_SLICE: length_bucket(data.get(text_key))}
            for s in slices:
                value = data.get(s)
                keys[s] = "(missing)" if value is None else str(value)[:100]
            for name, rows in out.items():
                if name not in latest:
                    rows.left_out += 1
                    continue
                problem = _label_problem(
                    latest[name], field, f"predictions[item {record['id']}].{field.name}"
                )
                if problem:
                    raise InvalidInput([f"{problem} (version {name!r})"])
                rows.ids.append(record["id"])
                rows.truth.append(truth)
                rows.pred.append(latest[name])
                rows.keys.append(keys)
            if on_progress and seen % (_PAGE * 5) == 0:
                on_progress(seen / total)
    return out


def _codes(rows: Rows, classes: list[str], multiple: bool):
    index = {c: i for i, c in enumerate(classes)}
    if multiple:
        t = np.zeros((len(rows.ids), len(classes)), dtype=bool)
        p = np.zeros_like(t)
        for r, (a, b) in enumerate(zip(rows.truth, rows.pred, strict=True)):
            t[r, [index[x] for x in a]] = True
            p[r, [index[x] for x in b]] = True
        return t, p
    return (
        np.fromiter((index[x] for x in rows.truth), dtype=np.int64, count=len(rows.ids)),
        np.fromiter((index[x] for x in rows.pred), dtype=np.int64, count=len(rows.ids)),
    )


def _as_text(value: Any) -> str:
    return "|".join(sorted(value)) if isinstance(value, list) else str(value)


def rows_digest(rows: Rows) -> str:
    digest = LineDigest()
    for pk, t, p in sorted(zip(rows.ids, rows.truth, rows.pred, strict=True)):
        digest.add(pk, _as_text(t), _as_text(p))
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
    groups: dict[tuple[str, str], list[int]] = {}
    for i, keys in enumerate(rows.keys):
        for name, value in keys.items():
            groups.setdefault((name, value), []).append(i)
    out = []
    for (name, value), members in groups.items():
        idx = np.asarray(members)
        st, sp = t[idx], p[idx]
        if multiple:
            right = int((st == sp).all(axis=1).sum())
            cm = np.array([[right, len(idx) - right], [0, 0]])
            stats: tuple[str, ...] = ("accuracy", "error_rate")
        else:
            cm = metrics.confusion(st, sp, k)
            stats = ("accuracy", "error_rate", "macro_f1")
        ci = bootstrap.confusion_intervals(
            cm, resamples=params.get("resamples", 1000), seed=params.get("seed", 0),
            statistics=stats,
        )  # fmt: skip
        out.append(
            {
                "key": name,
                "value": value,
                "n": len(idx),
                "small": len(idx) < SMALL_SLICE,
                "accuracy": ci["accuracy"],
                "error_rate": ci["error_rate"],
                "macro_f1": ci.get("macro_f1"),
            }
        )
    out.sort(key=lambda s: (s["small"], -s["error_rate"]["value"], s["key"], s["value"]))
    return out


def _probabilities(version: ModelVersion, field: Field, ids: list[int]):
    """The N x K matrix when every evaluated item has a vector, else None."""
    stored = dict(
        PredictedProbabilities.objects.filter(version=version, field_name=field.name).values_list(
            "item_id", "probabilities"
        )
    )
    if not ids or any(pk not in stored for pk in ids):
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
        if not rows.ids:
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
        run.items_evaluated, run.items_left_out = len(rows.ids), rows.left_out
        run.items_digest = rows_digest(rows)
        run.computed_at = timezone.now()
    except InvalidInput as exc:
        return _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - the run must record any failure for the user
        logger.exception("evaluation run %s failed", run.pk)
        return _fail(run, f"The evaluation stopped: {type(exc).__name__}: {exc}")
    headline = result.get("accuracy", result.get("subset_accuracy"))
    run.finish(f"Accuracy {headline:.1%} on {len(rows.ids):,} items", save=False)
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
    shared = sorted(set(ra.ids) & set(rb.ids))
    if not shared:
        raise InvalidInput(["runs: the two versions have no evaluated item in common"])
    index = {c: i for i, c in enumerate(a.classes)}
    ta = dict(zip(ra.ids, ra.truth, strict=True))
    pa = dict(zip(ra.ids, ra.pred, strict=True))
    pb = dict(zip(rb.ids, rb.pred, strict=True))
    t = np.asarray([index[ta[i]] for i in shared])
    xa = np.asarray([index[pa[i]] for i in shared])
    xb = np.asarray([index[pb[i]] for i in shared])
    joint = bootstrap.joint_counts(t, xa, xb, len(a.classes))
    return {
        "items": len(shared),
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
