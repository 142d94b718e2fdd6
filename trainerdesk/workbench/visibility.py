"""What an annotator sees of an item.

Item data often carries more than the thing to label: file names, source paths, ids from
the system the data came from. Any of them may spell out the answer (the BBC corpus keeps
each article under its topic's folder), which would make agreement and gold accuracy
meaningless. So annotators see only the data keys the label schema reads (the text, image
or responses the page renders) plus the keys the project's manager lists in
`Project.annotator_fields`; the external id only when `annotators_see_external_id` is on.

Where it applies: the annotation page and `GET /next` always show this view, whoever is
annotating (a manager's own answers are as blind as anyone's); the item page and the item
API show it to annotators, the full item to managers and reviewers.

Pure Python over the project's schema and settings, no queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainerdesk.workbench.schema import Field, LabelSchema

if TYPE_CHECKING:  # for annotations only: this module reads the models, never queries
    from trainerdesk.workbench.models import Item, Project

MAX_ANNOTATOR_FIELDS = 50
MAX_KEY_LENGTH = 200


def _field_keys(field: Field) -> list[str]:
    source: Any = field.source
    if isinstance(source, str):
        return [source] if source else []
    if isinstance(source, list | tuple):  # a field reading several data keys
        return [s for s in source if isinstance(s, str)]
    return []


def text_source(schema: LabelSchema) -> str:
    """The data key the annotation page shows as the item's text (or the LLM prompt): the
    first one a field reads as text, else `prompt` beside responses, else `text`."""
    others = {
        key
        for f in schema.fields
        if f.data_kind in {"responses", "image"}
        for key in _field_keys(f)
    }
    for f in schema.fields:
        for key in _field_keys(f):
            if key not in others:
                return key
    return "prompt" if any(f.data_kind == "responses" for f in schema.fields) else "text"


def schema_keys(schema: LabelSchema) -> list[str]:
    """The data keys the annotation page renders for this schema, in schema order."""
    keys = [key for f in schema.fields for key in _field_keys(f)]
    return list(dict.fromkeys([*keys, text_source(schema)]))


def shown_keys(project: Project) -> list[str]:
    """Data keys annotators of the project see: the schema's, then the manager's list."""
    extra = project.annotator_fields if isinstance(project.annotator_fields, list) else []
    return list(dict.fromkeys([*schema_keys(project.schema), *extra]))


def annotator_data(project: Project, data: Any) -> dict:
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key in shown_keys(project) if key in data}


def annotator_external_id(project: Project, item: Item) -> str | None:
    return item.external_id if project.annotators_see_external_id else None


def extra_fields(project: Project, data: Any) -> dict:
    """The manager-listed keys of an item that the page shows beside what the schema
    renders (as a list under the item), in the manager's order."""
    if not isinstance(data, dict):
        return {}
    rendered = set(schema_keys(project.schema))
    extra = project.annotator_fields if isinstance(project.annotator_fields, list) else []
    return {key: data[key] for key in extra if key in data and key not in rendered}


def clean_annotator_fields(value: Any) -> list[str]:
    """The setting as stored: a list of distinct, non-empty data keys. Raises ValueError
    with a message naming the problem."""
    if not isinstance(value, list):
        raise ValueError(f"must be a list of data keys, got {type(value).__name__}")
    keys: list[str] = []
    for i, key in enumerate(value):
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"[{i}]: must be a non-empty string, got {key!r}")
        if len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"[{i}]: longer than {MAX_KEY_LENGTH} characters")
        keys.append(key.strip())
    keys = list(dict.fromkeys(keys))
    if len(keys) > MAX_ANNOTATOR_FIELDS:
        raise ValueError(f"at most {MAX_ANNOTATOR_FIELDS} keys, got {len(keys)}")
    return keys
