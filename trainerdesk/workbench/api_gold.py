"""Gold item endpoints: marking items gold with their reference answer.

Same conventions as api.py (access.py for every lookup, 404 for anything not yours).
"""

from typing import Annotated, Any

from ninja import Field, Router, Schema

from trainerdesk.lib.api_schemas import InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench import access, services
from trainerdesk.workbench.api import MAX_ID, ItemOut, ObjectId, ProjectId, _item

router = Router(tags=["workbench"])


# --- gold items ---------------------------------------------------------------------------------


class GoldItemIn(InputSchema):
    is_gold: bool = Field(description="Gold items are mixed into every annotator's queue once.")
    reference: dict[str, Any] | None = Field(
        None, description="The reference (gold) answer, keyed by field like an answer."
    )
    explanation: str = Field("", max_length=5000, description="Shown with gold feedback.")


class GoldSelectionIn(InputSchema):
    items: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        ..., max_length=services.MAX_SELECTION
    )
    gold: bool = Field(
        description="true: mark gold with each item's current final answer as its reference; "
        "false: unmark (the reference stays)."
    )


class GoldSelectionOut(Schema):
    changed: int
    without_answer: list[int] = Field(
        description="Not marked: no final answer yet (nobody answered, or the answers tie)."
    )


@router.put(
    "/projects/{project_id}/items/{item_id}/gold",
    response=ItemOut,
    summary="Set an item's reference answer and gold flag (manager)",
)
def set_item_gold(
    request: ApiRequest, project_id: ProjectId, item_id: ObjectId, payload: GoldItemIn
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    item = access.get_item_for_user(request.auth, project, item_id)
    item = services.set_gold(
        project=project,
        item=item,
        reference=payload.reference,
        is_gold=payload.is_gold,
        explanation=payload.explanation,
        by=request.auth,
    )
    return _item(item, full=True, project=project)


@router.post(
    "/projects/{project_id}/gold/items",
    response=GoldSelectionOut,
    summary="Mark or unmark items as gold (manager)",
)
def set_items_gold(request: ApiRequest, project_id: ProjectId, payload: GoldSelectionIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    if not payload.gold:
        count = services.unmark_gold(project=project, item_ids=payload.items, by=request.auth)
        return {"changed": count, "without_answer": []}
    count, missing = services.mark_gold(project=project, item_ids=payload.items, by=request.auth)
    return {"changed": count, "without_answer": missing}
