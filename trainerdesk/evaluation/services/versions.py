"""Models and versions; the predictions imports and the API stored belong to the version
named by their `model_version` string."""

from __future__ import annotations

import math
from typing import Any

from django.db import IntegrityError, transaction

from trainerdesk.evaluation.models import Model, ModelVersion, PredictedProbabilities
from trainerdesk.evaluation.services.common import field_of
from trainerdesk.lib import audit
from trainerdesk.workbench.models import Item, Prediction, Project
from trainerdesk.workbench.services import InvalidInput

# How far a probability vector's sum may be from 1 (rounding in a JSON writer).
SUM_TOLERANCE = 1e-6


def version_for(*, project: Project, model_version: str, by=None) -> ModelVersion:
    """The version whose predictions carry `model_version` (created on first use, under a
    model of the same name, with source "imported"); existing predictions keep working."""
    name = model_version[:255]
    found = ModelVersion.objects.filter(project=project, name=name).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            model, _ = Model.objects.get_or_create(project=project, name=name or "(unnamed)")
            version = ModelVersion.objects.create(
                model=model, project=project, name=name, created_by=by
            )
            audit.record(
                action="evaluation.model_version.create",
                obj=version,
                project=project,
                changes={"model": model.name, "name": name, "source": version.source},
                by=by,
            )
    except IntegrityError:  # created at the same moment by another request
        return ModelVersion.objects.get(project=project, name=name)
    return version


def versions_with_predictions(*, project: Project, by=None) -> list[ModelVersion]:
    """Every `model_version` string among the project's predictions as a version."""
    names = (
        Prediction.objects.filter(item__project=project)
        .values_list("model_version", flat=True)
        .distinct()
    )
    known = set(ModelVersion.objects.filter(project=project).values_list("name", flat=True))
    for name in sorted(set(names) - known):
        version_for(project=project, model_version=name, by=by)
    return list(ModelVersion.objects.filter(project=project).select_related("model"))


def create_model_version(
    *, project: Project, model_name: str, name: str, notes: str = "", by
) -> ModelVersion:
    errors = []
    if not model_name.strip():
        errors.append("model: must not be empty")
    if not name.strip():
        errors.append("name: must not be empty (it is the predictions' model_version)")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        if ModelVersion.objects.filter(project=project, name=name).exists():
            raise InvalidInput([f"name: this project already has a version {name!r}"])
        model, _ = Model.objects.get_or_create(project=project, name=model_name.strip()[:255])
        version = ModelVersion.objects.create(
            model=model, project=project, name=name[:255], notes=notes, created_by=by
        )
        audit.record(
            action="evaluation.model_version.create",
            obj=version,
            project=project,
            changes={"model": model.name, "name": version.name, "source": version.source},
            by=by,
        )
    return version


def add_probabilities(
    *, version: ModelVersion, field_name: str | None = None, rows: list[Any], by
) -> int:
    """Store probability vectors ({"item": id, "probabilities": [...]} in the field's label
    order) for a version; all rows are checked first and nothing is stored if one fails."""
    project = version.project
    field = field_of(project, field_name)
    k = len(field.label_values)
    errors: list[str] = []
    ids = [r.get("item") for r in rows if isinstance(r, dict)]
    known = set(
        Item.objects.filter(
            project=project, pk__in=[i for i in ids if isinstance(i, int)]
        ).values_list("pk", flat=True)
    )
    clean: list[tuple[int, list[float]]] = []
    for i, row in enumerate(rows):
        where = f"rows[{i}]"
        if not isinstance(row, dict):
            errors.append(f"{where}: must be an object with item and probabilities")
            continue
        item, probs = row.get("item"), row.get("probabilities")
        if not isinstance(item, int) or item not in known:
            errors.append(f"{where}.item: no item {item!r} in this project")
        if not isinstance(probs, list) or len(probs) != k:
            length = len(probs) if isinstance(probs, list) else "not a list"
            errors.append(
                f"{where}.probabilities: needs {k} numbers, one per label of "
                f"{field.name} ({', '.join(field.label_values)}), got {length}"
            )
            continue
        if not all(
            isinstance(p, int | float) and not isinstance(p, bool) and math.isfinite(p)
            and 0 <= p <= 1 for p in probs
        ):  # fmt: skip
            errors.append(f"{where}.probabilities: each must be a number from 0 to 1")
            continue
        total = math.fsum(probs)
        if abs(total - 1) > SUM_TOLERANCE:
            errors.append(f"{where}.probabilities: must sum to 1, sum to {total:.6g}")
            continue
        if isinstance(item, int):
            clean.append((item, [float(p) for p in probs]))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        PredictedProbabilities.objects.filter(
            version=version, field_name=field.name, item_id__in=[i for i, _ in clean]
        ).delete()
        PredictedProbabilities.objects.bulk_create(
            [
                PredictedProbabilities(
                    version=version, item_id=i, field_name=field.name, probabilities=p
                )
                for i, p in clean
            ],
            batch_size=1000,
        )
        audit.record_bulk(
            action="evaluation.probabilities.bulk_create",
            object_type="evaluation.predictedprobabilities",
            ids=[i for i, _ in clean],
            changes={"version": version.pk, "field_name": field.name},
            project=project,
            by=by,
        )
    return len(clean)
