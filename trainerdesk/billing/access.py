"""Who may see which money records: the one place that answers 404.

Staff see every account and commission. A member sees only their own: their accounts
(payable, membership receivable, clawback) and their commissions. Nobody else sees
anything here, and a record that is not yours is "not found", never "forbidden"."""

from __future__ import annotations

from django.http import Http404

from trainerdesk.billing.models import Account, Commission
from trainerdesk.placements import parties


def staff_or_404(user) -> None:
    if not parties.is_staff(user):
        raise Http404("Not found")


def member_or_404(user):
    member = parties.member_for(user)
    if member is None:
        raise Http404("Not found")
    return member


def visible_accounts(user):
    qs = Account.objects.select_related("client", "member")
    if parties.is_staff(user):
        return qs
    member = parties.member_for(user)
    return qs.filter(member=member) if member is not None else qs.none()


def get_account_for_user(user, account_id) -> Account:
    try:
        return visible_accounts(user).get(pk=int(account_id))
    except (Account.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


def visible_commissions(user):
    qs = Commission.objects.select_related("placement__client", "member")
    if parties.is_staff(user):
        return qs
    member = parties.member_for(user)
    return qs.filter(member=member) if member is not None else qs.none()
