"""Invoicing fixtures on top of the root personas: a started placement of `candidate`
(represented by `member`) at `client_company` (Germany, valid VAT id: reverse charge),
built with the ORM so a broken placements service does not fail these tests; a pending
membership period of `member`."""

import datetime

import pytest
from django.utils import timezone


def make_placement(client, member_user, candidate_user, *, fee_type="percent", **extra):
    from trainerdesk.network.models import Opening
    from trainerdesk.placements.models import FairPlayPolicy, Offer, Placement, Submission

    opening = Opening.objects.create(
        client=client, title="German NER annotator", task_type="ner", domain="news",
        contract_type="freelance", hours_per_week=20, pay_cents=3000, pay_currency="EUR",
        pay_unit="hour", fee_type=fee_type, fee_basis_points=2000, fee_flat_cents=150000,
        fee_currency="EUR", guarantee_days=90, status="filled",
    )  # fmt: skip
    submission = Submission.objects.create(
        candidate=candidate_user.candidate, opening=opening, member=member_user.network_member,
        policy=FairPlayPolicy.objects.get(version=1), stage="placed",
    )  # fmt: skip
    start = timezone.localdate() - datetime.timedelta(days=10)
    offer = Offer.objects.create(
        submission=submission, pay_cents=3000, currency="EUR", unit="hour", hours_per_week=20,
        start_date=start, status="accepted",
    )  # fmt: skip
    basis = 3000 * 20 * 52  # annualised first-year pay: 31,200.00
    fee = basis * 2000 // 10000 if fee_type == "percent" else 150000
    fields = {
        "submission": submission, "offer": offer, "client": client,
        "member": member_user.network_member, "fee_type": fee_type,
        "fee_basis_points": 2000 if fee_type == "percent" else None,
        "fee_basis_cents": basis if fee_type == "percent" else None,
        "fee_cents": fee, "currency": "EUR", "commission_basis_points": 5000,
        "member_commission_cents": fee // 2, "platform_cents": fee - fee // 2,
        "start_date": start, "guarantee_days": 90,
        "guarantee_ends_on": start + datetime.timedelta(days=90), "status": "in_guarantee",
        "started_on": start,
    }  # fmt: skip
    fields.update(extra)
    return Placement.objects.create(**fields)


@pytest.fixture
def placement(client_company, member, candidate):
    return make_placement(client_company, member, candidate)


def pending_membership(member_user):
    from trainerdesk.network.models import Membership, MembershipPlan

    plan = MembershipPlan.objects.get(code="standard")
    return Membership.objects.create(
        member=member_user.network_member, plan=plan, price_cents=plan.price_cents,
        currency=plan.currency,
    )  # fmt: skip


@pytest.fixture
def membership(member):
    return pending_membership(member)
