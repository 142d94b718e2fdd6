"""Placement fixtures on top of the root personas: an open role at `client_company` with
percent fee terms, `candidate`'s consent to be submitted there, and a second client."""

import datetime

import pytest
from django.utils import timezone

from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401


@pytest.fixture
def opening(client_company, staff):
    from trainerdesk.network.models import Opening, Requirement

    role = Opening.objects.create(
        client=client_company, title="German NER annotator", task_type="ner", domain="news",
        contract_type="freelance", hours_per_week=20, pay_cents=3000, pay_currency="EUR",
        pay_unit="hour", fee_type="percent", fee_basis_points=2000, fee_currency="EUR",
        guarantee_days=90, status="open", created_by=staff,
    )  # fmt: skip
    Requirement.objects.create(opening=role, kind="language", language="de", level="C1")
    Requirement.objects.create(
        opening=role, kind="accuracy", task_type="ner", domain="news", threshold=0.9
    )
    return role


def make_opening(client, **extra):
    from trainerdesk.network.models import Opening

    fields = {
        "client": client, "title": "Sentiment rater", "task_type": "sentiment",
        "domain": "reviews", "contract_type": "freelance", "hours_per_week": 10,
        "pay_cents": 2500, "pay_currency": "EUR", "pay_unit": "hour", "fee_type": "flat",
        "fee_flat_cents": 150000, "fee_currency": "EUR", "status": "open",
    }  # fmt: skip
    fields.update(extra)
    return Opening.objects.create(**fields)


@pytest.fixture
def other_client(db):
    from trainerdesk.network.models import Client

    return Client.objects.create(name="Contoso Data", country="FR", status="approved")


@pytest.fixture
def other_client_user(other_client):
    from conftest import _user
    from trainerdesk.network.models import ClientContact

    user = _user("othercontact")
    ClientContact.objects.create(client=other_client, user=user)
    return user


def grant_consent(candidate_user, client, by):
    from trainerdesk.network.models import Consent

    return Consent.objects.create(
        candidate=candidate_user.candidate, purpose="submit_to_client", client=client,
        method="member_recorded", recorded_by=by,
    )  # fmt: skip


def represent(member_user, candidate_user):
    from trainerdesk.network.models import Representation

    return Representation.objects.create(
        member=member_user.network_member, candidate=candidate_user.candidate
    )


@pytest.fixture
def consent(candidate, client_company, member):
    return grant_consent(candidate, client_company, member)


@pytest.fixture
def submit(member, candidate, opening):
    from trainerdesk.placements import services

    def do(*, who=None, person=None, role=None, stage="submitted", by=None):
        who = who or member
        return services.submit_candidate(
            candidate=(person or candidate).candidate, opening=role or opening,
            member=who.network_member, stage=stage, by=by or who,
        )  # fmt: skip

    return do


@pytest.fixture
def placed(submit, consent, client_user):
    """A submission moved to placed by the client, through an accepted offer."""
    from trainerdesk.placements import services

    def do(**kwargs):
        sub = submit(**kwargs)
        services.move_submission(submission=sub, to_stage="client_review", by=client_user)
        offer = services.make_offer(
            submission=sub, pay_cents=3000, currency="EUR", unit="hour",
            start_date=timezone.localdate() + datetime.timedelta(days=7), by=client_user,
        )  # fmt: skip
        services.answer_offer(offer=offer, accepted=True, by=client_user)
        services.move_submission(submission=sub, to_stage="placed", by=client_user)
        sub.refresh_from_db()
        return sub

    return do
