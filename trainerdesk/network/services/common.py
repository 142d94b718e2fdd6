"""What every network service shares: the staff check and field-naming errors."""

from __future__ import annotations

from typing import Any

from trainerdesk.lib.errors import ConflictError, InvalidInput


class NotAllowed(ConflictError):
    """The acting user may not do this (views answer 403; reading is 404 in access.py)."""


def require_staff(by: Any) -> None:
    if by is None or not getattr(by, "is_staff", False):
        raise NotAllowed("only platform staff may do this")


def text(value: Any, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not isinstance(value, str):
        raise InvalidInput([f"{field}: must be text"])
    if required and not value:
        raise InvalidInput([f"{field}: required"])
    if len(value) > max_length:
        raise InvalidInput([f"{field}: longer than {max_length} characters"])
    return value


def choice(value: Any, field: str, choices: Any, *, required: bool = True) -> str:
    values = [c for c, _ in choices]
    if not value and not required:
        return ""
    if value not in values:
        raise InvalidInput([f"{field}: {value!r} is not one of {', '.join(values)}"])
    return value


def positive_int(value: Any, field: str, *, low: int = 0, high: int = 2**31 - 1) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput([f"{field}: must be a whole number"])
    if not low <= value <= high:
        raise InvalidInput([f"{field}: must be between {low} and {high}"])
    return value


def decide_application(*, model: Any, obj: Any, approve: bool, reason: str, by: Any) -> Any:
    """Staff approve or reject a pending member or client (one decision, audited as
    `network.<model>.approve|reject`); returns the locked, updated row. Inside the
    caller's transaction."""
    from django.utils import timezone

    from trainerdesk.lib import audit
    from trainerdesk.network.models import ApprovalStatus

    require_staff(by)
    row = model.objects.select_for_update().get(pk=obj.pk)
    if row.status != ApprovalStatus.PENDING:
        raise ConflictError(f"this was already decided ({row.status})")
    row.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    row.decided_at = timezone.now()
    row.decided_by = by
    row.save(update_fields=["status", "decided_at", "decided_by"])
    verb = "approve" if approve else "reject"
    audit.record(action=f"network.{model._meta.model_name}.{verb}", obj=row, by=by, reason=reason)
    return row
