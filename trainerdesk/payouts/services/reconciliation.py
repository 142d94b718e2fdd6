"""Settling reconciliation cases by hand (staff, after asking the bank).

An ambiguous payout's case is settled "not_paid" when the bank confirms nothing left the
account: the payout becomes failed and may be retried with the same key. "Paid" is never
decided by hand: a booked debit in an imported statement settles it (and closes the
case), so the ledger only ever moves on the bank's word. A mismatch or unexpected entry
is "dismissed" with a note once staff have dealt with it outside the app.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.payouts.models import Payout, ReconciliationCase
from trainerdesk.payouts.services.common import clean_note

RESOLUTIONS = ("not_paid", "dismissed")


def resolve_case(
    *, case: ReconciliationCase, resolution: str, note: str, by: Any
) -> ReconciliationCase:
    if resolution not in RESOLUTIONS:
        raise InvalidInput([f"resolution: one of {', '.join(RESOLUTIONS)}"])
    text = clean_note(note, required=True)
    with transaction.atomic():
        case = ReconciliationCase.objects.select_for_update().get(pk=case.pk)
        if case.status != ReconciliationCase.Status.OPEN:
            raise ConflictError(f"case {case.pk}: already resolved ({case.resolution})")
        changes: dict[str, Any] = {"resolution": resolution}
        if resolution == "not_paid":
            if case.kind != ReconciliationCase.Kind.AMBIGUOUS or case.payout_id is None:
                raise InvalidInput(["resolution: not_paid settles an ambiguous payout only"])
            payout = Payout.objects.select_for_update().get(pk=case.payout_id)
            if payout.status != Payout.Status.AMBIGUOUS:
                raise ConflictError(f"payout {payout.pk}: is {payout.status}, not ambiguous")
            payout.status = Payout.Status.FAILED
            payout.detail = f"case {case.pk}: the bank confirmed nothing was paid"
            payout.save(update_fields=["status", "detail"])
            changes["payout"] = {
                "id": payout.pk,
                "status": {"before": "ambiguous", "after": "failed"},
            }
        elif case.kind == ReconciliationCase.Kind.AMBIGUOUS:
            raise InvalidInput(
                ["resolution: an ambiguous payout is settled by a statement or as not_paid"]
            )
        case.status = ReconciliationCase.Status.RESOLVED
        case.resolution = resolution
        case.note = text
        case.resolved_at = timezone.now()
        case.resolved_by = by if getattr(by, "pk", None) else None
        case.save(update_fields=["status", "resolution", "note", "resolved_at", "resolved_by"])
        audit.record(action="payouts.case.resolve", obj=case, changes=changes, reason=text, by=by)
    return case
