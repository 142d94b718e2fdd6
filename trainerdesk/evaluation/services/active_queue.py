"""Active learning wired to the annotation queue: the project's setting, and the worker
job that writes the order `active.order` computes into `Item.queue_rank`, the column the
workbench queue serves by (`ORDER BY queue_rank, id`).

What is re-ordered: the open items of the project (fewer finished answers than the
overlap asks for) that the version has a probability vector for. Left where they are:
gold items (served by the gold rate, outside the shared queue), held-out items of the
evaluation split (the model being evaluated must not choose which of its test items get
labelled, or the next evaluation is biased towards its uncertain ones) and items without
a vector. The re-ordered items get ranks below every other open item's, so they are
served first, in the computed order; the rest keep their relative order after them.
A later change of the project's ordering or priorities re-ranks everything as before.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from trainerdesk.evaluation.models import (
    ActiveLearningSettings,
    ModelVersion,
    PredictedProbabilities,
    QueueReorder,
)
from trainerdesk.evaluation.models.loop import Strategy
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.evaluation.services.splits import held_out_ids
from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.workbench.models import Item, Project
from trainerdesk.workbench.services import ConflictError, InvalidInput

# NumPy-backed, loaded when a re-order first runs (lib/lazy.py says why).
active = lazy_module("trainerdesk.evaluation.active")

logger = logging.getLogger(__name__)

_WRITE_BATCH = 5000


def settings_of(project: Project) -> ActiveLearningSettings:
    """The project's setting (unsaved defaults when it has none yet)."""
    found = ActiveLearningSettings.objects.filter(project=project).select_related("version")
    return found.first() or ActiveLearningSettings(project=project)


def update_settings(
    *,
    project: Project,
    strategy: str,
    random_share: float = 0.10,
    version: ModelVersion | None = None,
    seed: int = 0,
    by,
) -> ActiveLearningSettings:
    errors = []
    # Checked at run time too: page forms and scripts hand over what they were given.
    share: Any = random_share
    given_seed: Any = seed
    if strategy not in Strategy.values:
        errors.append(f"strategy: must be one of {', '.join(Strategy.values)}")
    if isinstance(share, bool) or not isinstance(share, int | float):
        errors.append("random_share: must be a number from 0 to 1")
    elif not 0.0 <= share <= 1.0:
        errors.append("random_share: must be from 0 to 1 (0.1 keeps 10% of items random)")
    if isinstance(given_seed, bool) or not isinstance(given_seed, int) or not 0 <= seed < 2**31:
        errors.append("seed: must be a whole number from 0 to 2^31-1")
    if version is not None and version.project_id != project.pk:
        errors.append("version: not a model version of this project")
    if strategy != Strategy.OFF and version is None:
        errors.append("version: choose the model version whose probabilities order the queue")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        current = settings_of(project)
        before = {
            "strategy": current.strategy,
            "random_share": current.random_share,
            "version": current.version_id,
            "seed": current.seed,
        }
        current.strategy, current.random_share = strategy, float(random_share)
        current.version, current.seed = version, seed
        current.updated_at = timezone.now()
        current.save()
        after = {
            "strategy": strategy,
            "random_share": float(random_share),
            "version": version.pk if version else None,
            "seed": seed,
        }
        audit.record(
            action="evaluation.active_learning.update",
            obj=current,
            project=project,
            changes={k: {"before": before[k], "after": after[k]} for k in after},
            by=by,
        )
    return current


def start_reorder(*, project: Project, by) -> QueueReorder:
    """Queue a re-ordering with the project's current setting."""
    from trainerdesk.evaluation.tasks import run_reorder_task

    setting = settings_of(project)
    if setting._state.adding or setting.strategy == Strategy.OFF:
        raise InvalidInput(
            ["strategy: active learning is off for this project: choose a strategy first"]
        )
    if setting.version is None:
        raise InvalidInput(["version: the setting names no model version (it was deleted?)"])
    field = field_of(project, None)
    if not PredictedProbabilities.objects.filter(
        version=setting.version, field_name=field.name
    ).exists():
        raise InvalidInput(
            [
                f"version: {setting.version.name!r} has no probability vectors for "
                f"{field.name}; uncertainty needs them (the baseline stores them, imported "
                "versions add them through the probabilities endpoint)"
            ]
        )
    with transaction.atomic():
        if QueueReorder.objects.active().filter(project=project).exists():
            raise ConflictError("A re-ordering of this queue is already queued or running")
        run = QueueReorder.objects.create(
            project=project,
            version=setting.version,
            field_name=field.name,
            strategy=setting.strategy,
            random_share=setting.random_share,
            seed=setting.seed,
            created_by=by,
        )
        audit.record(
            action="evaluation.queue_reorder.create",
            obj=run,
            project=project,
            changes={
                "version": setting.version.name,
                "strategy": run.strategy,
                "random_share": run.random_share,
                "seed": run.seed,
            },
            by=by,
        )
        transaction.on_commit(lambda: run_reorder_task.enqueue(run_id=run.pk))
    return run


def _candidates(run: QueueReorder) -> tuple[list[int], list[list[float]], int]:
    """(ids, vectors) of the open items to re-order, and how many open items stay put."""
    project = run.project
    held = held_out_ids(project)
    open_items = Item.objects.filter(
        project=project, is_gold=False, done_count__lt=project.overlap
    ).values_list("pk", flat=True)
    open_ids = set(open_items)
    ids, vectors = [], []
    # Raw rows decoded by orjson: the ORM's JSON field converter per row was most of the
    # read at 100k vectors. SQLite hands back text, PostgreSQL's driver decoded jsonb.
    table = PredictedProbabilities._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT item_id, probabilities FROM {table} WHERE version_id = %s "
            "AND field_name = %s ORDER BY item_id",
            [run.version_id, run.field_name],
        )
        while page := cursor.fetchmany(_WRITE_BATCH):
            for pk, vector in page:
                if pk in open_ids and pk not in held:
                    ids.append(pk)
                    vectors.append(
                        orjson.loads(vector) if isinstance(vector, str | bytes) else vector
                    )
    return ids, vectors, len(open_ids) - len(ids)


def _write_ranks(project: Project, ranks: list[tuple[int, int]], on_progress) -> None:
    """UPDATE queue_rank per item, batch by batch (one statement per batch on PostgreSQL,
    executemany on SQLite, where each row's UPDATE is an index lookup)."""
    table = Item._meta.db_table
    for start in range(0, len(ranks), _WRITE_BATCH):
        batch = ranks[start : start + _WRITE_BATCH]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} AS i SET queue_rank = v.rank FROM "
                    "(SELECT unnest(%s::bigint[]) AS rank, unnest(%s::bigint[]) AS id) v "
                    "WHERE i.id = v.id AND i.project_id = %s",
                    [[r for r, _ in batch], [pk for _, pk in batch], project.pk],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET queue_rank = %s WHERE id = %s AND project_id = %s",
                    [(r, pk, project.pk) for r, pk in batch],
                )
        on_progress(start + len(batch))


def compute_order(run: QueueReorder):
    """The order the run writes (pure given the stored vectors): reproducible by seed."""
    field = field_of(run.project, run.field_name)
    ids, vectors, kept = _candidates(run)
    result = active.order(
        ids,
        vectors,
        strategy=run.strategy,
        seed=run.seed,
        random_share=run.random_share,
        multi_label=field.multiple,
    )
    return result, kept


def order_digest(result) -> str:
    digest = LineDigest()
    for position, (pk, rand) in enumerate(zip(result.item_ids, result.is_random, strict=True)):
        digest.add(position, pk, "random" if rand else "uncertain")
    return digest.hexdigest()


def run_reorder(*, run_id: int) -> QueueReorder:
    """Worker entry point: compute the order and write it into the queue's ranks."""
    with transaction.atomic():
        run = (
            QueueReorder.objects.select_for_update()
            .select_related("project", "version")
            .get(pk=run_id)
        )
        if run.status != QueueReorder.Status.QUEUED:
            return run
        run.start_run("Reading probabilities")
    try:
        result, kept = compute_order(run)
        n = len(result.item_ids)
        run.set_progress(0.3, f"Writing the order of {n:,} items")
        project = run.project
        with transaction.atomic():
            # Below every rank in the project (a previous re-order's too), so the new order
            # is served first; ranks are 64-bit, so repeated re-orders have room to go down.
            floor = Item.objects.filter(project=project).aggregate(low=Min("queue_rank"))["low"]
            base = min(floor or 0, 0) - n - 1
            ranks = [(base + i, pk) for i, pk in enumerate(result.item_ids)]
            _write_ranks(
                project,
                ranks,
                lambda done: run.set_progress(
                    0.3 + 0.7 * done / max(n, 1), f"Writing the order: {done:,} of {n:,}"
                ),
            )
            run.items_ordered, run.random_items, run.items_kept = n, result.n_random, kept
            run.order_digest = order_digest(result)
            run.finish(
                f"Ordered {n:,} items by {run.get_strategy_display().lower()} "
                f"({result.n_random:,} random); {kept:,} open items kept their place",
                save=False,
            )
            run.save(
                update_fields=[
                    "status",
                    "progress",
                    "message",
                    "finished_at",
                    "items_ordered",
                    "random_items",
                    "items_kept",
                    "order_digest",
                ]
            )
            _record_finish(run)
    except (InvalidInput, ValueError) as exc:
        return _fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - the run must record any failure for the user
        logger.exception("queue re-order %s failed", run.pk)
        return _fail(run, f"The re-ordering stopped: {type(exc).__name__}: {exc}")
    return run


def _record_finish(run: QueueReorder) -> None:
    audit.record(
        action="evaluation.queue_reorder.finish",
        obj=run,
        project=run.project,
        changes={
            "status": run.status,
            "version": run.version.name,
            "strategy": run.strategy,
            "seed": run.seed,
            "random_share": run.random_share,
            "items_ordered": run.items_ordered,
            "random_items": run.random_items,
            "order_sha256": run.order_digest,
        },
    )


def _fail(run: QueueReorder, message: str) -> QueueReorder:
    run.fail(message, save=False)
    with transaction.atomic():
        run.save(update_fields=["status", "message", "finished_at"])
        _record_finish(run)
    return run
