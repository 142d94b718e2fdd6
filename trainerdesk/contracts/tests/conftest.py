"""Fixtures for the contracts tests; the personas are in the root conftest.py (`member`,
`other_member` and `client_user`'s company already hold signed contracts)."""

import pytest

from trainerdesk.accounts.models import AuditEvent


@pytest.fixture
def events():
    """events() -> the actions recorded since the fixture was created, in order."""
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def since():
        rows = AuditEvent.objects.filter(pk__gt=start).exclude(action="accounts.user.login")
        return list(rows.order_by("pk").values_list("action", flat=True))

    return since


@pytest.fixture
def applicant(db, staff):
    """An approved member whose first period waits for payment, with no contract yet."""
    from trainerdesk.accounts.services import create_user
    from trainerdesk.network import services

    user = create_user(username="applicant", password="x", check_password=False)
    member = services.apply_for_membership(
        user=user, display_name="Ann <Applicant>", country="AT", vat_status="not_registered",
        by=user,
    )  # fmt: skip
    return services.decide_member(member=member, approve=True, by=staff)


@pytest.fixture
def newclient(db):
    """An approved client with one contact and no contract, and a role approved by staff."""
    from trainerdesk.accounts.services import create_user
    from trainerdesk.network.models import Client, ClientContact

    company = Client.objects.create(
        name="Initech", legal_name="Initech *Holdings* GmbH", country="AT", street="Ring 1",
        postal_code="1010", city="Wien", status="approved",
    )  # fmt: skip
    user = create_user(username="initech", password="x", check_password=False)
    ClientContact.objects.create(client=company, user=user, is_primary=True)
    return company


@pytest.fixture
def role(newclient, staff):
    from trainerdesk.network import services

    opening = services.create_opening(
        client=newclient,
        values={
            "title": "Medical NER annotator", "task_type": "ner", "domain": "general",
            "contract_type": "freelance", "hours_per_week": 20, "pay_cents": 4000,
            "fee_type": "percent", "fee_basis_points": 2000, "guarantee_days": 90,
        },
        by=staff,
    )  # fmt: skip
    return services.transition_opening(opening=opening, to="approved", by=staff)


@pytest.fixture
def sent(member, staff):
    """A member agreement for `member`, sent and waiting for their signature."""
    from trainerdesk.contracts import services

    contract = services.draft_contract(
        kind="member_agreement", member=member.network_member, by=staff
    )
    return services.send_contract(contract=contract, by=staff)
