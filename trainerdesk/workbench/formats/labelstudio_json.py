"""Label Studio JSON: reading tasks (streamed), converting results to our answers and back,
writing tasks. What is specific to real Label Studio exports is in workbench/labelstudio.py.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson

from trainerdesk.lib import jsonlimits
from trainerdesk.workbench.formats.common import (
    _BOM,
    _CHUNK_BYTES,
    FormatError,
    Row,
    RowError,
    _BadField,
    _batched,
    _external_id,
    _ls_module,
    _opt_float,
    _opt_str,
    _priority,
    _show,
    _too_big,
    _with_gold,
)

# --- Label Studio JSON ---------------------------------------------------------------------


def _read_labelstudio(fp: BinaryIO, fields: list[dict], limit: int) -> Iterator[Row | RowError]:
    head = fp.read(4096)
    if head.startswith(_BOM):
        head = head[3:]
    while head and not head.lstrip():
        head = fp.read(4096)
    first = head.lstrip()[:1]
    if first != b"[":
        found = {b"": "an empty file", b"{": "an object"}.get(
            first, f'"{first.decode(errors="replace")}"'
        )
        raise FormatError(
            f"Label Studio JSON must be an array of tasks at the top level, found {found}"
        )
    try:
        tasks = _ls_tasks(head, fp, limit)
        for index, task in tasks:
            if isinstance(task, RowError):
                yield task
                continue
            if index == 1 and isinstance(task, dict) and _ls_module().is_min_layout(task):
                # JSON_MIN: one row per annotation, grouped back into tasks.
                yield from _ls_module().read_min_rows(
                    itertools.chain([(1, task)], tasks), fields, limit
                )
                break
            yield _ls_row(index, task, fields, limit)
    except jsonlimits.StructureError as e:
        raise FormatError(f"{e} (task {e.index})") from None


def _ls_tasks(head: bytes, fp: BinaryIO, limit: int) -> Iterator[tuple[int, Any]]:
    """(index, parsed task), or (index, RowError) for a task over the size or depth limit.

    The raw text may be indented, so it gets twice the limit before it is parsed; the
    parsed task is then measured compactly (_ls_row). Nothing bigger is ever held, and
    nesting is bounded before any parser sees it (see lib/jsonlimits for why)."""
    for element in jsonlimits.iter_array(_chunks(head, fp), max_bytes=2 * limit):
        index = element.index
        if element.data is None:
            problem = (
                f"nested more than {jsonlimits.MAX_DEPTH} levels deep"
                if element.too_deep
                else _too_big(element.size, limit)
            )
            yield index, RowError(index, f"task {index} (line {element.line}): {problem}")
            continue
        try:
            yield index, orjson.loads(element.data)
        except orjson.JSONDecodeError as e:
            raise FormatError(
                f"invalid JSON at task {index} (line {element.line}): {e.msg}"
            ) from None


def _chunks(head: bytes, fp: BinaryIO) -> Iterator[bytes]:
    yield head
    while chunk := fp.read(_CHUNK_BYTES):
        yield chunk


def _ls_row(index: int, task: Any, fields: list[dict], limit: int) -> Row | RowError:
    if not isinstance(task, dict):
        return RowError(index, f"task {index}: must be an object, got {_show(task)}")
    try:
        if (size := len(orjson.dumps(task))) > limit:
            return RowError(index, f"task {index}: {_too_big(size, limit)}")
        if "data" not in task:
            return Row(index, task)
        data = task["data"]
        if not isinstance(data, dict):
            raise _BadField(f'field "data": must be an object, got {_show(data)}')
        # "meta" carries what an LS task has no slot for, so our own exports round-trip.
        meta: dict[str, Any] = m if isinstance(m := task.get("meta"), dict) else {}
        external_id = _external_id(meta.get("external_id", task.get("id")))
        annotations = []
        ls = _ls_module()
        for ann in task.get("annotations") or ():
            if not isinstance(ann, dict):
                raise _BadField(f'field "annotations": must be objects, got {_show(ann)}')
            ls.keep_image_sizes(data, [ann.get("result")], fields)
            annotations.append(
                {
                    "answer": ls_result_to_answer(ann.get("result") or [], fields),
                    "annotator": ls.annotator_from(ann.get("completed_by")),
                    "created_at": _opt_str(ann.get("created_at")),
                    "lead_time": _opt_float(ann.get("lead_time")),
                    "skipped": bool(ann.get("was_cancelled")),
                }
            )
        predictions = []
        skipped_ids = False
        for pred in task.get("predictions") or ():
            if ls.is_prediction_id(pred):
                skipped_ids = True  # LS "JSON" export: ids only, see labelstudio.py
                continue
            if not isinstance(pred, dict):
                raise _BadField(f'field "predictions": must be objects, got {_show(pred)}')
            ls.keep_image_sizes(data, [pred.get("result")], fields)
            predictions.append(
                {
                    "answer": ls_result_to_answer(pred.get("result") or [], fields),
                    "model_version": _opt_str(pred.get("model_version")),
                    "score": _opt_float(pred.get("score")),
                }
            )
        row = Row(
            index,
            data,
            external_id,
            _priority(meta.get("priority")),
            task.get("reference", meta.get("reference")),
            annotations,
            predictions,
        )
        if skipped_ids:
            row.warnings = (ls.PREDICTION_IDS_WARNING,)
        # Gold may sit on the task or in its "meta" (our own exports put it there); Label
        # Studio's own form is an annotation marked ground_truth, whose answer is the reference.
        gold_keys = {k: task.get(k, meta.get(k)) for k in ("gold", "gold_explanation")}
        truth = next(
            (
                i
                for i, ann in enumerate(task.get("annotations") or ())
                if isinstance(ann, dict) and ann.get("ground_truth") is True
            ),
            None,
        )
        if truth is not None and row.reference is None:
            row.reference = annotations[truth]["answer"]
            gold_keys["gold"] = True
        return _with_gold(row, gold_keys)
    except (ValueError, TypeError) as e:
        return RowError(index, f"task {index}: {e}")


# --- Label Studio result conversion --------------------------------------------------------


def _criteria(f: dict) -> set[str] | None:
    criteria = f.get("criteria")
    if not criteria:
        return None
    return {c if isinstance(c, str) else str(c.get("name") or c.get("key")) for c in criteria}


def _first_label(value: dict, key: str, from_name: str) -> Any:
    labels = value.get(key)
    if not isinstance(labels, list):
        raise ValueError(f'region "{from_name}": value.{key} must be a list')
    return labels[0] if labels else None


def ls_result_to_answer(result: list[dict], fields: list[dict[str, Any]]) -> dict:
    by_name = {f["name"]: f for f in fields}
    answer: dict[str, Any] = {}
    spans: dict[str, list[tuple]] = {}  # field -> (start, end, label, text, region id)
    relations: list[dict] = []
    if not isinstance(result, list):
        raise ValueError(f"result must be a list, got {_show(result)}")
    for region in result:
        if not isinstance(region, dict):
            raise ValueError(f"result region must be an object, got {_show(region)}")
        if region.get("type") == "relation":
            relations.append(region)
            continue
        from_name = str(region.get("from_name"))
        value = region.get("value")
        if not isinstance(value, dict):
            raise ValueError(f'region "{from_name}": value must be an object')
        f = by_name.get(from_name)
        rating_key: list[str] = []
        if f is None:
            # Ratings address one criterion (and response) as "<field>.<criterion>[.<index>]".
            base, _, rest = from_name.partition(".")
            f = by_name.get(base)
            if f is None or f.get("type") != "rating" or not rest:
                raise ValueError(f'unknown from_name "{from_name}"')
            rating_key = rest.split(".")
            known = _criteria(f)
            if len(rating_key) > 2 or (known is not None and rating_key[0] not in known):
                raise ValueError(f'unknown from_name "{from_name}"')
        name, kind = f["name"], f.get("type")
        try:
            if kind == "choice":
                choices = value["choices"]
                answer[name] = (
                    list(choices) if f.get("multiple") else (choices[0] if choices else None)
                )
            elif kind == "spans":
                label = _first_label(value, "labels", from_name)
                spans.setdefault(name, []).append(
                    (value["start"], value["end"], label, value.get("text"), region.get("id"))
                )
            elif kind == "boxes":
                box = {k: value[k] for k in ("x", "y", "width", "height")}
                box["label"] = _first_label(value, "rectanglelabels", from_name)
                if value.get("rotation"):
                    box["rotation"] = value["rotation"]
                answer.setdefault(name, []).append(box)
            elif kind == "rating":
                rating = value["rating"]
                if not rating_key:
                    answer[name] = rating
                elif len(rating_key) == 1:
                    answer.setdefault(name, {})[rating_key[0]] = rating
                else:
                    # per_response: one {criterion: score} object per response, in order.
                    per = answer.setdefault(name, [])
                    i = int(rating_key[1])
                    per.extend({} for _ in range(i + 1 - len(per)))
                    per[i][rating_key[0]] = rating
            elif kind == "text":
                texts = value["text"]
                answer[name] = "\n".join(texts) if isinstance(texts, list) else texts
            elif kind == "pairwise":
                answer[name] = {"preferred": _LS_PAIRWISE[value["selected"]]}
                if value.get("strength") is not None:
                    answer[name]["strength"] = value["strength"]
            elif kind == "ranking":
                answer[name] = [int(i) for i in value["ranker"]["rank"]]
            else:
                raise ValueError(
                    f'region "{from_name}": field type "{kind}" has no Label Studio form'
                )
        except (KeyError, TypeError, IndexError) as e:
            raise ValueError(
                f'region "{from_name}": malformed value ({type(e).__name__}: {e})'
            ) from None
    ids: dict[str, dict[Any, int]] = {}
    for name, found in spans.items():
        found.sort(key=lambda s: (s[0], s[1], s[2] or ""))
        answer[name] = [
            {"start": s, "end": e, "label": lab} | ({"text": t} if t is not None else {})
            for s, e, lab, t, _ in found
        ]
        ids[name] = {rid: i for i, (*_, rid) in enumerate(found) if rid is not None}
    if relations:
        rel_field = next((f for f in fields if f.get("type") == "relations"), None)
        if rel_field is None:
            raise ValueError("relation region, but the schema has no relations field")
        span_ids = ids.get(rel_field.get("spans", ""), {})
        out = []
        for rel in relations:
            try:
                ends = span_ids[rel.get("from_id")], span_ids[rel.get("to_id")]
            except KeyError as e:
                raise ValueError(f"relation refers to unknown region id {e}") from None
            labels = rel.get("labels") or [None]
            out.append({"from": ends[0], "to": ends[1], "label": labels[0]})
        answer[rel_field["name"]] = out
    return answer


# Label Studio's pairwise tag names the sides; our answer names the response index.
_LS_PAIRWISE = {"left": 0, "right": 1, "none": "tie"}
_OUR_PAIRWISE = {v: k for k, v in _LS_PAIRWISE.items()}


def _region(from_name: str, to_name: str | None, type_: str, value: dict, **extra: Any) -> dict:
    return {"from_name": from_name, "to_name": to_name, "type": type_, "value": value, **extra}


def answer_to_ls_result(
    answer: dict, fields: list[dict[str, Any]], data: dict, sizes: dict | None = None
) -> list[dict]:
    """`sizes` ({data key: [width, height]}) adds Label Studio's original_width/height to
    boxes whose image size is known."""
    result: list[dict] = []
    span_ids: dict[str, list[str]] = {}
    # Relations go last because they point at span ids generated by the spans field.
    ordered = sorted(fields, key=lambda f: f.get("type") == "relations")
    for f in ordered:
        name, kind, source = f["name"], f.get("type"), f.get("source")
        value = answer.get(name)
        if value is None:
            continue
        region = functools.partial(_region, name, source)

        if kind == "choice":
            result.append(
                region("choices", {"choices": value if isinstance(value, list) else [value]})
            )
        elif kind == "spans":
            text = data.get(source) if isinstance(data.get(source), str) else None
            ids = span_ids[name] = []
            for span in value:
                rid = f"s{len(result)}"
                ids.append(rid)
                snippet = span.get("text")
                if snippet is None and text is not None:
                    snippet = text[span["start"] : span["end"]]
                v = {"start": span["start"], "end": span["end"], "labels": [span["label"]]}
                result.append(
                    region("labels", v | ({"text": snippet} if snippet is not None else {}), id=rid)
                )
        elif kind == "relations":
            ids = span_ids.get(f.get("spans", ""), [])
            for rel in value:
                if not (0 <= rel["from"] < len(ids) and 0 <= rel["to"] < len(ids)):
                    raise ValueError(
                        f'field "{name}": relation points at a span that does not exist'
                    )
                result.append(
                    {
                        "type": "relation",
                        "from_id": ids[rel["from"]],
                        "to_id": ids[rel["to"]],
                        "direction": "right",
                        "labels": [rel["label"]] if rel.get("label") is not None else [],
                    }
                )
        elif kind == "boxes":
            for box in value:
                v = {k: box[k] for k in ("x", "y", "width", "height")}
                v |= {"rotation": box.get("rotation", 0), "rectanglelabels": [box["label"]]}
                size = (sizes or {}).get(source)
                extra = {"original_width": size[0], "original_height": size[1]} if size else {}
                result.append(region("rectanglelabels", v, id=f"b{len(result)}", **extra))
        elif kind == "rating":
            if isinstance(value, list):  # per_response
                for i, scores in enumerate(value):
                    for criterion, score in scores.items():
                        result.append(
                            _region(f"{name}.{criterion}.{i}", source, "rating", {"rating": score})
                        )
                continue
            for criterion, score in value.items():
                if score is not None:
                    result.append(
                        _region(f"{name}.{criterion}", source, "rating", {"rating": score})
                    )
        elif kind == "text":
            result.append(region("textarea", {"text": [value]}))
        elif kind == "pairwise":
            v = {"selected": _OUR_PAIRWISE[value["preferred"]]}
            if value.get("strength") is not None:
                v["strength"] = value["strength"]
            # Label Studio's <Pairwise> names itself as to_name (it spans two objects).
            result.append(_region(name, name, "pairwise", v))
        elif kind == "ranking":
            result.append(region("ranker", {"ranker": {"rank": [str(i) for i in value]}}))
    return result


def write_labelstudio(
    records: Iterable[dict], *, include_annotations: bool, fields: list[dict]
) -> Iterator[bytes]:
    ls = _ls_module()

    def tasks() -> Iterator[bytes]:
        yield b"["
        sep = b""
        for rec in records:
            data = rec.get("data") or {}
            sizes = rec.get("image_sizes")
            final_prediction = []
            if include_annotations:
                anns = [
                    {
                        "id": a.get("id"),
                        # Label Studio resolves only a user id or {"email": ...}.
                        "completed_by": ls.completed_by(a.get("annotator"), a.get("email")),
                        "result": answer_to_ls_result(a.get("answer") or {}, fields, data, sizes),
                        "was_cancelled": bool(a.get("skipped")),
                        "created_at": a.get("created_at"),
                        "updated_at": a.get("updated_at"),
                        "lead_time": a.get("lead_time"),
                    }
                    for a in rec.get("annotations") or []
                ]
            else:
                anns = []
                # Not an annotation: that would need an annotator, and nobody is "final".
                if rec.get("final") is not None:
                    final = {"answer": rec["final"], "model_version": ls.FINAL_MODEL_VERSION}
                    final_prediction = [final]
            predictions = [
                {
                    "result": answer_to_ls_result(p.get("answer") or {}, fields, data, sizes),
                    "model_version": p.get("model_version"),
                    "score": p.get("score"),
                }
                for p in [*final_prediction, *(rec.get("predictions") or [])]
            ]
            meta = {"external_id": rec.get("external_id"), "priority": rec.get("priority") or 0}
            task = {
                "id": rec.get("id"),
                "data": data,
                "meta": meta,
                "annotations": anns,
                "predictions": predictions,
            }
            yield sep + orjson.dumps(task)
            sep = b",\n"
        yield b"]\n"

    return _batched(tasks())
