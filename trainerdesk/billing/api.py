"""The billing JSON API under /api/v1/billing/ (read-mostly): the pages' views of the
ledger with the same rules (access.py: staff see every account and commission, a member
only their own, anything else is a 404).

Amounts are signed integer minor units as stored: debit +, credit − (an account's
`normal_sign` flips it for display: a member's payable is credit-normal, so what they are
owed is `-balance`, given as `shown`). The trial balance is one report (its totals are
over every row), so it is not paged; legs and commissions page by keyset (`after` an id).
The one write is staff releasing a commission early (billing.commission.release_early)."""

from __future__ import annotations

import datetime
from typing import Annotated

from django.http import Http404
from ninja import Field, Path, Query, Router, Schema

from trainerdesk.billing import access, services
from trainerdesk.billing.models import Account, AccountKind, Commission
from trainerdesk.billing.services import flows
from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.network.access import MAX_ID
from trainerdesk.network.api_common import PageQuery, page

router = Router(tags=["billing"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Currency = Annotated[
    str | None, Query(min_length=3, max_length=3, description="ISO 4217, e.g. EUR.")
]


class AccountOut(Schema):
    id: int
    kind: str
    currency: str
    client: int | None = Field(None, alias="client_id")
    member: int | None = Field(None, alias="member_id")
    normal_sign: int


class TrialRowOut(Schema):
    account: AccountOut
    party: str
    balance: int
    debit: int
    credit: int


class TrialBalanceOut(Schema):
    rows: list[TrialRowOut]
    totals: dict[str, int] = Field(description="Per currency; each 0 in a sound ledger.")
    balanced: bool


class AccountBalanceOut(Schema):
    account: AccountOut
    balance: int
    shown: int = Field(description="balance × normal_sign: positive when the account holds.")


class LegOut(Schema):
    id: int
    transaction: int = Field(alias="transaction_id")
    kind: str = Field(alias="transaction.kind")
    memo: str = Field(alias="transaction.memo")
    posted_at: datetime.datetime | None = Field(alias="transaction.posted_at")
    amount: int
    currency: str
    debit: int
    credit: int


class LegPage(Schema):
    legs: list[LegOut]
    next_after: int | None


class CommissionOut(Schema):
    id: int
    placement: int = Field(alias="placement_id")
    member: int = Field(alias="member_id")
    amount_cents: int
    currency: str
    status: str
    client_paid_on: datetime.date | None
    payable_on: datetime.date | None
    paid_on: datetime.date | None
    released_early: bool
    clawed_back_on: datetime.date | None
    created_at: datetime.datetime


class CommissionPage(Schema):
    commissions: list[CommissionOut]
    next_after: int | None


class CommissionQuery(PageQuery):
    status: Commission.Status | None = None


class EarningsOut(Schema):
    member: int
    accounts: list[AccountBalanceOut] = Field(description="Payable and clawback accounts.")
    payable: dict[str, int] = Field(description="What the platform owes you, per currency.")
    clawback_outstanding: dict[str, int]
    commissions: dict[str, dict[str, int]] = Field(
        description="Commission totals per currency and status."
    )


class ReleaseIn(InputSchema):
    reason: str = Field(max_length=1000)


@router.get("/billing/trial-balance", response={200: TrialBalanceOut, 400: ErrorOut, 404: ErrorOut})
def trial_balance(request: ApiRequest, currency: Currency = None):
    """Staff: every account with posted legs and its balance, totals per currency."""
    access.staff_or_404(request.auth)
    tb = services.trial_balance(currency=currency)
    rows = [
        {
            "account": row.account,
            "party": row.party,
            "balance": row.balance,
            "debit": row.debit,
            "credit": row.credit,
        }
        for row in tb.rows
    ]
    return {"rows": rows, "totals": tb.totals, "balanced": tb.balanced}


@router.get("/billing/accounts/{account_id}", response={200: AccountBalanceOut, 404: ErrorOut})
def get_account(request: ApiRequest, account_id: Id):
    """Staff: any account; a member: their own."""
    account = access.get_account_for_user(request.auth, account_id)
    balance = services.balance(account)
    return {"account": account, "balance": balance, "shown": balance * account.normal_sign}


@router.get("/billing/accounts/{account_id}/legs", response={200: LegPage, 404: ErrorOut})
def account_legs(request: ApiRequest, account_id: Id, query: Query[PageQuery]):
    """The account's posted legs, oldest first."""
    account = access.get_account_for_user(request.auth, account_id)
    legs = account.legs.select_related("transaction").filter(transaction__status="posted")
    rows, cursor = page(legs, query)
    return {"legs": rows, "next_after": cursor}


@router.get("/billing/commissions", response={200: CommissionPage, 404: ErrorOut})
def list_commissions(request: ApiRequest, query: Query[CommissionQuery]):
    """Staff: every commission; a member: their own. Anyone else: 404."""
    if not request.auth.is_staff:
        access.member_or_404(request.auth)
    qs = access.visible_commissions(request.auth)
    if query.status is not None:
        qs = qs.filter(status=query.status)
    rows, cursor = page(qs, query)
    return {"commissions": rows, "next_after": cursor}


@router.get("/billing/earnings", response={200: EarningsOut, 404: ErrorOut})
def my_earnings(request: ApiRequest):
    """A member's own: payable balance per currency, clawback still owed, and their
    commissions' totals by status (the earnings page's figures)."""
    member = access.member_or_404(request.auth)
    kinds = [AccountKind.MEMBER_PAYABLE, AccountKind.CLAWBACK_RECEIVABLE]
    accounts = list(Account.objects.filter(member=member, kind__in=kinds).order_by("pk"))
    sums = services.balances(accounts)
    rows = [
        {"account": a, "balance": sums[a.pk], "shown": sums[a.pk] * a.normal_sign} for a in accounts
    ]
    payable: dict[str, int] = {}
    for a in accounts:
        if a.kind == AccountKind.MEMBER_PAYABLE:
            payable[a.currency] = payable.get(a.currency, 0) + sums[a.pk] * a.normal_sign
    totals: dict[str, dict[str, int]] = {}
    for currency, status, amount in Commission.objects.filter(member=member).values_list(
        "currency", "status", "amount_cents"
    ):
        per = totals.setdefault(currency, {})
        per[status] = per.get(status, 0) + amount
    clawback = {
        cur: flows.clawback_outstanding(member=member, currency=cur)
        for cur in sorted({a.currency for a in accounts})
    }
    return {
        "member": member.pk,
        "accounts": rows,
        "payable": payable,
        "clawback_outstanding": clawback,
        "commissions": totals,
    }


@router.post(
    "/billing/commissions/{commission_id}/release-early",
    response={200: CommissionOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def release_early(request: ApiRequest, commission_id: Id, body: ReleaseIn):
    """Staff: make a pending commission payable before the guarantee ends (the client
    has paid); clawed back if the placement then falls off."""
    access.staff_or_404(request.auth)
    commission = access.visible_commissions(request.auth).filter(pk=commission_id).first()
    if commission is None:
        raise Http404("Not found")
    return services.release_commission_early(
        commission=commission, reason=body.reason, by=request.auth
    )
