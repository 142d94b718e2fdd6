"""Per-person assignment of items and queue shares."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench.models import Annotation, Item, Project, ProjectMember
from trainerdesk.workbench.services.data_manager import _selection

# --- per-person assignment ---------------------------------------------------------------------
# An assigned item is served only to its assignee, before the shared queue
# (_first_open_item); _record_answer hands it back to the shared queue once the assignee
# answers or skips it.


def _assignable(*, project: Project, user) -> None:
    """Refuse anyone who cannot annotate in the project: their items would never be
    served to anybody."""
    if user is None:
        return
    from trainerdesk.accounts.models import Membership

    org_role = project.organization.role_of(user)
    is_member = ProjectMember.objects.filter(project=project, user=user).exists()
    if org_role is None or not (is_member or org_role in Membership.ADMIN_ROLES):
        raise InvalidInput(
            [f"assignee: {user.get_username()} is not a member of this project (add them first)"]
        )


def assignable_usernames(*, project: Project) -> list[str]:
    """Usernames of the project's members who are still in its organization."""
    return list(
        ProjectMember.objects.filter(
            project=project, user__memberships__organization_id=project.organization_id
        )
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def member_by_username(*, project: Project, username: str):
    """A project member by username; the same error for unknown and non-member names."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput([f"assignee: {username} is not a member of this project"])
    _assignable(project=project, user=user)
    return user


def assign_items(*, project: Project, item_ids: list[int], assignee, by) -> int:
    """Assign the selected items to `assignee` (a project member), or back to the shared
    queue with None. Items the assignee already answered or skipped are left as they are
    (they would never be served to them again, so nobody would get them); returns how
    many items changed."""
    ids = _selection(item_ids)
    _assignable(project=project, user=assignee)
    items = Item.objects.filter(project=project, pk__in=ids)
    with transaction.atomic():
        if assignee is None:
            changed = items.exclude(assignee=None)
        else:
            answered = Annotation.objects.filter(item=OuterRef("pk"), annotator=assignee)
            changed = items.exclude(Exists(answered))
        changed_ids = list(changed.values_list("pk", flat=True))
        count = Item.objects.filter(pk__in=changed_ids).update(assignee=assignee)
        audit.record_bulk(
            action="workbench.item.bulk_assign",
            object_type="workbench.item",
            ids=changed_ids,
            changes={"assignee_id": None if assignee is None else assignee.pk},
            project=project,
            by=by,
        )
        return count


@dataclass
class QueueShare:
    requested: int
    assigned: dict[str, int]


def assign_queue_share(
    *,
    project: Project,
    assignees: list,
    count: int | None = None,
    percent: float | None = None,
    order: str = "queue",
    by,
    rng: random.Random | None = None,
) -> QueueShare:
    """Give each named annotator a share of the open, unassigned items: `count` items
    each, or `percent` of the open unassigned items each, taken in queue order or at
    random. Nobody gets an item they already worked on; when the items run out the
    later names get fewer."""
    if not assignees:
        raise InvalidInput(["assignees: name at least one annotator"])
    if (count is None) == (percent is None):
        raise InvalidInput(["count: give either a number of items or a percentage"])
    if count is not None and not 1 <= count <= 1_000_000:
        raise InvalidInput(["count: must be between 1 and 1,000,000"])
    if percent is not None and not 0 < percent <= 100:
        raise InvalidInput(["percent: must be more than 0 and at most 100"])
    if order not in ("queue", "random"):
        raise InvalidInput([f"order: {order!r} is not one of queue, random"])
    for user in assignees:
        _assignable(project=project, user=user)
    with transaction.atomic():
        # The shared queue's own index (item_queue: project, rank; assignee NULL).
        pool = list(
            Item.objects.filter(project=project, available=True, assignee=None)
            .order_by("queue_rank", "id")
            .values_list("id", flat=True)
        )
        each = count if count is not None else int(len(pool) * (percent or 0) / 100)
        if order == "random":
            (rng or random.Random()).shuffle(pool)
        taken: set[int] = set()
        assigned: dict[str, int] = {}
        shares: dict[str, int] = {}  # the event names people by id
        for user in assignees:
            worked = set(
                Annotation.objects.filter(project=project, annotator=user).values_list(
                    "item_id", flat=True
                )
            )
            mine: list[int] = []
            for item_id in pool:
                if len(mine) >= each:
                    break
                if item_id not in taken and item_id not in worked:
                    mine.append(item_id)
            taken.update(mine)
            for start in range(0, len(mine), 900):
                Item.objects.filter(pk__in=mine[start : start + 900]).update(assignee=user)
            assigned[user.get_username()] = len(mine)
            shares[str(user.pk)] = len(mine)
        audit.record_bulk(
            action="workbench.queue.share",
            object_type="workbench.item",
            ids=taken,
            changes={"per_user_id": shares, "order": order, "requested": each},
            project=project,
            by=by,
        )
    return QueueShare(requested=each, assigned=assigned)
