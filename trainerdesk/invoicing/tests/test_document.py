"""What the issued document says (VAT Directive Art. 226): number, dates, both parties
with their VAT ids, the service, taxable amount, rate, VAT, total and the mention; and a
credit note names the invoice it cancels."""

import datetime

import pytest
from django.utils import timezone

from trainerdesk.invoicing import services
from trainerdesk.lib.errors import ConflictError

pytestmark = pytest.mark.django_db


def test_art_226_content_of_a_reverse_charge_invoice(placement, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    html = services.render_invoice_html(invoice)
    for text in (
        invoice.number,
        f"Invoice date: {invoice.issue_date:%Y-%m-%d}",
        f"Date of supply: {invoice.supply_date:%Y-%m-%d}",
        "TrainerDesk Network GmbH", "1010 Wien", "VAT id: ATU12345675",
        "Northwind AI GmbH", "10115 Berlin", "Germany", "VAT id: DE136695976",
        "Placement fee: German NER annotator",
        "Taxable amount (net)", "6.240,00", "VAT 0 %", "Reverse charge", "Art. 196",
    ):  # fmt: skip
        assert text in html, text


def test_austrian_vat_document_and_credit_note(membership, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    html = services.render_invoice_html(invoice)
    assert "VAT 20 %" in html and "35,40" in html and "212,40" in html
    credit = services.issue_credit_note(invoice=invoice, reason="Billed twice", by=staff)
    html = services.render_invoice_html(credit)
    assert f"Credit note {credit.number}" in html
    assert f"cancels invoice {invoice.number}" in html and "Reason: Billed twice" in html
    assert "-€\xa0212,40" in html  # babel's de_AT negative amount
    assert "Payable within" not in html and "credited to your account" in html


def test_a_placement_not_yet_started_is_not_invoiced_before_its_start(
    client_company, member, candidate, staff
):
    from trainerdesk.invoicing.tests.conftest import make_placement

    start = timezone.localdate() + datetime.timedelta(days=20)
    placement = make_placement(
        client_company, member, candidate, status="pending_start", started_on=None,
        start_date=start,
    )  # fmt: skip
    draft = services.draft_placement_invoice(placement=placement, by=staff)
    with pytest.raises(ConflictError, match="supply date .* is in the future"):
        services.issue_invoice(invoice=draft, by=staff)
    assert draft.number == ""


def test_membership_invoice_prints_the_members_postal_address(membership, staff):
    # Art. 226 (5): the customer's full address, snapshotted when drafted.
    m = membership.member
    m.street, m.postal_code, m.city = "Mariahilfer Straße 1/4", "1060", "Wien"
    m.save()
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    assert invoice.customer_address == "Mariahilfer Straße 1/4\n1060 Wien\nAustria"
    html = services.render_invoice_html(invoice)
    assert "Mariahilfer Straße 1/4" in html and "1060 Wien" in html
    m.street = "Elsewhere 9"
    m.save()
    invoice.refresh_from_db()
    assert "Mariahilfer" in invoice.customer_address  # the issued document does not move
