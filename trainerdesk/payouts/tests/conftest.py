"""Payout fixtures on top of the root personas: placements made with the ORM (the
pipeline has its own tests), commissions moved through billing's services, bank accounts
through ours, and a fake rail for the attempt tests."""

from __future__ import annotations

import datetime
import itertools
import threading
from collections import Counter

import pytest
from django.utils import timezone

from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401
from trainerdesk.payouts import rails

_seq = itertools.count(1)

MEMBER_IBAN = "DE89370400440532013000"
OTHER_IBAN = "AT551200000000654321"


def make_placement(member_user, client, *, member_cents=75000, currency="EUR", ended=True):
    """A placement for the member of `member_user`; its guarantee ended yesterday unless
    `ended` is false (then it runs 80 more days)."""
    from trainerdesk.network.models import Candidate, Opening
    from trainerdesk.placements.models import FairPlayPolicy, Offer, Placement, Submission

    n = next(_seq)
    today = timezone.localdate()
    fee = member_cents * 2
    opening = Opening.objects.create(
        client=client, title=f"Rater {n}", task_type="sentiment", domain="reviews",
        contract_type="freelance", hours_per_week=10, pay_cents=2500, pay_currency=currency,
        pay_unit="hour", fee_type="flat", fee_flat_cents=fee, fee_currency=currency,
        status="open",
    )  # fmt: skip
    candidate = Candidate.objects.create(full_name=f"Candidate {n}")
    submission = Submission.objects.create(
        candidate=candidate, opening=opening, member=member_user.network_member,
        policy=FairPlayPolicy.objects.order_by("-version").first(), stage="placed",
    )  # fmt: skip
    start = today - datetime.timedelta(days=100)
    offer = Offer.objects.create(
        submission=submission, pay_cents=2500, currency=currency, unit="hour",
        hours_per_week=10, start_date=start, status="accepted",
    )  # fmt: skip
    ends = today - datetime.timedelta(days=1) if ended else today + datetime.timedelta(days=80)
    return Placement.objects.create(
        submission=submission, offer=offer, client=client, member=member_user.network_member,
        fee_type="flat", fee_cents=fee, currency=currency, commission_basis_points=5000,
        member_commission_cents=member_cents, platform_cents=fee - member_cents,
        start_date=start, started_on=start, guarantee_days=90, guarantee_ends_on=ends,
        status="in_guarantee",
    )  # fmt: skip


def commission(member_user, client, *, cents=75000, paid=True, ended=True, currency="EUR"):
    """A commission through billing: opened, the client's payment recorded when `paid`,
    and swept (payable when paid and the guarantee ended)."""
    from trainerdesk.billing.services import commissions as billing

    placement = make_placement(
        member_user, client, member_cents=cents, ended=ended, currency=currency
    )
    row = billing.open_commission(placement=placement, by=None)
    today = timezone.localdate()
    if paid:
        billing.record_client_paid(placement=placement, on=today, by=None)
    billing.sweep_commissions(today=today, by=None)
    row.refresh_from_db()
    return row


def bank_account(member_user, *, iban=MEMBER_IBAN, verified=True, by=None):
    from trainerdesk.payouts import services

    account = services.set_bank_account(
        member=member_user.network_member,
        holder_name=member_user.network_member.display_name,
        iban=iban,
        by=by,
    )
    if verified:
        account = services.verify_bank_account(account=account, by=by)
    return account


class FakeRail:
    """A rail with an API (as a PSP's would be): answers `paid` at once, or raises what a
    test asks for. Counts the sends per EndToEndId (thread-safe), which is what "never
    pays twice" is measured by."""

    name = "fake"
    currencies = ("EUR",)
    sends: Counter = Counter()
    lock = threading.Lock()
    mode = "paid"

    def send(self, *, reference, transfers, created_at, execution_date):
        with FakeRail.lock:
            for t in transfers:
                FakeRail.sends[t.end_to_end_id] += 1
        if FakeRail.mode == "timeout":
            raise rails.RailTimeout("no answer in 30 s")
        if FakeRail.mode == "rejected":
            raise rails.RailRejected("account blocked")
        status = rails.PAID if FakeRail.mode == "paid" else rails.ACCEPTED
        return rails.Dispatch(
            outcomes={t.end_to_end_id: rails.RailOutcome(status) for t in transfers}
        )


@pytest.fixture
def fake_rail(settings):
    settings.PAYOUT_RAIL = "trainerdesk.payouts.tests.conftest.FakeRail"
    FakeRail.sends = Counter()
    FakeRail.mode = "paid"
    return FakeRail


@pytest.fixture
def payable(member, client_company):
    """Two payable commissions of `member` (750.00 and 123.45 EUR) and a verified account."""
    bank_account(member)
    return [
        commission(member, client_company, cents=75000),
        commission(member, client_company, cents=12345),
    ]
