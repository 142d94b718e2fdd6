"""Schemas for the new-project form's task types."""

from __future__ import annotations

from typing import Any

# What each task type's one data key holds: text, an image reference, or a list of responses.
TASK_DATA = {
    "classification": "text",
    "multilabel": "text",
    "ner": "text",
    "image_classification": "image",
    "boxes": "image",
    "llm_compare": "responses",
    "llm_rank": "responses",
}
LABELLED_TASKS = frozenset(t for t in TASK_DATA if not t.startswith("llm_"))
LLM_CRITERIA = ("helpfulness", "correctness", "harmlessness")


def task_schema(
    task_type: str, *, source: str = "", labels: list[dict] | None = None, multiple: bool = False
) -> dict:
    """The schema document for one of the new-project form's task types; `labels` are
    schema label objects ({"value", "hotkey"?}), used by the labelled types. An empty
    source reads the key named after the type's data (text, image, responses)."""
    source = source or TASK_DATA[task_type]
    labels = list(labels or [])
    image = task_type == "image_classification"
    if task_type in ("classification", "multilabel", "image_classification"):
        field: dict[str, Any] = {"name": "label", "type": "choice", "source": source}
        if image:
            field["source_kind"] = "image"
        # `multiple` is the image type's own switch; the text types say it by their type.
        field["multiple"] = task_type == "multilabel" or (image and multiple)
        return {"fields": [field | {"labels": labels}]}
    if task_type in ("ner", "boxes"):
        name, ftype = ("entities", "spans") if task_type == "ner" else ("objects", "boxes")
        return {"fields": [{"name": name, "type": ftype, "source": source, "labels": labels}]}
    rationale = {"name": "rationale", "type": "text", "required": False}
    if task_type == "llm_rank":
        return {"fields": [{"name": "ranking", "type": "ranking", "source": source}, rationale]}
    if task_type == "llm_compare":
        criteria = [{"name": name, "min": 1, "max": 5} for name in LLM_CRITERIA]
        return {
            "fields": [
                {"name": "preference", "type": "pairwise", "source": source, "strength": True},
                {
                    "name": "ratings",
                    "type": "rating",
                    "source": source,
                    "per_response": True,
                    "criteria": criteria,
                },
                rationale,
                # A text field with a source is a rewrite box: it starts from the chosen answer.
                {"name": "ideal_response", "type": "text", "source": source, "required": False},
            ]
        }
    raise ValueError(f"task_type: unknown task type {task_type!r}")
