"""The invoicing API: staff write, everyone reads only what access.py lets them see,
refusals are 400/404/409 with the service's message."""

import pytest
from django.utils import timezone

from trainerdesk.invoicing.tests.conftest import pending_membership

pytestmark = pytest.mark.django_db
BASE = "/api/v1/invoicing"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_staff_invoice_lifecycle_over_the_api(client, staff, placement, client_user, member):
    client.force_login(staff)
    response = post(client, f"{BASE}/placements/{placement.pk}/invoice", {"net_cents": 1})
    assert response.status_code == 400 and "net_cents" in response.json()["message"]
    draft = post(client, f"{BASE}/placements/{placement.pk}/invoice").json()
    assert draft["number"] == "" and draft["vat_treatment"] == "reverse_charge"
    assert draft["lines"][0]["net_cents"] == 624000
    issued = post(client, f"{BASE}/invoices/{draft['id']}/issue").json()
    assert issued["number"].startswith("PF-") and len(issued["pdf_sha256"]) == 64
    again = post(client, f"{BASE}/invoices/{draft['id']}/issue")
    assert again.status_code == 409 and "already issued" in again.json()["message"]
    today = timezone.localdate().isoformat()
    body = {"amount_cents": 624001, "paid_on": today}
    assert post(client, f"{BASE}/invoices/{draft['id']}/payments", body).status_code == 400
    body["amount_cents"] = 624000
    assert post(client, f"{BASE}/invoices/{draft['id']}/payments", body).status_code == 201
    credit = post(client, f"{BASE}/invoices/{draft['id']}/credit-note", {"reason": "fell off"})
    assert credit.status_code == 201 and credit.json()["gross_cents"] == -624000

    client.force_login(client_user)
    listed = client.get(f"{BASE}/invoices").json()["invoices"]
    assert {i["kind"] for i in listed} == {"placement_fee", "credit_note"}
    refused = post(client, f"{BASE}/invoices/{draft['id']}/credit-note", {"reason": "x"})
    assert refused.status_code == 404
    client.force_login(member)
    assert client.get(f"{BASE}/invoices").json()["invoices"] == []
    assert client.get(f"{BASE}/invoices/{draft['id']}").status_code == 404


def test_members_read_their_membership_invoices(client, staff, member, other_member):
    client.force_login(staff)
    mine = post(client, f"{BASE}/memberships/{pending_membership(member).pk}/invoice").json()
    post(client, f"{BASE}/invoices/{mine['id']}/issue")
    theirs = post(client, f"{BASE}/memberships/{pending_membership(other_member).pk}/invoice")
    post(client, f"{BASE}/invoices/{theirs.json()['id']}/issue")
    client.force_login(member)
    listed = client.get(f"{BASE}/invoices").json()["invoices"]
    assert [i["id"] for i in listed] == [mine["id"]]
    assert listed[0]["gross_cents"] == 21240
    assert client.get(f"{BASE}/invoices/{theirs.json()['id']}").status_code == 404


def test_non_staff_writes_are_404(client, member, placement):
    client.force_login(member)
    assert post(client, f"{BASE}/placements/{placement.pk}/invoice").status_code == 404
    assert post(client, f"{BASE}/reminders").status_code == 404
