"""Model predictions attached to items (pre-annotations)."""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench import formats
from trainerdesk.workbench.models import Item, Prediction, Project
from trainerdesk.workbench.schema import AnswerError


def _prediction_problems(schema, row: formats.Row) -> list[str]:
    """Predictions are checked like answers (but may be partial) so a suggestion shown on
    the annotation page always fits the schema; a bad one rejects its row by field."""
    for i, prediction in enumerate(row.predictions):
        try:
            prediction["answer"] = schema.validate_prediction(prediction["answer"], row.data)
        except AnswerError as exc:
            return [f"predictions[{i}].answer.{e}" for e in exc.errors]
    return []


def add_prediction(
    *,
    project: Project,
    item: Item,
    answer: Any,
    model_version: str = "",
    score: float | None = None,
    by,
) -> Prediction:
    """Store a model's prediction on an item; shown to annotators as a suggestion."""
    try:
        answer = project.schema.validate_prediction(answer, item.data)
    except AnswerError as exc:
        raise InvalidInput([f"answer.{e}" for e in exc.errors]) from None
    if score is not None and not math.isfinite(score):
        raise InvalidInput(["score: must be a finite number"])
    with transaction.atomic():
        prediction = Prediction.objects.create(
            item=item, model_version=model_version[:255], answer=answer, score=score
        )
        audit.record(
            action="workbench.prediction.create",
            obj=prediction,
            project=project,
            changes={"item_id": item.pk, "model_version": prediction.model_version, "score": score},
            by=by,
        )
    return prediction
