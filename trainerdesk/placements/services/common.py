"""Small pieces every placements service shares: a reason's checks, and the locked read
of a submission with what the access and permission checks need."""

from __future__ import annotations

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.placements.models import Submission

MAX_REASON = 2000


def clean_reason(reason: str, *, required: bool, field: str = "reason") -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput([f"{field}: say why"])
    if len(text) > MAX_REASON:
        raise InvalidInput([f"{field}: at most {MAX_REASON} characters"])
    return text


def lock_submission(submission: Submission) -> Submission:
    """The row again, locked for this transaction (select_for_update), with its opening,
    client, member, candidate and policy."""
    return (
        Submission.objects.select_for_update()
        .select_related("opening__client", "member", "candidate", "policy")
        .get(pk=submission.pk)
    )
