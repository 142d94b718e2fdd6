"""Billing pages: the staff trial balance (/billing/ledger/), an account with its legs
(paged; staff, or the member whose account it is), and a member's earnings (their
commissions and what is payable). Read-only: every write is a service called by the
invoicing and payouts apps. Lookups go through access.py (404 for what is not yours)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from trainerdesk.billing import access
from trainerdesk.billing.models import Account, AccountKind, Commission
from trainerdesk.billing.services import flows, ledger
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.request_types import AuthenticatedRequest

LEGS_PER_PAGE = 50


@login_required
@require_GET
def trial_balance_page(request: AuthenticatedRequest):
    access.staff_or_404(request.user)
    currency = request.GET.get("currency") or None
    error = ""
    try:
        tb = ledger.trial_balance(currency=currency)
    except InvalidInput as exc:
        tb, error, currency = ledger.trial_balance(), str(exc), None
    return TemplateResponse(
        request,
        "billing/trial_balance.html",
        {"tb": tb, "currency": currency, "error": error},
    )


@login_required
@require_GET
def account_page(request: AuthenticatedRequest, account_id: int):
    account = access.get_account_for_user(request.user, account_id)
    legs = account.legs.select_related("transaction").filter(
        transaction__status="posted"
    ).order_by("-id")  # fmt: skip
    page = Paginator(legs, LEGS_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "billing/account.html",
        {
            "account": account,
            "balance": ledger.balance(account),
            "page": page,
            "is_staff": request.user.is_staff,
        },
    )


@login_required
@require_GET
def earnings_page(request: AuthenticatedRequest):
    member = access.member_or_404(request.user)
    commissions = access.visible_commissions(request.user).filter(member=member)
    accounts = list(
        Account.objects.filter(
            member=member, kind__in=[AccountKind.MEMBER_PAYABLE, AccountKind.CLAWBACK_RECEIVABLE]
        )
    )
    sums = ledger.balances(accounts)
    rows = [
        {"account": a, "balance": sums[a.pk], "shown": sums[a.pk] * a.normal_sign} for a in accounts
    ]
    totals: dict[str, dict[str, int]] = {}
    for c in commissions:
        per = totals.setdefault(c.currency, {})
        per[c.status] = per.get(c.status, 0) + c.amount_cents
    return TemplateResponse(
        request,
        "billing/earnings.html",
        {
            "member": member,
            "commissions": commissions.order_by("-created_at", "-id")[:200],
            "accounts": rows,
            "totals": totals,
            "statuses": Commission.Status,
            "clawback": {
                cur: flows.clawback_outstanding(member=member, currency=cur)
                for cur in {a.currency for a in accounts}
            },
        },
    )
