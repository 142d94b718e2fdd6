"""The built-in baseline trainer wired to the project: start a training (request), train
and store the version with its predictions (worker).

Training reads the final labels (the quality final-label rule, through `export_records`, as
evaluation runs do) minus the evaluation split's items, and the split must exist first:
without one, every labelled item would be trained on and no later evaluation could be
honest. `baseline.train` gets the split as `held_out` as well, so a mistake here raises
`HeldOutLeak` instead of quietly training on the items it will be measured on.

A multi-label field trains one-vs-rest (a label is predicted at probability >= 0.5; every
label's probability is kept). Predicting reads the items' texts in SQL by keyset batches
and writes each batch's probabilities to a temporary file (memory stays that of one
batch); the version and all its predictions are then stored in one transaction with
executemany, so a training that fails at any point, or whose worker dies, leaves no
version and no prediction behind.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from trainerdesk.evaluation.models import (
    EvaluationSplit,
    Model,
    ModelVersion,
    PredictedProbabilities,
    TrainingRun,
)
from trainerdesk.evaluation.services.common import CASE_MARKER, field_of
from trainerdesk.evaluation.services.reads import sql_safe
from trainerdesk.evaluation.services.splits import held_out_ids
from trainerdesk.evaluation.services.suite_runs import save_baseline_state
from trainerdesk.lib import audit
from trainerdesk.lib.jsonutil import db_json
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench import runs
from trainerdesk.workbench.models import Item, Prediction, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

# scikit-learn is loaded when a training first runs (lib/lazy.py says why).
baseline = lazy_module("trainerdesk.evaluation.baseline")
np = lazy_module("numpy")

logger = logging.getLogger(__name__)

# Items predicted (and their rows written) per batch: memory stays that of one batch.
PREDICT_BATCH = 2000
# Mirrors baseline.MIN_PER_LABEL without importing scikit-learn in the request.
MIN_PER_LABEL = 5
# A multi-label prediction holds the labels at this probability or above.
MULTI_LABEL_THRESHOLD = 0.5


def _text_key(field: Field) -> str:
    return field.source or "text"


def _training_rows(project: Project, field: Field, held: set[int]):
    """(ids, texts, labels) of the items with a final label for `field`, not held out; a
    multi-label final label is its list of labels (possibly empty)."""
    ids: list[int] = []
    texts: list[str] = []
    labels: list[Any] = []
    known = set(field.label_values)
    key = _text_key(field)
    for record in export_records(
        project=project, only_labeled=True, include_annotations=False, include_final=True
    ):
        if record["id"] in held:
            continue
        final = record["final"] or {}
        label = final.get(field.name) if isinstance(final, dict) else None
        if field.multiple:
            if not isinstance(label, list) or not all(
                isinstance(v, str) and v in known for v in label
            ):
                continue
        elif not isinstance(label, str) or label not in known:
            continue
        data = record["data"] if isinstance(record["data"], dict) else {}
        if CASE_MARKER in data:  # a suite's test case sent to annotators: test data
            continue
        text = data.get(key)
        ids.append(record["id"])
        texts.append(text if isinstance(text, str) else "")
        labels.append(label)
    return ids, texts, labels


def _label_problems(field: Field, labels: list[Any]) -> list[str]:
    """Every label's count when the baseline could not train: named one by one, with how
    many are needed."""
    if field.multiple:
        return _multi_label_problems(field, labels)
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


def _multi_label_problems(field: Field, labels: list[list[str]]) -> list[str]:
    """One-vs-rest learns a label from items with it and items without it."""
    n = len(labels)
    counts = Counter(name for answer in labels for name in set(answer))
    short = [name for name in field.label_values if 0 < counts[name] < MIN_PER_LABEL]
    learnable = [
        name for name in field.label_values
        if counts[name] >= MIN_PER_LABEL and n - counts[name] >= MIN_PER_LABEL
    ]  # fmt: skip
    if not short and learnable:
        return []
    listed = ", ".join(f'"{name}" is on {counts[name]}' for name in field.label_values)
    return [
        f"labels: too few labelled items outside the evaluation split to train the "
        f"multi-label baseline ({n} items; {listed}); a label in use needs at least "
        f"{MIN_PER_LABEL} items with it, and at least one label needs {MIN_PER_LABEL} items "
        f"with it and {MIN_PER_LABEL} without it (a label on no item is allowed)"
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


def _create_version(run: TrainingRun, model, held: set[int], split: EvaluationSplit):
    """The version row (inside the caller's transaction, with its predictions)."""
    record = model.record() | {
        "field_name": run.field_name,
        "held_out_items": len(held),
        "split_items_sha256": split.items_digest,
    }
    if model.multi_label:
        record["threshold"] = MULTI_LABEL_THRESHOLD
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


def _text_sql(key: str) -> tuple[str, list[str]]:
    """The item's `key` when it is a string, else NULL (the baseline reads "" then)."""
    if connection.vendor == "sqlite":
        path = f'$."{key}"'
        return (
            "CASE json_type(data, %s) WHEN 'text' THEN json_extract(data, %s) END",
            [path, path],
        )
    return (
        "CASE WHEN jsonb_typeof(data -> %s::text) = 'string' THEN data ->> %s::text END",
        [key, key],
    )


def _text_batches(project: Project, key: str):
    """(ids, texts) of the project's items, PREDICT_BATCH at a time in id order (keyset);
    the database extracts the text, so no item's data is decoded here."""
    last = 0
    with connection.cursor() as cursor:
        while True:
            if sql_safe(key):
                sql, params = _text_sql(key)
                cursor.execute(
                    f"SELECT id, {sql} FROM {Item._meta.db_table} WHERE +project_id = %s "
                    f"AND id > %s ORDER BY id LIMIT %s",
                    [*params, project.pk, last, PREDICT_BATCH],
                )
                rows = cursor.fetchall()
            else:  # a key SQLite's JSON path cannot quote: decode the data here
                cursor.execute(
                    f"SELECT id, data FROM {Item._meta.db_table} WHERE +project_id = %s "
                    f"AND id > %s ORDER BY id LIMIT %s",
                    [project.pk, last, PREDICT_BATCH],
                )
                rows = [
                    (pk, d.get(key) if isinstance(d := db_json(data), dict) else None)
                    for pk, data in cursor.fetchall()
                ]
            if not rows:
                return
            last = rows[-1][0]
            yield [pk for pk, _ in rows], [t if isinstance(t, str) else "" for _, t in rows]


def _predict_to_file(run: TrainingRun, model, field: Field, fh) -> int:
    """Predict every item of the project batch by batch; each batch's ids and N x K
    probabilities go to `fh` (NumPy's format), so memory stays that of one batch.
    Returns the number of batches."""
    total = run.project.items.count() or 1
    done = batches = 0
    for ids, texts in _text_batches(run.project, _text_key(field)):
        proba = model.predict_proba(texts, batch_size=PREDICT_BATCH)
        np.save(fh, np.asarray(ids, dtype=np.int64), allow_pickle=False)
        np.save(fh, proba, allow_pickle=False)
        batches += 1
        done += len(ids)
        run.set_progress(0.5 + 0.4 * done / total, f"Predicting: {done:,} of {total:,} items")
    return batches


def _write_predictions(
    run: TrainingRun, model, version: ModelVersion, field: Field, fh, batches: int
) -> int:
    """Insert the predictions (top label and its probability as score; multi-label: the
    labels at or above the threshold, no score) and the probability vectors from `fh`,
    with executemany (building 100,000 model instances per table cost more than the
    inserts). Inside the caller's transaction."""
    order = list(model.labels_order)
    pred_t, prob_t = Prediction._meta.db_table, PredictedProbabilities._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    name = field.name
    count = 0
    fh.seek(0)
    with connection.cursor() as cursor:
        for _ in range(batches):
            ids = np.load(fh, allow_pickle=False)
            proba = np.load(fh, allow_pickle=False)
            id_list = ids.tolist()
            if model.multi_label:
                chosen = proba >= MULTI_LABEL_THRESHOLD
                answers = [
                    orjson.dumps({name: [order[j] for j in np.flatnonzero(row)]}).decode()
                    for row in chosen
                ]
                scores: list[float | None] = [None] * len(id_list)
            else:
                best = proba.argmax(axis=1)
                labels = np.asarray(order, dtype=object)[best]
                answers = [orjson.dumps({name: label}).decode() for label in labels]
                scores = proba[np.arange(len(best)), best].tolist()
            cursor.executemany(
                f"INSERT INTO {pred_t} (item_id, model_version, answer, score, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    (pk, version.name, answer, score, now)
                    for pk, answer, score in zip(id_list, answers, scores, strict=True)
                ],
            )
            cursor.executemany(
                f"INSERT INTO {prob_t} (version_id, item_id, field_name, probabilities) "
                "VALUES (%s, %s, %s, %s)",
                [
                    (version.pk, pk, name, orjson.dumps(row).decode())
                    for pk, row in zip(id_list, proba.tolist(), strict=True)
                ],
            )
            audit.record_bulk(
                action="evaluation.predictions.bulk_create",
                object_type="workbench.prediction",
                ids=id_list,
                changes={"version": version.pk, "model_version": version.name},
                project=run.project,
            )
            count += len(id_list)
    return count


def _store(run: TrainingRun, model, held: set[int], split: EvaluationSplit, field: Field):
    """Predict (outside any transaction), then store the version and every prediction in
    one: nothing of a failed training is kept."""
    with tempfile.TemporaryFile(prefix="trainerdesk-predictions-") as fh:
        batches = _predict_to_file(run, model, field, fh)
        run.set_progress(0.9, "Storing the predictions")
        try:
            with transaction.atomic():
                version = _create_version(run, model, held, split)
                count = _write_predictions(run, model, version, field, fh, batches)
        except IntegrityError:
            if ModelVersion.objects.filter(project=run.project, name=run.name).exists():
                raise InvalidInput(
                    [f"name: this project already has a version {run.name!r}"]
                ) from None
            raise
    return version, count


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
                multi_label=field.multiple,
            )
        except (baseline.NotEnoughLabels, baseline.HeldOutLeak) as exc:
            raise InvalidInput([f"{exc.field}: {exc}"]) from None
        run.set_progress(0.5, "Predicting every item")
        version, count = _store(run, model, held, split, field)
        # Its fitted parameters, so behavioural test suites (single-label) can ask it
        # about new texts.
        if not field.multiple:
            save_baseline_state(version=version, model=model)
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
        if failed is None:
            runs.announce_finished(run)
    return run
