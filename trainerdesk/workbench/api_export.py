"""Export endpoints: a project's records in every format, and what a format left out.

Same conventions as api.py (access.py for every lookup, 404 for anything not yours).
"""

from typing import Annotated, Literal

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from trainerdesk.lib import streams
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench import access, formats, services
from trainerdesk.workbench.api import ProjectId

router = Router(tags=["workbench"])


# --- export -------------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/export",
    response={200: None},
    summary="Download the project's items and answers (manager)",
    description="Streams the whole project. `format`: " + ", ".join(formats.EXPORT_FORMATS) + ".",
)
def export(
    request: ApiRequest,
    project_id: ProjectId,
    format: Annotated[str, Query(description="jsonl, csv, labelstudio, conll or coco")] = "jsonl",
    only_labeled: Annotated[bool, Query(description="Only items with an answer.")] = False,
    include_annotations: Annotated[
        bool, Query(description="Include every annotator's answer, not only the final one.")
    ] = True,
    labels: Annotated[
        Literal["both", "final", "annotations"] | None,
        Query(
            description="final: final labels by the project's final_label_rule; annotations: "
            "every annotation with its reviews; both. Overrides include_annotations. COCO and "
            "CoNLL write one answer per image/text: annotations gives one per annotation, the "
            "others the final answer, leaving out items without one (see export/left-out)."
        ),
    ] = None,
) -> StreamingHttpResponse:
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    if labels is not None:
        include_annotations = labels != "final"
    if format not in formats.EXPORT_FORMATS:
        raise services.InvalidInput(
            [f"format: {format!r} is not one of {', '.join(formats.EXPORT_FORMATS)}"]
        )
    # Built before the response starts so a refusal (e.g. CoNLL without spans) is a 400.
    chunks = services.export_stream(
        project=project,
        fmt=format,
        only_labeled=only_labeled,
        include_annotations=include_annotations,
        include_final=labels != "annotations",
        by=request.auth,
    )
    name = slugify(project.name) or f"project-{project.pk}"
    filename = f"{name}-{timezone.localdate().isoformat()}.{formats.FILE_EXTENSIONS[format]}"
    try:
        chunks = streams.hold_download_slot(chunks, limit=settings.MAX_DOWNLOADS)
    except streams.DownloadsBusy as exc:
        raise HttpError(503, str(exc)) from None
    response = StreamingHttpResponse(chunks, content_type=formats.CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class LeftOutOut(Schema):
    item_id: int
    reason: str
    annotation_id: int | None = None
    annotator: str | None = None
    file_name: str | None = None


class ExportLeftOutOut(Schema):
    format: str
    labels: str
    count: int
    left_out: list[LeftOutOut]


@router.get(
    "/projects/{project_id}/export/left-out",
    response=ExportLeftOutOut,
    summary="What a COCO or CoNLL export leaves out, and why (manager)",
    description="COCO and CoNLL hold one answer per image/text, so an item with no final "
    "answer (no answers yet, or the answers tie) is left out rather than written as empty, "
    "as is an image of unknown size. COCO files also list these under `skipped`; a CoNLL "
    "file has nowhere to, so this lists them (the export is run and its bytes dropped).",
)
def export_left_out(
    request: ApiRequest,
    project_id: ProjectId,
    format: Literal["conll", "coco"],
    labels: Literal["both", "final", "annotations"] = "final",
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    left_out = services.export_left_out(project=project, fmt=format, labels=labels)
    return {"format": format, "labels": labels, "count": len(left_out), "left_out": left_out}
