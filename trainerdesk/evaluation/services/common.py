"""What the evaluation services share: the fields they evaluate."""

from __future__ import annotations

from trainerdesk.workbench.models import Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import InvalidInput

# The item data key marking an item made from a suite's case for annotators to confirm
# (services/suites.py): the baseline never trains on such items.
CASE_MARKER = "checklist_case"


def classification_fields(project: Project) -> list[Field]:
    """The fields evaluation supports so far: choice fields (single or multi-label)."""
    return [f for f in project.schema.fields if f.type == "choice"]


def field_of(project: Project, field_name: str | None) -> Field:
    fields = classification_fields(project)
    if not fields:
        raise InvalidInput(
            [
                "field_name: evaluation needs a choice field; this project's schema has none "
                "(spans, boxes and LLM comparisons are not evaluated yet)"
            ]
        )
    if not field_name:
        return fields[0]
    for f in fields:
        if f.name == field_name:
            return f
    names = ", ".join(f.name for f in fields)
    raise InvalidInput([f"field_name: {field_name!r} is not a choice field here (use {names})"])
