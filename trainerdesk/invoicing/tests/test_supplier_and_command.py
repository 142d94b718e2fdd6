"""The supplier's details come from settings and are checked; the daily reminder
command runs the sweep."""

import datetime
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from trainerdesk.invoicing.models import RenewalReminder
from trainerdesk.invoicing.supplier import supplier


def test_default_supplier_is_austrian_with_a_valid_vat_id():
    me = supplier()
    assert me.country == "AT" and me.vat_id == "ATU12345675"
    assert "1010 Wien" in me.address and me.address.endswith("Austria")


def test_supplier_from_settings(settings):
    settings.INVOICE_SUPPLIER = {**settings.INVOICE_SUPPLIER, "name": "Platform GmbH"}
    assert supplier().name == "Platform GmbH"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"vat_id": "ATU12345676"}, "TRAINERDESK_SUPPLIER_VAT_ID"),
        ({"vat_id": "DE136695976"}, "TRAINERDESK_SUPPLIER_VAT_ID"),
        ({"name": " "}, "TRAINERDESK_SUPPLIER_NAME"),
        ({"country": "DE"}, "established in AT"),
    ],
)
def test_bad_supplier_settings_fail_loudly(settings, change, words):
    settings.INVOICE_SUPPLIER = {**settings.INVOICE_SUPPLIER, **change}
    with pytest.raises(ImproperlyConfigured, match=words):
        supplier()


@pytest.mark.django_db
def test_reminder_command_is_idempotent(member):
    period = member.network_member.memberships.get()
    period.period_end = timezone.localdate() + datetime.timedelta(days=3)
    period.save()
    out = io.StringIO()
    call_command("invoicing_reminders", stdout=out)
    call_command("invoicing_reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "invoicing reminders: 1 sent",
        "invoicing reminders: 0 sent",
    ]
    assert RenewalReminder.objects.count() == 1
