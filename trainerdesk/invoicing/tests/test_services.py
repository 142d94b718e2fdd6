"""Drafting, issuing, immutability, payments and credit notes through the services."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.invoicing import services
from trainerdesk.invoicing.models import Invoice, InvoiceLine, InvoiceSeries, Payment
from trainerdesk.invoicing.tests.conftest import make_placement, pending_membership
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.pdf import sha256_hex

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_placement_invoice_is_reverse_charged_to_a_german_client(placement, staff):
    invoice = services.draft_placement_invoice(placement=placement, by=staff)
    assert invoice.status == "draft" and invoice.number == "" and invoice.sequence is None
    assert invoice.net_cents == placement.fee_cents == 624000
    assert (invoice.vat_rate_basis_points, invoice.vat_cents) == (0, 0)
    assert invoice.gross_cents == 624000
    assert invoice.vat_treatment == "reverse_charge"
    assert "Reverse charge" in invoice.vat_mention
    assert invoice.customer_vat_id == "DE136695976" and invoice.customer_country == "DE"
    assert invoice.customer_name == "Northwind AI GmbH"
    assert "10115 Berlin" in invoice.customer_address
    assert invoice.supplier_vat_id.startswith("ATU") and "Wien" in invoice.supplier_address
    assert invoice.vies_checked is False
    assert invoice.client_id == placement.client_id and invoice.placement_id == placement.pk
    assert invoice.lines.get().net_cents == 624000
    assert actions()[-1] == "invoicing.invoice.draft"


def test_austrian_client_pays_austrian_vat(placement, client_company, staff):
    client_company.country, client_company.vat_id = "AT", "ATU12345675"
    client_company.save()
    invoice = services.draft_placement_invoice(placement=placement, by=staff)
    assert invoice.vat_treatment == "austrian_vat"
    assert (invoice.vat_rate_basis_points, invoice.vat_cents) == (2000, 124800)
    assert invoice.gross_cents == 748800


def test_client_with_bad_vat_checksum_is_refused_naming_the_field(placement, client_company, staff):
    client_company.vat_id = "DE136695977"
    client_company.save()
    with pytest.raises(InvalidInput, match="^client vat_id: .*checksum"):
        services.draft_placement_invoice(placement=placement, by=staff)
    assert not Invoice.objects.exists()


def test_amount_that_does_not_match_the_fee_terms_is_refused(placement, staff):
    with pytest.raises(InvalidInput, match="net_cents: .* does not match the placement's fee"):
        services.draft_placement_invoice(placement=placement, net_cents=600000, by=staff)
    placement.fee_cents = 600000  # stored fee disagrees with its own terms
    placement.member_commission_cents = placement.platform_cents = 300000
    placement.save()
    with pytest.raises(InvalidInput, match="fee_cents: placement .* records"):
        services.draft_placement_invoice(placement=placement, by=staff)
    assert not Invoice.objects.exists()


def test_flat_fee_and_one_live_invoice_per_placement(client_company, member, candidate, staff):
    placement = make_placement(client_company, member, candidate, fee_type="flat")
    invoice = services.draft_placement_invoice(placement=placement, by=staff)
    assert invoice.net_cents == 150000
    with pytest.raises(ConflictError, match="already has an invoice"):
        services.draft_placement_invoice(placement=placement, by=staff)


def test_only_staff_write_invoices(placement, member, client_user):
    for user in (member, client_user, None):
        with pytest.raises(ConflictError, match="staff"):
            services.draft_placement_invoice(placement=placement, by=user)


def test_membership_invoice_for_an_austrian_private_member(membership, staff):
    invoice = services.draft_membership_invoice(membership=membership, by=staff)
    assert invoice.kind == "membership" and invoice.member_id == membership.member_id
    assert (invoice.net_cents, invoice.vat_cents, invoice.gross_cents) == (17700, 3540, 21240)
    assert invoice.vat_treatment == "austrian_vat"
    assert invoice.customer_name == "Mira Member"


def test_membership_invoice_for_a_registered_member_elsewhere_is_reverse_charged(member, staff):
    profile = member.network_member
    profile.country, profile.vat_status, profile.vat_id = "FR", "registered", "FR40303265045"
    profile.save()
    invoice = services.draft_membership_invoice(membership=pending_membership(member), by=staff)
    assert invoice.vat_treatment == "reverse_charge" and invoice.gross_cents == 17700


def test_active_membership_is_not_invoiced(member, staff):
    with pytest.raises(ConflictError, match="only a period waiting for payment"):
        services.draft_membership_invoice(
            membership=member.network_member.memberships.get(), by=staff
        )


def test_issue_numbers_renders_and_stores_the_hash(placement, staff):
    draft = services.draft_placement_invoice(placement=placement, by=staff)
    invoice = services.issue_invoice(invoice=draft, by=staff)
    year = TODAY().year
    assert invoice.number == f"PF-{year}-000001" and invoice.sequence == 1
    assert invoice.status == "issued" and invoice.issue_date == TODAY()
    stored = Invoice.objects.get(pk=invoice.pk)
    pdf = bytes(stored.pdf)
    assert pdf.startswith(b"%PDF") and stored.pdf_sha256 == sha256_hex(pdf)
    assert InvoiceSeries.objects.get(code=f"placement_fee-{year}").next_number == 2
    assert "invoicing.invoice.issue" in actions()
    event = AuditEvent.objects.filter(action="invoicing.invoice.issue").get()
    assert event.changes["sha256"] == stored.pdf_sha256


def test_issuing_twice_is_a_clear_error(placement, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    with pytest.raises(ConflictError, match=f"invoice {invoice.number}: already issued"):
        services.issue_invoice(invoice=invoice, by=staff)
    assert InvoiceSeries.objects.get().next_number == 2


def test_same_invoice_always_renders_the_same_bytes(placement, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    stored = Invoice.objects.get(pk=invoice.pk)
    again = [services.render_invoice_pdf(stored) for _ in range(3)]
    assert {sha256_hex(pdf) for pdf in again} == {stored.pdf_sha256}


def test_series_per_kind_and_no_number_for_drafts(placement, membership, staff):
    fee = services.draft_placement_invoice(placement=placement, by=staff)
    dues = services.draft_membership_invoice(membership=membership, by=staff)
    assert not InvoiceSeries.objects.exists()
    services.issue_invoice(invoice=dues, by=staff)
    services.issue_invoice(invoice=fee, by=staff)
    year = TODAY().year
    numbers = set(Invoice.objects.values_list("number", flat=True))
    assert numbers == {f"MB-{year}-000001", f"PF-{year}-000001"}


# -- immutability ---------------------------------------------------------------------


@pytest.fixture
def issued(placement, staff):
    draft = services.draft_placement_invoice(placement=placement, by=staff)
    return services.issue_invoice(invoice=draft, by=staff)


def test_service_refuses_to_edit_an_issued_invoice(issued, staff):
    with pytest.raises(ConflictError, match="cannot be changed; correct it with a credit note"):
        services.update_draft(invoice=issued, supply_date=datetime.date(2026, 1, 1), by=staff)


def test_draft_can_be_edited(placement, staff):
    draft = services.draft_placement_invoice(placement=placement, by=staff)
    day = TODAY() - datetime.timedelta(days=3)
    services.update_draft(invoice=draft, supply_date=day, by=staff)
    assert Invoice.objects.get(pk=draft.pk).supply_date == day
    assert actions()[-1] == "invoicing.invoice.update"


@pytest.mark.parametrize(
    "change",
    [
        {"net_cents": 1, "gross_cents": 1},
        {"customer_name": "Someone else"},
        {"number": "PF-1999-000001"},
        {"pdf_sha256": "0" * 64},
        {"status": "draft", "series": None, "sequence": None},
    ],
)
def test_database_refuses_to_change_an_issued_invoice(issued, change):
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        Invoice.objects.filter(pk=issued.pk).update(**change)


def test_database_refuses_lines_on_an_issued_invoice(issued):
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        InvoiceLine.objects.filter(invoice=issued).update(description="changed")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=issued, position=9, description="extra", unit_cents=1, net_cents=1
        )


def test_database_lets_the_status_move_on(issued):
    Invoice.objects.filter(pk=issued.pk).update(status="paid")
    assert Invoice.objects.get(pk=issued.pk).status == "paid"


# -- payments ------------------------------------------------------------------------


def test_paying_a_placement_invoice_in_parts(issued, staff, monkeypatch):
    told = []
    monkeypatch.setattr(
        services.payments.postings,
        "payment_received",
        lambda **kw: told.append((kw["payment"].amount_cents, kw["fully_paid"])),
    )
    services.record_payment(invoice=issued, amount_cents=600000, paid_on=TODAY(), by=staff)
    assert Invoice.objects.get(pk=issued.pk).status == "issued"
    with pytest.raises(InvalidInput, match="amount_cents: .* more than the .* still open"):
        services.record_payment(invoice=issued, amount_cents=24001, paid_on=TODAY(), by=staff)
    services.record_payment(invoice=issued, amount_cents=24000, paid_on=TODAY(), by=staff)
    assert Invoice.objects.get(pk=issued.pk).status == "paid"
    assert told == [(600000, False), (24000, True)]
    assert services.paid_cents(issued) == issued.gross_cents
    with pytest.raises(ConflictError, match="only an issued, unpaid invoice"):
        services.record_payment(invoice=issued, amount_cents=1, paid_on=TODAY(), by=staff)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount_cents": 0}, "amount_cents: a payment must be more than zero"),
        ({"amount_cents": 1.5}, "amount_cents: must be a whole number of cents"),
        ({"amount_cents": True}, "amount_cents: must be a whole number of cents"),
        ({"paid_on": "2026-01-01"}, "paid_on: must be a date"),
        ({"paid_on": datetime.date(2999, 1, 1)}, "paid_on: a payment date in the future"),
        ({"paid_on": datetime.date(2000, 1, 1)}, "paid_on: before the invoice was issued"),
        ({"currency": "USD"}, "currency: the invoice is in EUR"),
    ],
)
def test_bad_payments_are_refused(issued, staff, kwargs, message):
    args = {"invoice": issued, "amount_cents": 100, "paid_on": TODAY(), "by": staff, **kwargs}
    with pytest.raises(InvalidInput, match=message):
        services.record_payment(**args)
    assert not Payment.objects.exists()


def test_a_draft_takes_no_payment(placement, staff):
    draft = services.draft_placement_invoice(placement=placement, by=staff)
    with pytest.raises(ConflictError, match="only an issued"):
        services.record_payment(invoice=draft, amount_cents=1, paid_on=TODAY(), by=staff)


def test_paying_a_membership_invoice_activates_the_membership(member, membership, staff):
    from trainerdesk.network.services import member_can_submit

    old = member.network_member.memberships.exclude(pk=membership.pk).get()
    old.status = "expired"  # a lapsed member...
    old.save()
    assert not member_can_submit(member.network_member)
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    services.record_payment(invoice=invoice, amount_cents=21240, paid_on=TODAY(), by=staff)
    membership.refresh_from_db()
    assert membership.status == "active" and membership.period_start == TODAY()
    assert member_can_submit(member.network_member)  # ...can submit again
    assert "network.membership.activate" in actions()
    assert actions()[-1] == "network.membership.activate"


# -- credit notes --------------------------------------------------------------------


def test_credit_note_mirrors_and_cancels_the_invoice(issued, staff):
    credit = services.issue_credit_note(invoice=issued, reason="Candidate left in week 2", by=staff)
    issued.refresh_from_db()
    assert issued.status == "credited"
    assert credit.kind == "credit_note" and credit.credit_note_for_id == issued.pk
    assert credit.number == f"CN-{TODAY().year}-000001"
    assert (credit.net_cents, credit.vat_cents, credit.gross_cents) == (
        -issued.net_cents, -issued.vat_cents, -issued.gross_cents,
    )  # fmt: skip
    assert credit.vat_treatment == issued.vat_treatment and credit.reason
    assert credit.pdf_sha256 and credit.customer_vat_id == issued.customer_vat_id
    assert "invoicing.credit_note.issue" in actions()
    with pytest.raises(ConflictError, match="already credited"):
        services.issue_credit_note(invoice=issued, reason="again", by=staff)
    with pytest.raises(ConflictError, match="not credited again"):
        services.issue_credit_note(invoice=credit, reason="again", by=staff)


def test_credit_note_at_austrian_vat_negates_the_vat_exactly(membership, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    credit = services.issue_credit_note(invoice=invoice, reason="Billed twice", by=staff)
    assert (credit.vat_cents, credit.gross_cents) == (-3540, -21240)
    # Credited, the period can be invoiced again.
    again = services.draft_membership_invoice(membership=membership, by=staff)
    assert again.status == "draft"


def test_credit_note_needs_a_reason_and_an_issued_invoice(placement, issued, staff):
    with pytest.raises(InvalidInput, match="reason"):
        services.issue_credit_note(invoice=issued, reason="  ", by=staff)
    other = make_placement(
        issued.client, placement.member.user, placement.submission.candidate.user
    )
    draft = services.draft_placement_invoice(placement=other, by=staff)
    with pytest.raises(ConflictError, match="not issued"):
        services.issue_credit_note(invoice=draft, reason="x", by=staff)


def test_paid_invoice_can_be_credited(issued, staff):
    full = issued.gross_cents
    services.record_payment(invoice=issued, amount_cents=full, paid_on=TODAY(), by=staff)
    services.issue_credit_note(invoice=issued, reason="Refund: fell off in guarantee", by=staff)
    assert Invoice.objects.get(pk=issued.pk).status == "credited"


# -- VIES confirmation and reminders -------------------------------------------------


def test_staff_confirm_a_vies_check_without_touching_the_invoice(issued, staff):
    check = services.confirm_vat_id(invoice=issued, valid=True, reference="WAPIAAAAX", by=staff)
    assert check.vat_id == "DE136695976" and check.confirmed_by == staff
    assert Invoice.objects.get(pk=issued.pk).vies_checked is False  # the document as issued
    assert actions()[-1] == "invoicing.vat.confirm"


def test_vies_confirmation_needs_a_vat_id(membership, staff):
    invoice = services.draft_membership_invoice(membership=membership, by=staff)
    with pytest.raises(ConflictError, match="no VAT id"):
        services.confirm_vat_id(invoice=invoice, valid=True, by=staff)


def test_renewal_reminders_invoice_due_members_once(member, other_member):
    due = member.network_member.memberships.get()
    due.period_end = TODAY() + datetime.timedelta(days=10)
    due.save()
    sent = services.send_renewal_reminders(today=TODAY())
    assert [r.member_id for r in sent] == [member.network_member.pk]
    invoice = sent[0].invoice
    assert invoice.kind == "membership" and invoice.status == "draft"
    assert invoice.membership.status == "pending"
    assert services.send_renewal_reminders(today=TODAY()) == []
    event = AuditEvent.objects.filter(action="invoicing.reminder.send").get()
    assert event.actor_system == "task:invoicing_reminders"
