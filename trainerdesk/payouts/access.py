"""Who may see which payout records: the one place that answers 404.

Staff see every batch, payout, statement and case. A member sees their own earnings,
payouts and bank accounts, nothing of another member's. Everyone else (a client contact,
a candidate, a user outside the network) gets "not found", never a hint that it exists."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.network.models import Member
from trainerdesk.payouts.models import Payout, PayoutBatch, ReconciliationCase, StatementImport
from trainerdesk.placements import parties
from trainerdesk.workbench.access import key_or_404


def staff_or_404(user) -> None:
    if not parties.is_staff(user):
        raise Http404("Not found")


def member_or_404(user) -> Member:
    member = parties.member_for(user)
    if member is None:
        raise Http404("Not a member of the network")
    return member


def visible_payouts(user):
    qs = Payout.objects.select_related("member", "batch")
    if parties.is_staff(user):
        return qs
    member = parties.member_for(user)
    return qs.filter(member=member) if member is not None else qs.none()


def get_payout_for_user(user, payout_id) -> Payout:
    try:
        return visible_payouts(user).get(pk=key_or_404(payout_id))
    except Payout.DoesNotExist:
        raise Http404("No such payout") from None


def get_batch_for_staff(user, batch_id) -> PayoutBatch:
    staff_or_404(user)
    try:
        return PayoutBatch.objects.get(pk=key_or_404(batch_id))
    except PayoutBatch.DoesNotExist:
        raise Http404("No such batch") from None


def get_statement_for_staff(user, statement_id) -> StatementImport:
    staff_or_404(user)
    try:
        return StatementImport.objects.get(pk=key_or_404(statement_id))
    except StatementImport.DoesNotExist:
        raise Http404("No such statement") from None


def get_case_for_staff(user, case_id) -> ReconciliationCase:
    staff_or_404(user)
    try:
        return ReconciliationCase.objects.get(pk=key_or_404(case_id))
    except ReconciliationCase.DoesNotExist:
        raise Http404("No such case") from None


def get_refund_transfer_for_staff(user, transfer_id):
    from trainerdesk.payouts.models import RefundTransfer

    staff_or_404(user)
    try:
        return RefundTransfer.objects.defer("file").get(pk=key_or_404(transfer_id))
    except RefundTransfer.DoesNotExist:
        raise Http404("No such refund transfer") from None
