"""Billing fixtures on top of the root personas: placements made straight with the ORM
(the pipeline's own services are tested in placements; here only the fee, split, dates
and status matter) and a logged-in staff client."""

import datetime
import itertools

import pytest
from django.utils import timezone

_seq = itertools.count(1)


def make_placement(
    member_user,
    client,
    *,
    fee_cents=150000,
    member_cents=None,
    currency="EUR",
    guarantee_ends_on=None,
    status="in_guarantee",
):
    """A placement of a fresh candidate at a fresh role of `client` for the member of
    `member_user`, with the fee split 50/50 by largest remainder unless given."""
    from trainerdesk.lib.money import split_largest_remainder
    from trainerdesk.network.models import Candidate, Opening
    from trainerdesk.placements.models import FairPlayPolicy, Offer, Placement, Submission

    n = next(_seq)
    today = timezone.localdate()
    if member_cents is None:
        member_cents, _ = split_largest_remainder(fee_cents, [1, 1])
    opening = Opening.objects.create(
        client=client, title=f"Rater {n}", task_type="sentiment", domain="reviews",
        contract_type="freelance", hours_per_week=10, pay_cents=2500, pay_currency=currency,
        pay_unit="hour", fee_type="flat", fee_flat_cents=fee_cents, fee_currency=currency,
        status="open",
    )  # fmt: skip
    candidate = Candidate.objects.create(full_name=f"Candidate {n}")
    submission = Submission.objects.create(
        candidate=candidate, opening=opening, member=member_user.network_member,
        policy=FairPlayPolicy.objects.order_by("-version").first(), stage="placed",
    )  # fmt: skip
    start = today - datetime.timedelta(days=10)
    offer = Offer.objects.create(
        submission=submission, pay_cents=2500, currency=currency, unit="hour",
        hours_per_week=10, start_date=start, status="accepted",
    )  # fmt: skip
    return Placement.objects.create(
        submission=submission, offer=offer, client=client, member=member_user.network_member,
        fee_type="flat", fee_cents=fee_cents, currency=currency, commission_basis_points=5000,
        member_commission_cents=member_cents, platform_cents=fee_cents - member_cents,
        start_date=start, started_on=start, guarantee_days=90,
        guarantee_ends_on=guarantee_ends_on or today + datetime.timedelta(days=80),
        status=status,
    )  # fmt: skip


@pytest.fixture
def placement(member, client_company):
    return make_placement(member, client_company)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
