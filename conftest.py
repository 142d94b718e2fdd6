"""Shared test set-up: an isolated data directory and the personas every test uses.

Personas: `owner` owns the organization (so manages every project in it), `teammate`
is an annotator on the project, `outsider` belongs to another organization and must
never see any of it.
"""

import pytest

# The environment for tests (data directory, inline tasks) is set by the plugin
# trainerdesk.lib.pytest_env, loaded from pyproject's addopts before Django starts.


# Rows the migrations publish, and the functions that publish them.
_PUBLISHED = [
    ("trainerdesk.network.migrations.0002_default_plan", "add_plan"),
    ("trainerdesk.placements.migrations.0002_policy_version_1", "create_version_1"),
    ("trainerdesk.contracts.migrations.0002_default_templates", "add_templates"),
    ("trainerdesk.privacy.migrations.0002_seed_rules_and_records", "seed"),
]


@pytest.fixture(autouse=True)
def _published_rows(request):
    """The rows the migrations publish (the EUR 177 plan, fair-play policy version 1) as
    the migrations left them. A transactional test (live server, browser) empties every
    table when it ends, and with xdist a database test may run after one on the same
    worker; the product never runs without these rows, so neither do the tests."""
    if "_django_db_helper" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    import importlib

    from django.apps import apps

    for module, function in _PUBLISHED:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    # PBKDF2 at production strength costs ~0.3 s per login; tests log in a lot.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


PASSWORD = "correct-horse-battery-staple"


def _user(username):
    from trainerdesk.accounts.services import create_user

    return create_user(username=username, password=PASSWORD, email=f"{username}@example.org")


@pytest.fixture
def owner(db):
    return _user("owner")


@pytest.fixture
def teammate(db):
    return _user("teammate")


@pytest.fixture
def outsider(db):
    from trainerdesk.accounts.services import create_organization

    user = _user("outsider")
    create_organization(name="Other Org", owner=user)
    return user


@pytest.fixture
def org(owner, teammate):
    from trainerdesk.accounts.services import add_member, create_organization

    organization = create_organization(name="Acme Labs", owner=owner)
    add_member(organization=organization, user=teammate)
    return organization


TOPIC_SCHEMA = {
    "fields": [
        {
            "name": "topic",
            "type": "choice",
            "source": "text",
            "labels": [
                {"value": "business", "hotkey": "b"},
                {"value": "sport", "hotkey": "s"},
                {"value": "tech", "hotkey": "t"},
            ],
        }
    ]
}


@pytest.fixture
def project(org, owner, teammate):
    """A topic-classification project with three items; teammate annotates."""
    from trainerdesk.workbench import services

    project = services.create_project(
        organization=org,
        created_by=owner,
        name="News topics",
        label_schema=TOPIC_SCHEMA,
        instructions="Pick the main topic.",
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project,
        items=[
            {"text": "Shares rose sharply."},
            {"text": "A late goal won it."},
            {"text": "A new chip."},
        ],
        by=owner,
    )
    return project


@pytest.fixture
def client_for(client):
    """Log a persona in: client_for(owner) returns a logged-in Django test client."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- placement-network personas ------------------------------------------------------
# `staff` runs the platform (is_staff); `member` is an approved recruiter with an active
# membership who represents `candidate` (a person with their own login); `other_member`
# a second approved, active member; `client` is the login of a contact at an approved
# client company (`client_company`). Built with the ORM, not the services under test, so
# a broken service fails its own tests rather than every test that needs a persona.
# Except their contracts: a member's membership becomes active and a client's role opens
# only with a signed contract (contracts/gates.py), and those are made the proper way,
# through the contracts services (drafted by a system job, accepted by the party).


def _sign(*, member=None, client=None):
    """A signed contract for a member (member agreement, accepted by the member) or a
    client (framework agreement, accepted by its first contact)."""
    from trainerdesk.contracts.services import sign_on_behalf

    if member is not None:
        return sign_on_behalf(
            kind="member_agreement", member=member, signer=member.user,
            user_agent="pytest persona", by=None,
        )  # fmt: skip
    contact = client.contacts.order_by("-is_primary", "id").first()
    return sign_on_behalf(
        kind="client_framework", client=client, signer=contact.user,
        user_agent="pytest persona", by=None,
    )  # fmt: skip


@pytest.fixture
def sign_contract(db):
    """sign_contract(member=...) or sign_contract(client=...): the signed contract the
    network's gates ask for, for a member or client a test made itself."""
    return _sign


@pytest.fixture
def staff(db):
    user = _user("staff")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def _member(username, name):
    import datetime

    from django.utils import timezone

    from trainerdesk.network.models import Member, Membership, MembershipPlan

    user = _user(username)
    member = Member.objects.create(
        user=user, display_name=name, country="AT", vat_status="not_registered",
        status="approved", decided_at=timezone.now(),
    )  # fmt: skip
    plan = MembershipPlan.objects.get(code="standard")
    today = timezone.localdate()
    Membership.objects.create(
        member=member, plan=plan, price_cents=plan.price_cents, currency=plan.currency,
        status="active", period_start=today,
        period_end=today + datetime.timedelta(days=365), activated_at=timezone.now(),
    )  # fmt: skip
    _sign(member=member)
    return user


@pytest.fixture
def member(db):
    return _member("member", "Mira Member")


@pytest.fixture
def other_member(db):
    return _member("othermember", "Otto Other")


@pytest.fixture
def client_company(db):
    from django.utils import timezone

    from trainerdesk.network.models import Client

    return Client.objects.create(
        name="Northwind AI", legal_name="Northwind AI GmbH", country="DE",
        vat_id="DE136695976", street="Hauptstr. 1", postal_code="10115", city="Berlin",
        billing_email="billing@northwind.example", status="approved",
        decided_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def client_user(client_company):
    from trainerdesk.network.models import ClientContact

    user = _user("clientcontact")
    ClientContact.objects.create(client=client_company, user=user, is_primary=True)
    _sign(client=client_company)
    return user


@pytest.fixture
def candidate(member):
    from trainerdesk.network.models import Candidate, CandidateLanguage, Representation

    user = _user("candidate")
    person = Candidate.objects.create(
        user=user, full_name="Cara Candidate", email="candidate@example.org", country="AT",
        work_authorisation=["EU"], domains=["news"], tools=["Label Studio", "Python"],
        hours_per_week=20, rate_cents=3500, rate_currency="EUR", created_by=member,
    )  # fmt: skip
    CandidateLanguage.objects.create(candidate=person, code="de", level="native")
    CandidateLanguage.objects.create(candidate=person, code="en", level="C1")
    Representation.objects.create(member=member.network_member, candidate=person)
    return user
