"""Label Studio specifics that the generic readers and writers in formats.py call.

Pure Python (no Django), like formats.py. Kept apart so that what we learnt from real Label
Studio (1.23) exports lives in one place:

- its "JSON" export writes ``predictions`` as a list of prediction ids (the full predictions
  are only in a snapshot export), so bare ids are skipped with one warning;
- its "JSON_MIN" and "CSV" exports write one row per *annotation* (``id`` is the task id,
  ``annotator``/``annotation_id``/``created_at``/``updated_at``/``lead_time`` describe the
  annotation, one column per control tag holds its value), so rows are grouped back into one
  item per task with its annotations, or refused when the columns do not match the schema;
- rectangle regions carry ``original_width``/``original_height``, kept as
  ``<key>_width``/``<key>_height`` in the item data, where the COCO export looks for a URL
  image's size;
- its task import resolves ``completed_by`` only as a user id or ``{"email": ...}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from trainerdesk.workbench import formats
from trainerdesk.workbench.formats.common import _opt_float, _opt_str, _show, _too_big

PREDICTION_IDS_WARNING = (
    "predictions given as bare ids were skipped: "
    'Label Studio\'s "JSON" export lists only prediction ids; to bring the predictions, '
    'export a snapshot instead (Label Studio: Export, "Create New Snapshot", or POST '
    '/api/projects/<id>/exports/ with {"serialization_options": {"predictions": '
    '{"only_id": false}}}) and import that file'
)
# Final answers exported without annotations become predictions under this model version:
# an annotation needs a real annotator, and "final" is not one.
FINAL_MODEL_VERSION = "trainerdesk-final"
SYNTHETIC_EMAIL_DOMAIN = "users.trainerdesk.invalid"

# The per-annotation columns of a JSON_MIN/CSV export; "id" is the task's id.
MIN_META = ("annotator", "annotation_id", "created_at", "updated_at", "lead_time")
_MIN_MARKERS = frozenset({"id", "annotator", "annotation_id"})
_NOT_EMAIL = re.compile(r"[^A-Za-z0-9._+-]+")


# --- completed_by ------------------------------------------------------------------------


def completed_by(annotator: str | None, email: str | None) -> dict | None:
    """Label Studio's annotator reference: the user's email, else one taken from the name
    (an imported annotator often is an email), else a stable synthetic address so that the
    same annotator maps to the same Label Studio user on every import."""
    if email:
        return {"email": email}
    return {"email": _email_for(annotator)} if annotator else None


@functools.lru_cache(maxsize=4096)  # an export names the same few annotators many times
def _email_for(annotator: str) -> str:
    if "@" in annotator and " " not in annotator:
        return annotator
    local = _NOT_EMAIL.sub("-", annotator).strip("-.") or "annotator"
    return f"{local[:64]}@{SYNTHETIC_EMAIL_DOMAIN}"


def annotator_from(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("email") or value.get("id")
    if value is None:
        return None
    local, _, domain = str(value).partition("@")
    # Our own synthetic address comes back as the name it was made from.
    return local if domain == SYNTHETIC_EMAIL_DOMAIN else str(value)


# --- predictions -------------------------------------------------------------------------


def is_prediction_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- image sizes -------------------------------------------------------------------------


def keep_image_sizes(data: dict, results: Iterable[Any], fields: list[dict]) -> None:
    """Copy Label Studio's original_width/height of each boxes field's image into
    ``data["<key>_width"]``/``["<key>_height"]`` (unless the data already says)."""
    sources = {f["name"]: f.get("source") for f in fields if f.get("type") == "boxes"}
    if not sources:
        return
    for result in results:
        for region in result if isinstance(result, list) else ():
            if not isinstance(region, dict):
                continue
            key = sources.get(str(region.get("from_name")))
            w, h = region.get("original_width"), region.get("original_height")
            if key and _positive_int(w) and _positive_int(h) and f"{key}_width" not in data:
                data[f"{key}_width"], data[f"{key}_height"] = w, h


def _positive_int(value: Any) -> bool:
    return type(value) is int and value > 0


# --- JSON_MIN and CSV exports: one row per annotation ------------------------------------


def is_min_layout(keys: Iterable[str]) -> bool:
    """Whether a task/row's keys are those of a JSON_MIN or CSV export (no "data" object,
    a task "id" and per-annotation columns)."""
    keys = set(keys)
    # Our own CSV export has "annotator" too, but answers in "answer.<field>" columns.
    ours = any(k.startswith(formats.ANSWER_COLUMN_PREFIX) for k in keys)
    return "data" not in keys and keys >= _MIN_MARKERS and not ours


def read_min_rows(
    rows: Iterable[tuple[int, dict]], fields: list[dict], limit: int, *, from_csv: bool = False
) -> Iterator[formats.Row | formats.RowError]:
    """Group JSON_MIN/CSV rows (Label Studio writes a task's rows together) into one Row per
    task id with one annotation per row. Label columns must be this project's field names;
    anything else that differs between rows of one task is refused, never stored as item
    data and never made a second item."""
    names = {f["name"]: f for f in fields}
    group: list[tuple[int, dict]] = []
    seen: set[str] = set()
    checked = False
    for line, obj in rows:
        if isinstance(obj, formats.RowError):  # a task over the size or depth limit
            yield obj
            continue
        if not isinstance(obj, dict):
            yield formats.RowError(line, f"row {line}: must be an object")
            continue
        # An annotated row shows the label columns: every row of JSON_MIN (its keys vary with
        # what was labelled), the first of a CSV (its header has every column).
        if not checked and obj.get("annotator") not in (None, ""):
            _check_columns(obj, names, from_csv)
            checked = from_csv
        if group and str(obj.get("id")) != str(group[0][1].get("id")):
            yield _min_task(group, names, limit, seen, from_csv)
            group = []
        group.append((line, obj))
    if group:
        yield _min_task(group, names, limit, seen, from_csv)


def _check_columns(obj: dict, names: dict[str, dict], from_csv: bool) -> None:
    keys = list(obj)
    if from_csv:
        # CSV sorts its columns by name, so a label column with no field here cannot be told
        # from item data (such a column that differs between a task's rows is refused later).
        # A file where no column is a field is plainly for another project.
        sources = {k for f in names.values() for k in (f.get("sources") or [f.get("source")])}
        known = {"id", *MIN_META, *sources}
        unknown = [] if set(keys) & set(names) else [k for k in keys if k not in known]
    else:
        # JSON_MIN writes the task's data, then "id", then one key per control tag, then the
        # annotation's own keys: what sits between "id" and "annotator" is a label.
        end = keys.index("annotator") if "annotator" in keys else len(keys)
        unknown = [k for k in keys[keys.index("id") + 1 : end] if k not in names]
    if not unknown:
        return
    where = "CSV" if from_csv else "JSON_MIN"
    raise formats.FormatError(
        f"this is Label Studio's {where} export (one row per annotation), and its column(s) "
        f"{', '.join(unknown)} are not fields of this project ({', '.join(names)})"
        + "; name the project's fields after the Label Studio control tags, or use Label "
        'Studio\'s "JSON" export, which keeps task data and annotations apart'
    )


def _min_task(
    group: list[tuple[int, dict]],
    names: dict[str, dict],
    limit: int,
    seen: set[str],
    from_csv: bool,
) -> formats.Row | formats.RowError:
    line, first = group[0]
    task_id = str(first.get("id"))
    where = f"task {task_id} (row {line})"
    if task_id in seen:
        return formats.RowError(
            line,
            f"{where}: its rows are not next to each other; Label Studio writes a task's rows "
            'together, so re-export the file, or use the "JSON" export',
        )
    seen.add(task_id)
    size = sum(len(orjson.dumps(obj)) for _, obj in group)
    if size > limit:
        return formats.RowError(line, f"{where}: {_too_big(size, limit)}")
    data = {k: v for k, v in first.items() if k not in names and k != "id" and k not in MIN_META}
    for other_line, obj in group[1:]:
        rest = {k: v for k, v in obj.items() if k not in names and k != "id" and k not in MIN_META}
        if rest != data:
            differ = sorted(k for k in set(rest) | set(data) if rest.get(k) != data.get(k))
            return formats.RowError(
                other_line,
                f"{where}: column(s) {', '.join(differ)} differ between rows of the same task, "
                "so they are not item data and not a field of this project; rename the field "
                'or use Label Studio\'s "JSON" export',
            )
    annotations = []
    results = []
    try:
        for _, obj in group:
            if obj.get("annotator") in (None, "") and obj.get("annotation_id") in (None, ""):
                continue  # the row of a task nobody annotated
            regions = []
            for name, f in names.items():
                value = obj.get(name)
                if value in (None, ""):
                    continue
                if from_csv and isinstance(value, str) and f.get("type") != "text":
                    value = _csv_value(value)
                regions += _min_regions(f, value)
            results.append(regions)
            annotations.append(
                {
                    "answer": formats.ls_result_to_answer(regions, list(names.values())),
                    "annotator": annotator_from(obj.get("annotator")),
                    "created_at": _opt_str(obj.get("created_at") or None),
                    "lead_time": _number(obj.get("lead_time")),
                    "skipped": False,
                }
            )
    except ValueError as e:
        return formats.RowError(line, f"{where}: {e}")
    keep_image_sizes(data, results, list(names.values()))
    return formats.Row(line, data, task_id, annotations=annotations)


def _csv_value(text: str) -> Any:
    # Label Studio's CSV writes lists and objects as JSON and plain choices as text.
    if text[:1] in "[{":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return _opt_float(value)


def _min_regions(f: dict, value: Any) -> list[dict]:
    """A JSON_MIN cell as the Label Studio result regions it was flattened from."""
    name, kind = f["name"], f.get("type")

    def region(type_: str, v: dict) -> dict:
        return {"from_name": name, "to_name": f.get("source"), "type": type_, "value": v}

    if kind == "choice":
        choices = value.get("choices") if isinstance(value, dict) else value
        return [region("choices", {"choices": choices if isinstance(choices, list) else [choices]})]
    if kind in ("spans", "boxes"):
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError(f'column "{name}": expected regions, got {_show(value)}')
            r = region("labels", item)
            for extra in ("original_width", "original_height"):
                if extra in item:
                    r[extra] = item[extra]
            out.append(r)
        return out
    if kind == "text":
        return [region("textarea", {"text": value if isinstance(value, list) else [value]})]
    if kind == "rating":
        return [region("rating", {"rating": value})]
    if kind == "pairwise":
        if isinstance(value, list) and len(value) == 1:  # JSON_MIN writes [{"selected": ...}]
            value = value[0]
        selected = value.get("selected") if isinstance(value, dict) else value
        return [region("pairwise", {"selected": selected})]
    if kind == "ranking":
        rank = value.get("rank") if isinstance(value, dict) else value
        return [region("ranker", {"ranker": {"rank": rank}})]
    raise ValueError(f'column "{name}": field type "{kind}" has no Label Studio form')
