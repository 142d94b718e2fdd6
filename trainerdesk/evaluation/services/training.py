"""The built-in baseline trainer wired to the project: start a training (request), train
and store the version with its predictions (worker).

Training reads the final labels (the quality final-label rule, through `export_records`, as
evaluation runs do) minus the evaluation split's items, and the split must exist first:
without one, every labelled item would be trained on and no later evaluation could be
honest. `baseline.train` gets the split as `held_out` as well, so a mistake here raises
`HeldOutLeak` instead of quietly training on the items it will be measured on.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.db import IntegrityError, transaction

from trainerdesk.evaluation.models import (
    EvaluationSplit,
    Model,
    ModelVersion,
    PredictedProbabilities,
    TrainingRun,
)
from trainerdesk.evaluation.services.common import CASE_MARKER, field_of
from trainerdesk.evaluation.services.splits import held_out_ids
from trainerdesk.evaluation.services.suite_runs import save_baseline_state
from trainerdesk.lib import audit
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench.models import Item, Prediction, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

# scikit-learn is loaded when a training first runs (lib/lazy.py says why).
baseline = lazy_module("trainerdesk.evaluation.baseline")

logger = logging.getLogger(__name__)

# Items predicted (and their rows written) per batch: memory stays that of one batch.
PREDICT_BATCH = 2000
# Mirrors baseline.MIN_PER_LABEL without importing scikit-learn in the request.
MIN_PER_LABEL = 5


def _text_key(field: Field) -> str:
    return field.source or "text"


def _training_rows(project: Project, field: Field, held: set[int]):
    """(ids, texts, labels) of the items with a final label for `field`, not held out."""
    ids: list[int] = []
    texts: list[str] = []
    labels: list[str] = []
    known = set(field.label_values)
    key = _text_key(field)
    for record in export_records(
        project=project, only_labeled=True, include_annotations=False, include_final=True
    ):
        if record["id"] in held:
            continue
        final = record["final"] or {}
        label = final.get(field.name) if isinstance(final, dict) else None
        if not isinstance(label, str) or label not in known:
            continue
        data = record["data"] if isinstance(record["data"], dict) else {}
        if CASE_MARKER in data:  # a suite's test case sent to annotators: test data
            continue
        text = data.get(key)
        ids.append(record["id"])
        texts.append(text if isinstance(text, str) else "")
        labels.append(label)
    return ids, texts, labels


def _label_problems(field: Field, labels: list[str]) -> list[str]:
    """Every label's count when the baseline could not train: named one by one."""
    counts = Counter(labels)
    short = [name for name in field.label_values if 0 < counts[name] < MIN_PER_LABEL]
    used = [name for name in field.label_values if counts[name]]
    if not short and len(used) >= 2:
        return []
    listed = ", ".join(f'"{name}" has {counts[name]}' for name in field.label_values)
    return [
        f"labels: too few labelled items outside the evaluation split to train the baseline "
        f"({listed}); at least two labels need {MIN_PER_LABEL} or more each, and a label in "
        f"use needs at least {MIN_PER_LABEL} (a label with none is allowed)"
    ]


def train_baseline(
    *, project: Project, name: str, field_name: str | None = None, seed: int = 0, by
) -> TrainingRun:
    """Check the request (split, name, labels) and queue the training for the worker."""
    from trainerdesk.evaluation.tasks import run_training_task

    field = field_of(project, field_name)
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append("name: must not be empty (it names the model and its version)")
    elif len(name) > 255:
        errors.append("name: at most 255 characters")
    elif ModelVersion.objects.filter(project=project, name=name).exists():
        errors.append(f"name: this project already has a version {name!r}")
    if field.multiple:
        errors.append(
            f"field_name: {field.name} is multi-label; the baseline trains single-label "
            "fields only so far"
        )
    if not EvaluationSplit.objects.filter(project=project).exists():
        errors.append(
            "split: this project has no evaluation split yet: create it first, so the "
            "baseline never trains on the items it will be evaluated on"
        )
    if errors:
        raise InvalidInput(errors)
    _ids, _texts, labels = _training_rows(project, field, held_out_ids(project))
    if problems := _label_problems(field, labels):
        raise InvalidInput(problems)
    with transaction.atomic():
        busy = TrainingRun.objects.active().filter(project=project, name=name)
        if busy.exists():
            raise ConflictError(f"A training of {name!r} is already queued or running")
        run = TrainingRun.objects.create(
            project=project,
            name=name,
            field_name=field.name,
            parameters={"seed": seed, "params": {}},
            created_by=by,
        )
        audit.record(
            action="evaluation.training.create",
            obj=run,
            project=project,
            changes={"name": name, "field_name": field.name, "seed": seed},
            by=by,
        )
        transaction.on_commit(lambda: run_training_task.enqueue(run_id=run.pk))
    return run


def _store_version(run: TrainingRun, model, held: set[int], split: EvaluationSplit):
    record = model.record() | {
        "field_name": run.field_name,
        "held_out_items": len(held),
        "split_items_sha256": split.items_digest,
    }
    with transaction.atomic():
        owner, _ = Model.objects.get_or_create(project=run.project, name=run.name)
        version = ModelVersion.objects.create(
            model=owner,
            project=run.project,
            name=run.name,
            source=ModelVersion.Source.BASELINE,
            notes=f"Built-in baseline trained on {model.items} items (training run {run.pk})",
            created_by=run.created_by,
            training_digest=model.training_digest,
            training=record,
        )
        audit.record(
            action="evaluation.model_version.create",
            obj=version,
            project=run.project,
            changes={
                "model": owner.name,
                "name": version.name,
                "source": version.source,
                "training_sha256": version.training_digest,
            },
        )
    return version


def _predict_all(run: TrainingRun, model, version: ModelVersion, field: Field) -> int:
    """Predictions (top label, its probability as score) and probability vectors for every
    item of the project, written batch by batch like imported predictions are."""
    key = _text_key(field)
    order = list(model.labels_order)
    total = run.project.items.count() or 1
    done = 0
    last = 0
    while True:
        batch = list(
            Item.objects.filter(project=run.project, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "data")[:PREDICT_BATCH]
        )
        if not batch:
            break
        last = batch[-1][0]
        texts = [
            d.get(key) if isinstance(d, dict) and isinstance(d.get(key), str) else ""
            for _pk, d in batch
        ]
        proba = model.predict_proba(texts, batch_size=PREDICT_BATCH)
        predictions, vectors = [], []
        for (pk, _data), row in zip(batch, proba, strict=True):
            best = int(row.argmax())
            predictions.append(
                Prediction(
                    item_id=pk,
                    model_version=version.name,
                    answer={field.name: order[best]},
                    score=float(row[best]),
                )
            )
            vectors.append(
                PredictedProbabilities(
                    version=version,
                    item_id=pk,
                    field_name=field.name,
                    probabilities=[float(p) for p in row],
                )
            )
        with transaction.atomic():
            Prediction.objects.bulk_create(predictions, batch_size=1000)
            PredictedProbabilities.objects.bulk_create(vectors, batch_size=1000)
            audit.record_bulk(
                action="evaluation.predictions.bulk_create",
                object_type="workbench.prediction",
                ids=[pk for pk, _ in batch],
                changes={"version": version.pk, "model_version": version.name},
                project=run.project,
            )
        done += len(batch)
        run.set_progress(0.5 + 0.5 * done / total, f"Predicting: {done:,} of {total:,} items")
    return done


def run_training(*, run_id: int) -> TrainingRun:
    """Worker entry point: read, train, store the version and its predictions."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().select_related("project").get(pk=run_id)
        if run.status != TrainingRun.Status.QUEUED:
            return run
        run.start_run("Reading final labels")
    try:
        field = field_of(run.project, run.field_name)
        split = EvaluationSplit.objects.filter(project=run.project).first()
        if split is None:
            raise InvalidInput(["split: the evaluation split is missing: create it first"])
        held = set(split.item_ids)
        ids, texts, labels = _training_rows(run.project, field, held)
        if problems := _label_problems(field, labels):
            raise InvalidInput(problems)
        run.set_progress(0.2, f"Training on {len(ids):,} items")
        try:
            model = baseline.train(
                texts,
                labels,
                labels_order=field.label_values,
                seed=run.parameters.get("seed", 0),
                params=run.parameters.get("params") or None,
                item_ids=ids,
                held_out=held,
            )
        except (baseline.NotEnoughLabels, baseline.HeldOutLeak) as exc:
            raise InvalidInput([f"{exc.field}: {exc}"]) from None
        run.set_progress(0.5, "Predicting every item")
        try:
            version = _store_version(run, model, held, split)
        except IntegrityError:
            raise InvalidInput([f"name: this project already has a version {run.name!r}"]) from None
        # Its fitted parameters, so behavioural test suites can ask it about new texts.
        save_baseline_state(version=version, model=model)
        count = _predict_all(run, model, version, field)
    except InvalidInput as exc:
        return _finish(run, failed=str(exc))
    except Exception as exc:  # noqa: BLE001 - the run must record any failure for the user
        logger.exception("training run %s failed", run.pk)
        return _finish(run, failed=f"The training stopped: {type(exc).__name__}: {exc}")
    run.version = version
    run.finish(
        f"Trained on {model.items:,} items in {model.training_seconds:.1f} s; "
        f"predicted {count:,} items",
        save=False,
    )
    return _finish(run)


def _finish(run: TrainingRun, failed: str | None = None) -> TrainingRun:
    if failed is not None:
        run.fail(failed, save=False)
    with transaction.atomic():
        run.save(update_fields=["status", "progress", "message", "finished_at", "version"])
        audit.record(
            action="evaluation.training.finish",
            obj=run,
            project=run.project,
            changes={"status": run.status, "version": run.version_id},
        )
    return run
