"""Project label schemas: parse and validate the JSON document, then check items and answers.

Pure Python on purpose: the API layer, the importer and the annotation page all share it, and
it must stay testable without Django. One module per area; import from here
(`from trainerdesk.workbench.schema import parse_schema`), which re-exports the public API:

- `fields`: field types and their keys, `SchemaError`/`AnswerError`, `Label`, `Criterion`,
  `Field`, and the checks of item data a field reads;
- `model`: `LabelSchema` (what a schema reads from items, answer and prediction validation);
- `answers`: the per-type answer checks behind `LabelSchema.validate_answer`;
- `parse`: `parse_schema`, `classification_schema`;
- `hotkeys`: which hotkeys a label may claim, and the digits 1-9 given by default;
- `tasks`: the new-project form's task types (`TASK_DATA`, `task_schema`).
"""

from trainerdesk.workbench.schema.fields import (
    TYPES,
    AnswerError,
    Criterion,
    Field,
    Label,
    SchemaError,
)
from trainerdesk.workbench.schema.model import LabelSchema
from trainerdesk.workbench.schema.parse import classification_schema, parse_schema
from trainerdesk.workbench.schema.tasks import (
    LABELLED_TASKS,
    LLM_CRITERIA,
    TASK_DATA,
    task_schema,
)

__all__ = [
    "TYPES",
    "AnswerError",
    "Criterion",
    "Field",
    "Label",
    "LabelSchema",
    "SchemaError",
    "classification_schema",
    "parse_schema",
    "LABELLED_TASKS",
    "LLM_CRITERIA",
    "TASK_DATA",
    "task_schema",
]
