"""Fair-play policy versions: staff add a version; the latest applies to new submissions,
and each submission keeps the version it was judged under."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.placements.models import FairPlayPolicy

MAX_CAP = 100
MAX_OWNERSHIP_DAYS = 3650


def current_policy() -> FairPlayPolicy:
    return FairPlayPolicy.objects.current()


def create_fair_play_policy(
    *, pending_cap_per_member_per_opening: int, ownership_days: int, by
) -> FairPlayPolicy:
    if not getattr(by, "is_staff", False):
        raise PermissionDenied("Only platform staff change the fair-play policy")
    errors = []
    if not 1 <= pending_cap_per_member_per_opening <= MAX_CAP:
        errors.append(f"pending_cap_per_member_per_opening: between 1 and {MAX_CAP}")
    if not 1 <= ownership_days <= MAX_OWNERSHIP_DAYS:
        errors.append(f"ownership_days: between 1 and {MAX_OWNERSHIP_DAYS}")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        latest = FairPlayPolicy.objects.select_for_update().order_by("-version").first()
        policy = FairPlayPolicy.objects.create(
            version=(latest.version if latest else 0) + 1,
            pending_cap_per_member_per_opening=pending_cap_per_member_per_opening,
            ownership_days=ownership_days,
            created_by=by,
        )
        audit.record(
            action="placements.policy.create",
            obj=policy,
            changes={
                "version": policy.version,
                "pending_cap_per_member_per_opening": pending_cap_per_member_per_opening,
                "ownership_days": ownership_days,
            },
            by=by,
        )
    return policy
