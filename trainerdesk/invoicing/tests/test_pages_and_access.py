"""Invoice pages over HTTP: staff draft, issue, take payments and credit; a client's
contacts see only their client's invoices, a member only their own membership invoices;
anyone else (and any draft, for non-staff) is a 404."""

import pytest
from django.utils import timezone

from conftest import _user
from trainerdesk.invoicing import services
from trainerdesk.invoicing.models import Invoice
from trainerdesk.invoicing.tests.conftest import make_placement, pending_membership
from trainerdesk.lib.pdf import sha256_hex

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(placement, membership, member, other_member, staff, client_company):
    """An issued placement invoice (client_company), an issued membership invoice
    (member), one of other_member's, and a draft for the client."""
    fee = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    dues = services.issue_invoice(
        invoice=services.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    others = services.issue_invoice(
        invoice=services.draft_membership_invoice(
            membership=pending_membership(other_member), by=staff
        ),
        by=staff,
    )
    draft = services.draft_placement_invoice(
        placement=make_placement(client_company, member, placement.submission.candidate.user),
        by=staff,
    )
    return {"fee": fee, "dues": dues, "others": others, "draft": draft}


def _visible(client, user, book):
    client.force_login(user)
    return {
        name
        for name, invoice in book.items()
        if client.get(f"/invoices/{invoice.pk}/").status_code == 200
    }


def test_who_sees_which_invoice(client, book, staff, member, other_member, client_user, outsider):
    assert _visible(client, staff, book) == {"fee", "dues", "others", "draft"}
    assert _visible(client, client_user, book) == {"fee"}
    assert _visible(client, member, book) == {"dues"}
    assert _visible(client, other_member, book) == {"others"}
    assert _visible(client, outsider, book) == set()


def test_other_clients_contact_sees_nothing(client, book):
    from trainerdesk.network.models import Client, ClientContact

    other = Client.objects.create(name="Contoso", country="FR", status="approved")
    user = _user("contoso")
    ClientContact.objects.create(client=other, user=user)
    assert _visible(client, user, book) == set()
    client.force_login(user)
    assert client.get(f"/invoices/{book['fee'].pk}/pdf/").status_code == 404


def test_pdf_download_is_the_stored_document(client, book, client_user, member):
    client.force_login(client_user)
    response = client.get(f"/invoices/{book['fee'].pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert sha256_hex(response.content) == book["fee"].pdf_sha256
    assert book["fee"].number in response["Content-Disposition"]
    client.force_login(member)
    assert client.get(f"/invoices/{book['fee'].pk}/pdf/").status_code == 404


def test_my_invoices_lists_only_mine(client, book, member, client_user, outsider):
    client.force_login(member)
    page = client.get("/invoices/").content.decode()
    assert book["dues"].number in page and book["others"].number not in page
    assert book["fee"].number not in page
    client.force_login(client_user)
    page = client.get("/invoices/").content.decode()
    assert book["fee"].number in page and book["dues"].number not in page
    client.force_login(outsider)
    assert client.get("/invoices/").status_code == 404


@pytest.mark.parametrize("action", ["issue", "payment", "credit-note", "vies"])
def test_writes_are_staff_only(client, book, client_user, member, outsider, action):
    for user in (client_user, member, outsider):
        client.force_login(user)
        target = book["fee"] if action != "issue" else book["draft"]
        assert client.post(f"/invoices/{target.pk}/{action}/", {}).status_code == 404
    assert Invoice.objects.get(pk=book["draft"].pk).status == "draft"
    for user in (client_user, member):
        client.force_login(user)
        assert client.get("/invoices/staff/").status_code == 404
        assert client.post("/invoices/staff/draft/", {"membership": "1"}).status_code == 404


def test_staff_walk_draft_issue_pay_credit(client, staff, placement):
    client.force_login(staff)
    page = client.get("/invoices/staff/").content.decode()
    assert f'value="{placement.pk}"' in page
    response = client.post("/invoices/staff/draft/", {"placement": placement.pk, "net": "6000"})
    assert response.status_code == 302
    page = client.get("/invoices/staff/").content.decode()
    assert "does not match the placement&#x27;s fee terms" in page
    response = client.post("/invoices/staff/draft/", {"placement": placement.pk, "net": "6240"})
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/invoices/{invoice.pk}/"
    assert "no number yet" in client.get(response["Location"]).content.decode()

    client.post(f"/invoices/{invoice.pk}/issue/")
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.number
    client.post(f"/invoices/{invoice.pk}/issue/")
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "already issued" in page

    today = timezone.localdate().isoformat()
    client.post(f"/invoices/{invoice.pk}/payment/", {"amount": "abc", "paid_on": today})
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "amount: an amount like 177.00" in page
    client.post(f"/invoices/{invoice.pk}/payment/", {"amount": "6240.00", "paid_on": today})
    invoice.refresh_from_db()
    assert invoice.status == "paid"

    client.post(f"/invoices/{invoice.pk}/vies/", {"valid": "1", "reference": "WAPI1"})
    assert invoice.vat_checks.get().reference == "WAPI1"

    response = client.post(f"/invoices/{invoice.pk}/credit-note/", {"reason": "Fell off"})
    credit = Invoice.objects.get(kind="credit_note")
    assert response["Location"] == f"/invoices/{credit.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert invoice.number in page and "Reverse charge" in page


def test_membership_invoice_page_and_payment_activate(client, staff, membership):
    client.force_login(staff)
    client.post("/invoices/staff/draft/", {"membership": membership.pk})
    invoice = Invoice.objects.get()
    client.post(f"/invoices/{invoice.pk}/issue/")
    today = timezone.localdate().isoformat()
    client.post(f"/invoices/{invoice.pk}/payment/", {"amount": "212,40", "paid_on": today})
    membership.refresh_from_db()
    assert membership.status == "active"


def test_missing_ids_are_404(client, staff):
    client.force_login(staff)
    assert client.get("/invoices/999999/").status_code == 404
    assert client.get(f"/invoices/{2**63}/").status_code == 404
    assert client.post("/invoices/staff/draft/", {"placement": "999"}).status_code == 404


def test_network_nav_links_invoices(client, member):
    client.force_login(member)
    assert 'href="/invoices/"' in client.get("/network/").content.decode()
