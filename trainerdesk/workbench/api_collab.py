"""Collaboration endpoints: comments on items, the inbox, webhooks and their deliveries.

Kept beside api.py (same conventions: access.py for every lookup, 404 for anything not
yours, errors that name the field) so the workbench router stays about the queue.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status

from trainerdesk.lib.api_schemas import InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench import access, services
from trainerdesk.workbench.api import MAX_ID, ObjectId, ProjectId
from trainerdesk.workbench.models import Comment, Notification, WebhookDelivery

router = Router(tags=["collaboration"])

EventName = Literal["import.finished", "item.commented", "project.completed"]


class CommentOut(Schema):
    id: int
    item: int
    parent: int | None = Field(description="The thread's first comment; null for that one.")
    author: str
    body: str = Field(description="Markdown as written; empty once deleted.")
    html: str = Field(description="The body rendered and sanitised.")
    created_at: datetime
    edited_at: datetime | None

    @staticmethod
    def resolve_item(c: Comment) -> int:
        return c.item_id

    @staticmethod
    def resolve_parent(c: Comment) -> int | None:
        return c.parent_id

    @staticmethod
    def resolve_author(c: Comment) -> str:
        return c.author.get_username()


class CommentIn(InputSchema):
    body: str = Field(min_length=1, max_length=services.MAX_COMMENT_CHARS)
    parent: int | None = Field(
        None, ge=1, le=MAX_ID, description="Reply in the thread of this comment."
    )


class CommentEdit(InputSchema):
    body: str = Field(min_length=1, max_length=services.MAX_COMMENT_CHARS)


class NotNotified(Schema):
    username: str
    reason: str


class PostedOut(Schema):
    comment: CommentOut
    notified: list[str] = Field(description="Usernames mentioned and notified.")
    not_notified: list[NotNotified] = Field(description="Mentions that notified nobody, and why.")


class NotificationOut(Schema):
    id: int
    kind: Literal["mention", "reply", "returned"] = Field(
        description="returned: a reviewer sent your answer back; answer the item again."
    )
    project: int
    item: int
    comment: CommentOut | None = Field(description="Null for returned.")
    actor: str | None = Field(None, description="returned: the reviewer.")
    message: str = Field("", description="returned: the reviewer's reason.")
    created_at: datetime
    read_at: datetime | None


class MarkReadIn(InputSchema):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, description="Entries to mark read; leave out to mark all read."
    )


class MarkReadOut(Schema):
    marked: int


class WebhookIn(InputSchema):
    url: str = Field(min_length=1, max_length=1000, description="http:// or https://")
    events: list[EventName] = Field(min_length=1)
    slack_format: bool = Field(False, description='Post {"text": ...} for Slack-compatible URLs.')
    active: bool = True


class WebhookPatch(InputSchema):
    url: str | None = Field(None, min_length=1, max_length=1000)
    events: list[EventName] | None = Field(None, min_length=1)
    slack_format: bool | None = None
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    slack_format: bool
    active: bool
    secret: str = Field(description="Key of the X-TrainerDesk-Signature HMAC.")
    created_at: datetime


class DeliveryOut(Schema):
    id: int
    webhook: int
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None
    error: str
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_webhook(d: WebhookDelivery) -> int:
        return d.webhook_id


def _posted(result: services.PostedComment) -> dict:
    return {
        "comment": result.comment,
        "notified": result.notified,
        "not_notified": [{"username": n, "reason": why} for n, why in result.not_notified],
    }


def _notification(n: Notification) -> dict:
    if n.comment is None:  # a sent-back answer
        return {
            "id": n.pk, "kind": n.kind, "item": n.item_id,
            "project": n.item.project_id if n.item is not None else None,
            "comment": None, "actor": n.actor.get_username() if n.actor else None,
            "message": n.message, "created_at": n.created_at, "read_at": n.read_at,
        }  # fmt: skip
    return {
        "id": n.pk,
        "kind": n.kind,
        "project": n.comment.project_id,
        "item": n.comment.item_id,
        "comment": n.comment,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


# --- comments -----------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/items/{item_id}/comments",
    response=list[CommentOut],
    summary="Comments on an item, oldest first",
    description="Managers and reviewers always; annotators when the project allows comments "
    "for them and only on items they worked on. Replies carry their thread's first comment "
    "as `parent`.",
)
def list_comments(request: ApiRequest, project_id: ProjectId, item_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id)
    item = access.get_commented_item_for_user(request.auth, project, item_id)
    comments = Comment.objects.filter(item=item).select_related("author")
    return list(comments.order_by("created_at", "id"))


@router.post(
    "/projects/{project_id}/items/{item_id}/comments",
    response={201: PostedOut},
    summary="Comment on an item, or reply (with `parent`)",
    description="@username mentions notify project members who can see the comment; the "
    "others are listed in `not_notified` with the reason.",
)
def post_comment(request: ApiRequest, project_id: ProjectId, item_id: ObjectId, payload: CommentIn):
    project = access.get_project_for_user(request.auth, project_id)
    item = access.get_commented_item_for_user(request.auth, project, item_id)
    parent = None
    if payload.parent is not None:
        parent = access.get_comment_for_user(request.auth, project, payload.parent)
    result = services.post_comment(
        project=project, item=item, author=request.auth, body=payload.body, parent=parent
    )
    return Status(201, _posted(result))


@router.post(
    "/projects/{project_id}/comments/{comment_id}/replies",
    response={201: PostedOut},
    summary="Reply in a comment's thread",
)
def reply(request: ApiRequest, project_id: ProjectId, comment_id: ObjectId, payload: CommentEdit):
    project = access.get_project_for_user(request.auth, project_id)
    parent = access.get_comment_for_user(request.auth, project, comment_id)
    result = services.post_comment(
        project=project, item=parent.item, author=request.auth, body=payload.body, parent=parent
    )
    return Status(201, _posted(result))


@router.patch(
    "/projects/{project_id}/comments/{comment_id}",
    response=PostedOut,
    summary="Edit your comment",
)
def edit_comment(
    request: ApiRequest, project_id: ProjectId, comment_id: ObjectId, payload: CommentEdit
):
    project = access.get_project_for_user(request.auth, project_id)
    comment = access.get_comment_for_user(request.auth, project, comment_id)
    return _posted(services.edit_comment(comment=comment, by=request.auth, body=payload.body))


@router.delete(
    "/projects/{project_id}/comments/{comment_id}",
    response={204: None},
    summary="Delete your comment (a thread's first comment with replies is blanked)",
)
def delete_comment(request: ApiRequest, project_id: ProjectId, comment_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id)
    comment = access.get_comment_for_user(request.auth, project, comment_id)
    services.delete_comment(comment=comment, by=request.auth)
    return Status(204, None)


# --- inbox --------------------------------------------------------------------------------


@router.get("/inbox", response=list[NotificationOut], summary="Your mentions and replies")
def inbox(
    request: ApiRequest,
    unread: Annotated[bool, Query(description="Only unread entries.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    entries = access.notifications_for(request.auth)
    if unread:
        entries = entries.filter(read_at__isnull=True)
    entries = entries.select_related("comment__author", "item", "actor")
    entries = entries.order_by("-created_at", "-id")
    return [_notification(n) for n in entries[:limit]]


@router.post("/inbox/read", response=MarkReadOut, summary="Mark inbox entries read")
def mark_read(request: ApiRequest, payload: MarkReadIn):
    return {"marked": services.mark_notifications_read(user=request.auth, ids=payload.ids)}


# --- webhooks -----------------------------------------------------------------------------


@router.get(
    "/projects/{project_id}/webhooks", response=list[WebhookOut], summary="Webhooks (manager)"
)
def list_webhooks(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    return list(project.webhooks.order_by("id"))


@router.post(
    "/projects/{project_id}/webhooks",
    response={201: WebhookOut},
    summary="Register a webhook (manager); the response carries its signing secret",
)
def create_webhook(request: ApiRequest, project_id: ProjectId, payload: WebhookIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    hook = services.create_webhook(
        project=project,
        by=request.auth,
        url=payload.url,
        events=list(payload.events),
        slack_format=payload.slack_format,
    )
    if not payload.active:
        services.update_webhook(webhook=hook, by=request.auth, active=False)
    return Status(201, hook)


@router.get(
    "/projects/{project_id}/webhooks/{webhook_id}", response=WebhookOut, summary="One webhook"
)
def get_webhook(request: ApiRequest, project_id: ProjectId, webhook_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    return access.get_webhook_for_user(request.auth, project, webhook_id)


@router.patch(
    "/projects/{project_id}/webhooks/{webhook_id}",
    response=WebhookOut,
    summary="Change a webhook (only the fields sent)",
)
def update_webhook(
    request: ApiRequest, project_id: ProjectId, webhook_id: ObjectId, payload: WebhookPatch
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    hook = access.get_webhook_for_user(request.auth, project, webhook_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = [key for key, value in changes.items() if value is None]
    if nulls:
        raise services.InvalidInput([f"{key}: must not be null" for key in nulls])
    return services.update_webhook(webhook=hook, by=request.auth, **changes)


@router.delete(
    "/projects/{project_id}/webhooks/{webhook_id}",
    response={204: None},
    summary="Delete a webhook and its delivery log",
)
def delete_webhook(request: ApiRequest, project_id: ProjectId, webhook_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    hook = access.get_webhook_for_user(request.auth, project, webhook_id)
    services.delete_webhook(webhook=hook, by=request.auth)
    return Status(204, None)


@router.post(
    "/projects/{project_id}/webhooks/{webhook_id}/test",
    response={202: DeliveryOut},
    summary="Send a test event (`webhook.test`)",
)
def test_webhook(request: ApiRequest, project_id: ProjectId, webhook_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    hook = access.get_webhook_for_user(request.auth, project, webhook_id)
    return Status(202, services.send_test_event(webhook=hook, by=request.auth))


@router.get(
    "/projects/{project_id}/webhooks/{webhook_id}/deliveries",
    response=list[DeliveryOut],
    summary="A webhook's deliveries, newest first",
)
def list_deliveries(
    request: ApiRequest,
    project_id: ProjectId,
    webhook_id: ObjectId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    hook = access.get_webhook_for_user(request.auth, project, webhook_id)
    deliveries = hook.deliveries.order_by("-created_at", "-id")[:limit]
    return list(deliveries)
