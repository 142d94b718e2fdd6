"""Annotation queue endpoints: the next item, submitting and reading annotations.

Same conventions as api.py (access.py for every lookup, 404 for anything not yours).
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Query, Router, Schema, Status

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench import access, services, visibility
from trainerdesk.workbench.api import MAX_ID, After, Limit, ObjectId, ProjectId
from trainerdesk.workbench.models import (
    Annotation,
    Item,
    Project,
)

router = Router(tags=["workbench"])


class QueueItem(Schema):
    id: int
    external_id: str | None = Field(
        description="Null unless the project shows external ids to annotators."
    )
    data: dict[str, Any] = Field(
        description="The keys the label schema reads plus the project's `annotator_fields`; "
        "other item data stays hidden from annotation."
    )


class SuggestionOut(Schema):
    model_version: str
    score: float | None
    answer: dict[str, Any] = Field(
        description="Keyed by field name like an answer, in the item's own response order; "
        "fields that do not fit the schema are left out."
    )


class NextOut(Schema):
    item: QueueItem | None = Field(description="Null when there is nothing left for you.")
    lease_expires_at: datetime | None = Field(
        None, description="The item is yours until then; asking again returns the same item."
    )
    suggestion: SuggestionOut | None = Field(
        None,
        description="The item's best model prediction (highest score, then latest), to show "
        "as a suggestion, never to submit unseen; null when it has none that fits.",
    )
    guideline_version: int
    message: str = ""


class AnnotationIn(InputSchema):
    item: int = Field(ge=1, le=MAX_ID, description="Id of the item answered.")
    answer: dict[str, Any] | None = Field(
        None, description='Answer keyed by schema field name, e.g. `{"topic": "sport"}`.'
    )
    skipped: bool = False
    skip_reason: str = Field("", max_length=500)
    lead_time: float | None = Field(None, description="Active seconds spent on the item.")
    client_id: UUID | None = Field(
        None,
        strict=False,
        description="Retry key: resending the same client_id returns the first result.",
    )
    response_order: list[int] | dict[str, list[int]] | None = Field(
        None,
        description="The order your interface showed the responses in, as item indexes "
        "(e.g. `[1, 0]`: B first); recorded, not applied: `answer` uses the item's order.",
    )


class AnnotationOut(Schema):
    id: int
    item: int
    annotator: str | None
    answer: dict[str, Any]
    skipped: bool
    skip_reason: str
    guideline_version: int
    lead_time: float | None
    client_id: UUID | None
    response_order: list[int] | dict[str, list[int]] | None = None
    origin: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_item(a: Annotation) -> int:
        return a.item_id

    @staticmethod
    def resolve_annotator(a: Annotation) -> str | None:
        return a.author or None


class AnnotationPage(Schema):
    annotations: list[AnnotationOut]
    next_after: int | None


# --- the annotation queue -----------------------------------------------------------------


@router.get(
    "/projects/{project_id}/next",
    response=NextOut,
    summary="Your next item, leased to you",
    description="Always 200. When nothing is left for you, `item` is null and `message` says "
    "so. Asking again while you hold a lease returns the same item.",
)
def next_item(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="annotate")
    item = services.next_item(project=project, user=request.auth)
    if item is None:
        return {
            "item": None,
            "guideline_version": project.guideline_version,
            "message": "No more items for you in this project.",
        }
    return {
        # The annotator view for whoever annotates, as on the annotation page.
        "item": {
            "id": item.pk,
            "external_id": visibility.annotator_external_id(project, item),
            "data": visibility.annotator_data(project, item.data),
        },
        "lease_expires_at": item.lease_expires_at,
        "suggestion": _suggestion(project, item),
        "guideline_version": project.guideline_version,
    }


def _suggestion(project: Project, item: Item) -> dict | None:
    prediction = item.best_prediction()
    if prediction is None:
        return None
    answer = project.schema.validate_prediction(prediction.answer, item.data, strict=False)
    if not answer:
        return None
    return {"model_version": prediction.model_version, "score": prediction.score, "answer": answer}


@router.post(
    "/projects/{project_id}/annotations",
    response={200: AnnotationOut, 201: AnnotationOut, 409: ErrorOut},
    summary="Submit (or change) your answer on an item",
    description="201 when a new annotation was recorded; 200 when the request was a retry "
    "with the same `client_id`, or changed your earlier answer on the item. An answer that "
    "breaks the schema is a 400 naming the field, e.g. `answer.topic: ...`. 409: a new answer "
    "or skip for an item not leased or assigned to you, a gold answer you were shown "
    "feedback on, or a `client_id` used for another item.",
)
def submit_annotation(request: ApiRequest, project_id: ProjectId, payload: AnnotationIn):
    project = access.get_project_for_user(request.auth, project_id, action="annotate")
    item = access.get_item_for_user(request.auth, project, payload.item)
    result = services.submit_annotation(
        project=project,
        item=item,
        user=request.auth,
        answer={} if payload.answer is None else payload.answer,
        skipped=payload.skipped,
        skip_reason=payload.skip_reason,
        lead_time=payload.lead_time,
        client_id=payload.client_id,
        response_order=payload.response_order,
        require_lease=True,
    )
    return Status(201 if result.created else 200, result.annotation)


@router.get(
    "/projects/{project_id}/annotations",
    response=AnnotationPage,
    summary="Annotations in id order, by keyset pages",
    description="Annotators see only their own unless the project lets annotators see others.",
)
def list_annotations(
    request: ApiRequest,
    project_id: ProjectId,
    after: After = 0,
    limit: Limit = 100,
    item: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this item.")] = None,
):
    project = access.get_project_for_user(request.auth, project_id)
    qs = access.annotations_visible_to(request.auth, project).filter(pk__gt=after)
    if item is not None:
        qs = qs.filter(item_id=item)
    page = list(qs.select_related("annotator").order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "annotations": list(page),
        "next_after": page[-1].pk if more else None,
    }


@router.get(
    "/projects/{project_id}/annotations/{annotation_id}",
    response=AnnotationOut,
    summary="One annotation",
)
def get_annotation(request: ApiRequest, project_id: ProjectId, annotation_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id)
    return access.get_annotation_for_user(request.auth, project, annotation_id)
