"""Export: records, streams in every format, the final answers they carry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.jsonutil import db_json, iso_utc
from trainerdesk.workbench import extensions, formats
from trainerdesk.workbench.models import Annotation, Item, Prediction, Project
from trainerdesk.workbench.services.image_files import _image_sizes, image_keys


def final_answers(
    *,
    project: Project,
    item_ids: Iterable[int],
    annotations: dict[int, list[dict]] | None = None,
) -> dict[int, dict | None]:
    """Each item's final answer under the project's final label rule, the one definition
    the export, the data manager, the item page and gold marking share (None: no final
    answer, e.g. nobody answered or the answers tie). The rule belongs to the app that
    registered it in workbench/extensions.py (quality: quality/finals.py)."""
    return extensions.final_answers(project=project, item_ids=item_ids, annotations=annotations)


def export_records(
    *,
    project: Project,
    only_labeled: bool = False,
    include_annotations: bool = True,
    include_final: bool = True,
    chunk_size: int = 2000,
    item_ids: list[int] | None = None,
) -> Iterator[dict]:
    """Yield one export record per item in id order, reading by keyset pages so memory
    stays flat however large the project is.

    Raw SQL rather than the ORM: per-row field converters (stdlib JSON, datetime parsing)
    and 2,000-id IN lists cost two thirds of the export time, and the target is 100k
    items in 3 s. Pages walk the primary key; annotations of a page are fetched by item-id
    range on the unique (item, annotator) index. The unary `+` on project_id keeps
    SQLite's planner off the project indexes, which would make it sort the whole project
    for every page.

    Each annotation carries its reviews ("reviews": decision, reviewer, reason, oldest
    first; one query per page), "final" is the answer under the project's final label
    rule, and "returned" lists the answers reviewers sent back to their annotators; the
    final labeler and the reviews come from the apps registered in workbench/extensions.py
    (quality: FinalLabeler, reviews_of_page).
    """
    labeler = extensions.final_labeler(project) if include_final else None
    enrichers = extensions.export_enrichers()
    item_t, ann_t, pred_t = (
        Item._meta.db_table,
        Annotation._meta.db_table,
        Prediction._meta.db_table,
    )
    user_t = get_user_model()._meta.db_table
    labeled = "AND done_count > 0" if only_labeled else ""
    chosen: list[int] = []
    if item_ids is not None:
        # A selection from the data manager (a page of checkboxes, kept small by its view).
        chosen = sorted({int(pk) for pk in item_ids})
        if not chosen:
            return
        labeled += f" AND id IN ({', '.join(['%s'] * len(chosen))})"
    last_id = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, external_id, data, priority, reference FROM {item_t} "
                f"WHERE +project_id = %s AND id > %s {labeled} ORDER BY id LIMIT %s",
                [project.pk, last_id, *chosen, chunk_size],
            )
            page = cursor.fetchall()
            if not page:
                return
            first_id, last_id = page[0][0], page[-1][0]
            by_item: dict[int, list[dict]] = {}
            cursor.execute(
                f"SELECT a.item_id, a.id, u.username, a.imported_annotator, a.answer, "
                f"a.skipped, a.skip_reason, a.created_at, a.updated_at, a.lead_time, "
                f"a.guideline_version, a.response_order FROM {ann_t} a LEFT JOIN {user_t} u "
                f"ON u.id = a.annotator_id WHERE a.item_id BETWEEN %s AND %s "
                f"AND +a.project_id = %s ORDER BY a.item_id, a.created_at, a.id",
                [first_id, last_id, project.pk],
            )
            for (item_id, pk, username, imported, answer, skipped, reason, created, updated,
                 lead, version, shown) in cursor.fetchall():  # fmt: skip
                shown = db_json(shown)  # blind evaluation: the order the responses were shown in
                by_item.setdefault(item_id, []).append(
                    {
                        "id": pk,
                        "annotator": username or imported or None,
                        "answer": db_json(answer),
                        "skipped": bool(skipped),
                        "skip_reason": reason,
                        "created_at": iso_utc(created),
                        "updated_at": iso_utc(updated),
                        "lead_time": lead,
                        "guideline_version": version,
                    }
                    | ({"response_order": shown} if shown is not None else {})
                )
            reviews: dict[int, list] = {}
            returned: dict[int, list] = {}
            for enrich in enrichers:
                more_reviews, more_returned = enrich(
                    cursor, project_id=project.pk, first_id=first_id, last_id=last_id
                )
                reviews |= more_reviews
                returned |= more_returned
            if reviews:
                for annotations_of in by_item.values():
                    for a in annotations_of:
                        if a["id"] in reviews:
                            a["reviews"] = reviews[a["id"]]
            predictions: dict[int, list[dict]] = {}
            cursor.execute(
                f"SELECT p.item_id, p.model_version, p.answer, p.score FROM {pred_t} p "
                f"JOIN {item_t} i ON i.id = p.item_id WHERE p.item_id BETWEEN %s AND %s "
                f"AND +i.project_id = %s ORDER BY p.id",
                [first_id, last_id, project.pk],
            )
            for item_id, model_version, answer, score in cursor.fetchall():
                predictions.setdefault(item_id, []).append(
                    {"model_version": model_version, "answer": db_json(answer), "score": score}
                )
            for item_id, external_id, data, priority, reference in page:
                annotations_of = by_item.get(item_id, [])
                answers = [a["answer"] for a in annotations_of if not a["skipped"]]
                if only_labeled and not answers:
                    continue
                record = {
                    "id": item_id,
                    "external_id": external_id,
                    "data": db_json(data),
                    "priority": priority,
                    "reference": db_json(reference),
                    "final": labeler.final(item_id, annotations_of) if labeler else None,
                    "predictions": predictions.get(item_id, []),
                    "answered": len(answers),  # why COCO/CoNLL leave an item out
                }
                if include_annotations:
                    record["annotations"] = annotations_of
                    if item_id in returned:
                        record["returned"] = returned[item_id]
                yield record


# The formats whose files carry the items' reference (gold) answers.
REFERENCE_FORMATS = ("jsonl",)


def export_stream(
    *,
    project: Project,
    fmt: str,
    only_labeled: bool,
    include_annotations: bool,
    include_final: bool = True,
    left_out: list[dict] | None = None,
    by,
) -> Iterator[bytes]:
    """The export file's chunks. COCO and CoNLL write one answer per image/text: the
    final answer, or every annotation's when only annotations are asked for; items they
    leave out (no final answer, image size unknown) are appended to `left_out`. Audited
    (who exported what) once the file is set up, before its first byte is sent."""
    chunks = _export_chunks(
        project=project,
        fmt=fmt,
        only_labeled=only_labeled,
        include_annotations=include_annotations,
        include_final=include_final,
        left_out=left_out,
    )
    with transaction.atomic():
        audit.record(
            action="workbench.export.create",
            obj=project,
            project=project,
            changes={
                "format": fmt,
                "only_labeled": only_labeled,
                "include_annotations": include_annotations,
                "include_final": include_final,
                "includes_reference": fmt in REFERENCE_FORMATS,
            },
            by=by,
        )
    return chunks


def _export_chunks(
    *,
    project: Project,
    fmt: str,
    only_labeled: bool,
    include_annotations: bool,
    include_final: bool,
    left_out: list[dict] | None,
) -> Iterator[bytes]:
    every_annotation = include_annotations and not include_final
    records = export_records(
        project=project,
        only_labeled=only_labeled,
        include_annotations=include_annotations,
        include_final=include_final,
    )
    fields = project.label_schema["fields"]
    if fmt in ("coco", "labelstudio") and image_keys(project.schema):
        records = _image_sizes(project, records)  # pixel sizes, which only these two carry
    if fmt == "jsonl":
        return formats.write_jsonl(records, include_annotations=include_annotations)
    if fmt == "coco":
        boxes = [f for f in fields if f["type"] == "boxes"]
        if not boxes:
            raise InvalidInput(["format: COCO export needs a project with a boxes field"])
        return formats.write_coco(
            records,
            box_field=boxes[0]["name"],
            source=boxes[0]["source"],
            labels=[lb["value"] for lb in boxes[0]["labels"]],
            every_annotation=every_annotation,
            left_out=left_out,
        )
    if fmt == "labelstudio":
        if include_annotations:
            records = _with_emails(project, records)
        return formats.write_labelstudio(
            records, include_annotations=include_annotations, fields=fields
        )
    if fmt == "csv":
        return formats.write_csv(
            records,
            include_annotations=include_annotations,
            fields=fields,
            data_keys=data_keys(project=project),
            include_final=include_final,
        )
    if fmt == "conll":
        spans = [f for f in fields if f["type"] == "spans"]
        if not spans:
            raise InvalidInput(["format: CoNLL export needs a project with a spans field"])
        return formats.write_conll(
            records,
            span_field=spans[0]["name"],
            source=spans[0]["source"],
            every_annotation=every_annotation,
            left_out=left_out,
        )
    raise InvalidInput([f"format: {fmt!r} is not one of {', '.join(formats.EXPORT_FORMATS)}"])


def export_left_out(*, project: Project, fmt: str, labels: str = "final") -> list[dict]:
    """What a COCO or CoNLL export with these labels leaves out, with the reasons (the
    CoNLL file has nowhere to list them): the export is run and its bytes dropped, so the
    list is exactly the file's."""
    left_out: list[dict] = []
    # Not an export (its bytes are dropped), so not audited as one.
    for _chunk in _export_chunks(
        project=project,
        fmt=fmt,
        only_labeled=False,
        include_annotations=labels != "final",
        include_final=labels != "annotations",
        left_out=left_out,
    ):
        pass
    return left_out


def _with_emails(project: Project, records: Iterable[dict]) -> Iterator[dict]:
    """Adds each annotator's email, which Label Studio needs to match the annotation to a user
    (only that export carries emails; the others name annotators by username)."""
    annotators = Annotation.objects.filter(project=project).values("annotator_id")
    emails = dict(
        get_user_model()
        .objects.filter(id__in=annotators)
        .exclude(email="")
        .values_list("username", "email")
    )
    for rec in records:
        for a in rec.get("annotations") or ():
            if (email := emails.get(a.get("annotator"))) is not None:
                a["email"] = email
        yield rec


def data_keys(*, project: Project, sample: int = 1000) -> list[str]:
    """Data keys in first-seen order over the first items (CSV needs its header up front)."""
    keys: dict[str, None] = {}
    for data in project.items.order_by("id").values_list("data", flat=True)[:sample]:
        keys.update(dict.fromkeys(data))
    return list(keys)
