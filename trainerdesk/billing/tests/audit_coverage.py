"""The billing API's writes and the audit action each must leave (gathered by
trainerdesk/tests/test_audit_api_coverage.py). The API is read-mostly: its one write is
staff releasing a commission early. The ledger services are called by the invoicing and
payouts apps and by the daily sweep, and each records its own event
(billing.transaction.post / .reverse, billing.account.create, billing.commission.*), which
test_flows.py and test_ledger.py check."""

from __future__ import annotations

BASE = "/api/v1/billing"

WRITES = {
    ("POST", f"{BASE}/commissions/{{commission_id}}/release-early"): (
        "billing.commission.release_early",
    ),
}


def _release(client, *, request, **_):
    from django.utils import timezone

    from trainerdesk.billing import services
    from trainerdesk.billing.tests.conftest import make_placement

    staff = request.getfixturevalue("staff")
    names = ("member", "client_company")
    member, company = (request.getfixturevalue(n) for n in names)
    placement = make_placement(member, company)
    commission = services.open_commission(placement=placement, by=staff)
    services.record_client_paid(placement=placement, on=timezone.localdate(), by=staff)
    client.force_login(staff)
    url = f"{BASE}/commissions/{commission.pk}/release-early"
    response = client.post(url, {"reason": "trusted client"}, content_type="application/json")
    assert response.status_code == 200, response.content[:300]


DRIVERS = {
    ("POST", f"{BASE}/commissions/{{commission_id}}/release-early"): _release,
}
