"""Comments, mentions and the notification inbox."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench import access
from trainerdesk.workbench.models import Comment, Item, Notification, Project, Webhook
from trainerdesk.workbench.services.webhooks import emit_event

# --- comments, inbox and webhooks ----------------------------------------------------------

MAX_COMMENT_CHARS = 10_000
# A mention is @ and a Django username (letters, digits and @.+-_), not preceded by a word
# character so that e-mail addresses in a comment mention nobody.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]{1,150})")


def mentioned_usernames(body: str) -> list[str]:
    """Usernames written as @name, in order, once each; a trailing dot ends a sentence."""
    names = (m.rstrip(".") for m in _MENTION.findall(body))
    return list(dict.fromkeys(n for n in names if n))


@dataclass
class PostedComment:
    comment: Comment
    notified: list[str] = field(default_factory=list)
    # (username, why) for mentions that reached nobody.
    not_notified: list[tuple[str, str]] = field(default_factory=list)


def _comment_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(["body: write something"])
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput([f"body: at most {MAX_COMMENT_CHARS:,} characters, got {len(body):,}"])
    if "\x00" in body:
        raise InvalidInput(["body: contains a NUL character"])
    return body


def _notify(*, comment: Comment, author, mentions: list[str], reply_to: set[int]) -> PostedComment:
    """Notifications for the people a comment mentions and, for a reply, the thread's
    other participants; only people who may read the comment are told."""
    result = PostedComment(comment)
    User = get_user_model()
    roles = access.project_roles(comment.project)
    readers = access.comment_readers(comment.project, comment.item, roles)
    users = {
        u.get_username(): u.pk for u in User.objects.filter(username__in=mentions, is_active=True)
    }
    kinds: dict[int, str] = {}
    for name in mentions:
        uid = users.get(name)
        if uid is None or uid not in roles:
            result.not_notified.append((name, "not a member of this project"))
        elif uid == author.pk:
            continue
        elif uid not in readers:
            result.not_notified.append((name, "cannot see comments on this item"))
        else:
            kinds.setdefault(uid, Notification.Kind.MENTION)
            result.notified.append(name)
    for uid in reply_to & readers - {author.pk}:
        kinds.setdefault(uid, Notification.Kind.REPLY)
    already = set(
        Notification.objects.filter(comment=comment, user__in=list(kinds)).values_list(
            "user_id", flat=True
        )
    )
    Notification.objects.bulk_create(
        [
            Notification(user_id=uid, kind=kind, comment=comment)
            for uid, kind in kinds.items()
            if uid not in already
        ]
    )
    return result


def post_comment(
    *, project: Project, item: Item, author, body: str, parent: Comment | None = None
) -> PostedComment:
    """Post a comment on an item, or a reply in a thread (replies always point at the
    thread's first comment). Mentions of project members and, for a reply, the thread's
    other participants get an inbox entry; webhooks get item.commented."""
    body = _comment_body(body)
    if parent is not None:
        if parent.item_id != item.pk:
            raise InvalidInput(["parent: that comment is on another item"])
        if parent.parent_id is not None:
            parent = parent.parent
    with transaction.atomic():
        comment = Comment.objects.create(
            project=project, item=item, parent=parent, author=author, body=body
        )
        participants: set[int] = set()
        if parent is not None:
            participants = {parent.author_id} | set(
                Comment.objects.filter(parent=parent).values_list("author_id", flat=True)
            )
        result = _notify(
            comment=comment,
            author=author,
            mentions=mentioned_usernames(body),
            reply_to=participants,
        )
        emit_event(
            project=project,
            event=Webhook.Event.ITEM_COMMENTED,
            data={
                "item": item.pk,
                "external_id": item.external_id,
                "comment": comment.pk,
                "thread": parent.pk if parent else comment.pk,
                "author": author.get_username(),
                "body": body,
                "url": reverse("workbench:item_detail", args=[project.pk, item.pk]),
            },
        )
    return result


def edit_comment(*, comment: Comment, by, body: str) -> PostedComment:
    """Change one's own comment; people it newly mentions are notified."""
    if comment.author_id != by.pk:
        raise InvalidInput(["comment: you can only edit your own comments"])
    body = _comment_body(body)
    with transaction.atomic():
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        return _notify(
            comment=comment, author=by, mentions=mentioned_usernames(body), reply_to=set()
        )


def delete_comment(*, comment: Comment, by) -> None:
    """Delete one's own comment. A thread's first comment with replies is blanked instead,
    so that the replies keep their context."""
    if comment.author_id != by.pk:
        raise InvalidInput(["comment: you can only delete your own comments"])
    with transaction.atomic():
        blanked = comment.parent_id is None and comment.replies.exists()
        pk, item_id = comment.pk, comment.item_id
        if blanked:
            comment.body = ""
            comment.edited_at = timezone.now()
            comment.save(update_fields=["body", "edited_at"])
            comment.notifications.all().delete()
        else:
            comment.delete()
        audit.record(
            action="workbench.comment.delete",
            object_type="workbench.comment",
            object_id=pk,
            project=comment.project,
            changes={"item_id": item_id, "blanked": blanked},
            by=by,
        )


def mark_notifications_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read: those given, or all of them."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
