"""Quality endpoints."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from trainerdesk.quality import services as quality
from trainerdesk.quality.models import Review
from trainerdesk.workbench import access
from trainerdesk.workbench.api import MAX_ID, ObjectId, ProjectId

router = Router(tags=["quality"])

# --- review ---------------------------------------------------------------------------------


class ReviewQueueEntry(Schema):
    item_id: int
    external_id: str | None
    text: str = Field(description="The first text of the item's data, cut at 140 characters.")
    answers: int = Field(description="Non-skipped answers on the item.")
    agreeing: int = Field(description="How many of them equal the most common answer.")
    disagreement: bool = Field(description="The non-skipped answers differ.")
    low_score: bool = Field(description="A model's prediction scored below min_score.")
    reviewed: bool = Field(description="Every non-skipped annotation has a review.")


class ReviewOut(Schema):
    id: int
    item_id: int
    annotation_id: int | None = Field(description="Null once the annotation was sent back.")
    annotator: str
    reviewer: str
    decision: str
    reason: str
    fixed_answer: Any = None
    original_answer: Any = None
    sent_back: bool
    created_at: datetime


class ReviewIn(Schema):
    annotation: int = Field(ge=1, le=MAX_ID, description="The annotation reviewed.")
    decision: Literal["accepted", "rejected", "fixed", "send_back"] = Field(
        description="send_back = rejected, and the item returns to the annotator's queue."
    )
    reason: str = Field("", max_length=2000, description="Required to reject; shown to them.")
    fixed_answer: dict[str, Any] | None = Field(
        None, description="For fixed: the reviewer's answer, validated by the label schema."
    )
    send_back: bool = Field(False, description="With rejected: also send it back.")


def _review(r: Review) -> dict:
    return {
        "id": r.pk,
        "item_id": r.item_id,
        "annotation_id": r.annotation_id,
        "annotator": r.annotator_name,
        "reviewer": r.reviewer.get_username(),
        "decision": r.decision,
        "reason": r.reason,
        "fixed_answer": r.fixed_answer,
        "original_answer": r.original_answer,
        "sent_back": r.sent_back,
        "created_at": r.created_at,
    }


@router.get(
    "/projects/{project_id}/review/queue",
    response=list[ReviewQueueEntry],
    summary="Items to review (reviewers and managers)",
    description="Annotated items in id order; without `reviewed`, the ones with an "
    "unreviewed annotation first. scope: all, disagreement (the answers differ) or low "
    "(fewer agreeing answers than the overlap, or a prediction scored below min_score).",
)
def review_queue(
    request: HttpRequest,
    project_id: ProjectId,
    scope: Literal["all", "disagreement", "low"] = "all",
    reviewed: bool | None = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    min_score: Annotated[float, Query(ge=0, le=1)] = quality.LOW_SCORE,
):
    project = access.get_project_for_user(request.auth, project_id, action="review")
    entries = quality.review_queue(
        project=project, scope=scope, reviewed=reviewed, after=after, limit=limit,
        min_score=min_score,
    )  # fmt: skip
    return [
        {
            "item_id": e.item.pk,
            "external_id": e.item.external_id,
            "text": e.text,
            "answers": e.answers,
            "agreeing": e.agreeing,
            "disagreement": e.disagree,
            "low_score": e.low_score,
            "reviewed": e.reviewed,
        }
        for e in entries
    ]


@router.post(
    "/projects/{project_id}/reviews",
    response={201: ReviewOut},
    summary="Record a review decision (reviewers and managers)",
)
def post_review(request: HttpRequest, project_id: ProjectId, payload: ReviewIn):
    project = access.get_project_for_user(request.auth, project_id, action="review")
    annotation = access.get_annotation_for_user(request.auth, project, payload.annotation)
    send_back = payload.decision == "send_back" or payload.send_back
    review = quality.record_review(
        project=project,
        annotation=annotation,
        reviewer=request.auth,
        decision="rejected" if payload.decision == "send_back" else payload.decision,
        reason=payload.reason,
        fixed_answer=payload.fixed_answer,
        send_back=send_back,
    )
    return Status(201, _review(review))


@router.get(
    "/projects/{project_id}/items/{item_id}/reviews",
    response=list[ReviewOut],
    summary="Every review of an item, oldest first (reviewers and managers)",
)
def item_reviews(request: HttpRequest, project_id: ProjectId, item_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id, action="review")
    item = access.get_item_for_user(request.auth, project, item_id)
    return [_review(r) for r in quality.reviews_of_item(item=item)]
