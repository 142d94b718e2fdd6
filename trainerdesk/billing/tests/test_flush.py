"""The test suite's flush between transactional tests empties the ledger on SQLite (whose
DELETE triggers refuse it otherwise; lib/pytest_env.py lifts them for the flush only)
and the triggers are back afterwards."""

import pytest
from django.db import IntegrityError, connection, transaction

from trainerdesk.billing import services
from trainerdesk.billing.models import Leg


@pytest.mark.django_db(transaction=True)
def test_a_posted_ledger_survives_into_the_flush():
    cash = services.account_for("cash", currency="EUR")
    rev = services.account_for("platform_revenue", currency="EUR")
    services.post_transaction(kind="t", legs=[(cash, 1), (rev, -1)], source_key="f", by=None)
    assert Leg.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_after_the_flush_the_rules_still_hold():
    assert not Leg.objects.exists()
    cash = services.account_for("cash", currency="EUR")
    rev = services.account_for("platform_revenue", currency="EUR")
    services.post_transaction(kind="t", legs=[(cash, 1), (rev, -1)], source_key="g", by=None)
    with (
        pytest.raises(IntegrityError, match="ledger"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM billing_leg")
