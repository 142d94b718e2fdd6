"""The project's held-out evaluation split: drawn once, stratified by final label, gold
items always in, then fixed."""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction

from trainerdesk.evaluation.models import EvaluationSplit
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.lib import audit
from trainerdesk.lib.digest import lines_digest
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.services import ConflictError, InvalidInput, export_records

MAX_FRACTION = 0.9


def _final_labels(project: Project, field_name: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for record in export_records(project=project, only_labeled=True, include_annotations=False):
        value = (record["final"] or {}).get(field_name)
        if value is not None:
            # A multi-label answer stratifies by its sorted labels.
            out[record["id"]] = "|".join(sorted(value)) if isinstance(value, list) else str(value)
    return out


def draw_split(
    item_ids: list[int], strata: dict[int, str], gold: set[int], fraction: float, seed: int
) -> list[int]:
    """Sorted held-out ids: `fraction` of each stratum (unlabelled items are one stratum),
    rounded half up, by a shuffle seeded with `seed`; plus every gold item."""
    groups: dict[str, list[int]] = {}
    for pk in sorted(item_ids):
        if pk not in gold:
            groups.setdefault(strata.get(pk, "\0unlabelled"), []).append(pk)
    rng = random.Random(seed)
    chosen = set(gold)
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        chosen.update(members[: int(len(members) * fraction + 0.5)])
    return sorted(chosen)


def create_split(
    *, project: Project, fraction: Any, seed: int = 0, field_name: str | None = None, by
) -> EvaluationSplit:
    """Draw and store the split; a second call refuses (the split never changes, so no
    number measured on it is ever measured on items a model trained on)."""
    field = field_of(project, field_name)
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not (0 < fraction <= MAX_FRACTION)
    ):
        raise InvalidInput([f"fraction: must be above 0 and at most {MAX_FRACTION}"])
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if EvaluationSplit.objects.filter(project=project).exists():
            raise ConflictError(
                "This project's evaluation split is fixed once created; it cannot be "
                "drawn again or changed"
            )
        ids = list(project.items.values_list("pk", flat=True))
        gold = set(project.items.filter(is_gold=True).values_list("pk", flat=True))
        chosen = draw_split(ids, _final_labels(project, field.name), gold, fraction, seed)
        split = EvaluationSplit.objects.create(
            project=project,
            field_name=field.name,
            fraction=float(fraction),
            seed=seed,
            item_ids=chosen,
            items_digest=lines_digest((pk,) for pk in chosen),
            created_by=by,
        )
        audit.record(
            action="evaluation.split.create",
            obj=split,
            project=project,
            changes={
                "fraction": split.fraction,
                "seed": seed,
                "field_name": field.name,
                "items": len(chosen),
                "gold_items": len(gold),
                "items_sha256": split.items_digest,
            },
            by=by,
        )
    return split


def held_out_ids(project: Project) -> set[int]:
    """The split's item ids (empty without a split): what a trainer must never train on."""
    split = EvaluationSplit.objects.filter(project=project).first()
    return set(split.item_ids) if split else set()
