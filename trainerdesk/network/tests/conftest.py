"""Helpers for the network's tests; the personas are in the root conftest.py."""

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib.browser_fixtures import browser_page  # noqa: F401


@pytest.fixture
def events():
    """events() -> the actions recorded since the fixture was created, in order."""
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def since():
        rows = AuditEvent.objects.filter(pk__gt=start).exclude(action="accounts.user.login")
        return list(rows.order_by("pk").values_list("action", flat=True))

    return since


@pytest.fixture
def api(client):
    """api(user, method, url, body=None) -> response, as that user (None: anonymous)."""

    def call(user, method, url, body=None):
        client.logout()
        if user is not None:
            client.force_login(user)
        if method == "get":
            return client.get(url, body or {})
        return getattr(client, method)(url, body or {}, content_type="application/json")

    return call


@pytest.fixture
def outsider_user(db):
    from trainerdesk.accounts.services import create_user

    return create_user(username="nobody", password="x", check_password=False)


@pytest.fixture
def opening(client_company, client_user):
    from trainerdesk.network import services

    return services.create_opening(
        client=client_company,
        values={
            "title": "News topics",
            "task_type": "text_classification",
            "domain": "news",
            "contract_type": "freelance",
            "hours_per_week": 20,
            "pay_cents": 3000,
            "fee_type": "percent",
            "fee_basis_points": 2000,
        },
        requirements=[
            {"kind": "language", "language": "en", "level": "C1"},
            {"kind": "accuracy", "threshold": 0.8},
        ],
        by=client_user,
    )


@pytest.fixture
def other_client(db):
    from trainerdesk.accounts.services import create_user
    from trainerdesk.network.models import Client, ClientContact

    company = Client.objects.create(name="Globex", country="AT", status="approved")
    user = create_user(username="globex", password="x", check_password=False)
    ClientContact.objects.create(client=company, user=user)
    return company
