"""The billing API by persona: staff read the trial balance and any account's legs and
release a commission early; a member reads only their own accounts, commissions and
earnings; everyone else gets 404."""

import pytest
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.billing import services
from trainerdesk.billing.models import Account
from trainerdesk.billing.services import flows
from trainerdesk.billing.tests.conftest import make_placement

BASE = "/api/v1/billing"
NOBODY = ["outsider", "client_user", "candidate", "owner"]


@pytest.fixture
def earned(member, client_company, staff):
    """A placement whose fee was earned (member's payable credited) and its commission."""
    placement = make_placement(member, client_company, fee_cents=150001)
    commission = services.open_commission(placement=placement, by=staff)
    flows.fee_earned(placement=placement, by=staff)
    return placement, commission


def _payable(member):
    return Account.objects.get(member=member.network_member, kind="member_payable")


def test_openapi_documents_the_billing_api(client_for, outsider):
    response = client_for(outsider).get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert f"{BASE}/trial-balance" in paths
    assert f"{BASE}/commissions/{{commission_id}}/release-early" in paths


def test_staff_trial_balance_is_balanced(client_for, staff, earned):
    body = client_for(staff).get(f"{BASE}/trial-balance").json()
    assert body["balanced"] is True and body["totals"] == {"EUR": 0}
    amounts = sorted(row["balance"] for row in body["rows"])
    assert sum(amounts) == 0 and 150001 in amounts
    member_row = next(r for r in body["rows"] if r["account"]["kind"] == "member_payable")
    assert member_row["party"] == "Mira Member" and member_row["credit"] == 75001
    only = client_for(staff).get(f"{BASE}/trial-balance?currency=USD").json()
    assert only["rows"] == [] and only["balanced"]
    assert client_for(staff).get(f"{BASE}/trial-balance?currency=XXQ").status_code == 400


def test_account_legs_page_by_keyset(client_for, staff, member, client_company):
    for _ in range(3):
        flows.fee_earned(placement=make_placement(member, client_company), by=staff)
    account = _payable(member)
    c = client_for(staff)
    first = c.get(f"{BASE}/accounts/{account.pk}/legs?limit=2").json()
    assert len(first["legs"]) == 2 and first["next_after"] == first["legs"][-1]["id"]
    rest = c.get(f"{BASE}/accounts/{account.pk}/legs?limit=2&after={first['next_after']}")
    rest = rest.json()
    assert len(rest["legs"]) == 1 and rest["next_after"] is None
    legs = first["legs"] + rest["legs"]
    assert [leg["id"] for leg in legs] == sorted(leg["id"] for leg in legs)
    assert {leg["kind"] for leg in legs} == {"placement.fee_earned"}
    got = c.get(f"{BASE}/accounts/{account.pk}").json()
    assert got["balance"] == sum(leg["amount"] for leg in legs) and got["shown"] > 0


def test_member_sees_only_their_own(client_for, member, other_member, earned):
    account = _payable(member)
    mine = client_for(member)
    assert mine.get(f"{BASE}/accounts/{account.pk}").status_code == 200
    assert mine.get(f"{BASE}/accounts/{account.pk}/legs").json()["legs"]
    assert mine.get(f"{BASE}/trial-balance").status_code == 404
    rows = mine.get(f"{BASE}/commissions").json()["commissions"]
    assert [r["id"] for r in rows] == [earned[1].pk]
    earnings = mine.get(f"{BASE}/earnings").json()
    assert earnings["payable"] == {"EUR": 75001}
    assert earnings["commissions"] == {"EUR": {"pending": 75001}}

    other = client_for(other_member)
    assert other.get(f"{BASE}/accounts/{account.pk}").status_code == 404
    assert other.get(f"{BASE}/accounts/{account.pk}/legs").status_code == 404
    assert other.get(f"{BASE}/commissions").json()["commissions"] == []
    assert other.get(f"{BASE}/earnings").json()["payable"] == {}


@pytest.mark.parametrize("who", NOBODY)
def test_others_get_404(client_for, request, member, earned, who):
    account = _payable(member)
    c = client_for(request.getfixturevalue(who))
    for url in (
        f"{BASE}/trial-balance",
        f"{BASE}/accounts/{account.pk}",
        f"{BASE}/accounts/{account.pk}/legs",
        f"{BASE}/commissions",
        f"{BASE}/earnings",
    ):
        assert c.get(url).status_code == 404, url
    url = f"{BASE}/commissions/{earned[1].pk}/release-early"
    assert c.post(url, {"reason": "x"}, content_type="application/json").status_code == 404


def test_release_early_is_staffs_and_needs_the_client_paid(client_for, staff, member, earned):
    placement, commission = earned
    url = f"{BASE}/commissions/{commission.pk}/release-early"
    body = {"reason": "trusted client"}
    as_member = client_for(member).post(url, body, content_type="application/json")
    assert as_member.status_code == 404
    c = client_for(staff)
    unpaid = c.post(url, body, content_type="application/json")
    assert unpaid.status_code == 409 and "not paid" in unpaid.json()["message"]
    services.record_client_paid(placement=placement, on=timezone.localdate(), by=staff)
    blank = c.post(url, {"reason": " "}, content_type="application/json")
    assert blank.status_code == 400
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    done = c.post(url, body, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "payable" and done.json()["released_early"] is True
    actions = AuditEvent.objects.filter(pk__gt=last).values_list("action", flat=True)
    assert "billing.commission.release_early" in actions
    assert c.post(url, body, content_type="application/json").status_code == 409
    payable = c.get(f"{BASE}/commissions?status=payable").json()["commissions"]
    assert [r["id"] for r in payable] == [commission.pk]
