"""The invoicing API's writes and the audit action each must leave, with a driver that
calls it over HTTP as staff (gathered by trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

from trainerdesk.invoicing.tests.conftest import make_placement, pending_membership

BASE = "/api/v1/invoicing"

WRITES = {
    ("POST", f"{BASE}/placements/{{placement_id}}/invoice"): ("invoicing.invoice.draft",),
    ("POST", f"{BASE}/memberships/{{membership_id}}/invoice"): ("invoicing.invoice.draft",),
    ("POST", f"{BASE}/invoices/{{invoice_id}}/issue"): ("invoicing.invoice.issue",),
    ("POST", f"{BASE}/invoices/{{invoice_id}}/payments"): ("invoicing.payment.record",),
    ("POST", f"{BASE}/invoices/{{invoice_id}}/credit-note"): ("invoicing.credit_note.issue",),
    ("POST", f"{BASE}/invoices/{{invoice_id}}/vies"): ("invoicing.vat.confirm",),
    ("POST", f"{BASE}/reminders"): ("invoicing.reminder.send",),
}


def _json(client, url, body=None, status=(200, 201)):
    response = client.post(url, body or {}, content_type="application/json")
    assert response.status_code in status, (url, response.status_code, response.content[:300])
    return response.json()


def _staff(client, request):
    client.force_login(request.getfixturevalue("staff"))


def _placement(request):
    names = ("client_company", "member", "candidate")
    company, member, candidate = (request.getfixturevalue(n) for n in names)
    return make_placement(company, member, candidate)


def _drafted(client, request) -> int:
    placement = _placement(request)
    _staff(client, request)
    return _json(client, f"{BASE}/placements/{placement.pk}/invoice")["id"]


def _issued(client, request) -> int:
    invoice = _drafted(client, request)
    _json(client, f"{BASE}/invoices/{invoice}/issue")
    return invoice


def _draft_placement(client, *, request, **_):
    _drafted(client, request)


def _draft_membership(client, *, request, **_):
    membership = pending_membership(request.getfixturevalue("member"))
    _staff(client, request)
    _json(client, f"{BASE}/memberships/{membership.pk}/invoice")


def _issue(client, *, request, **_):
    _issued(client, request)


def _pay(client, *, request, **_):
    from django.utils import timezone

    invoice = _issued(client, request)
    body = {"amount_cents": 1000, "paid_on": timezone.localdate().isoformat()}
    _json(client, f"{BASE}/invoices/{invoice}/payments", body)


def _credit(client, *, request, **_):
    invoice = _issued(client, request)
    _json(client, f"{BASE}/invoices/{invoice}/credit-note", {"reason": "billed in error"})


def _vies(client, *, request, **_):
    invoice = _issued(client, request)
    _json(client, f"{BASE}/invoices/{invoice}/vies", {"valid": True, "reference": "X1"})


def _reminders(client, *, request, **_):
    import datetime

    from django.utils import timezone

    member = request.getfixturevalue("member")
    period = member.network_member.memberships.get()
    period.period_end = timezone.localdate() + datetime.timedelta(days=5)
    period.save(update_fields=["period_end"])
    _staff(client, request)
    assert _json(client, f"{BASE}/reminders")["sent"] == 1


DRIVERS = {
    ("POST", f"{BASE}/placements/{{placement_id}}/invoice"): _draft_placement,
    ("POST", f"{BASE}/memberships/{{membership_id}}/invoice"): _draft_membership,
    ("POST", f"{BASE}/invoices/{{invoice_id}}/issue"): _issue,
    ("POST", f"{BASE}/invoices/{{invoice_id}}/payments"): _pay,
    ("POST", f"{BASE}/invoices/{{invoice_id}}/credit-note"): _credit,
    ("POST", f"{BASE}/invoices/{{invoice_id}}/vies"): _vies,
    ("POST", f"{BASE}/reminders"): _reminders,
}
