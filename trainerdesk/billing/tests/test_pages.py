"""Billing pages: staff's trial balance and account pages, a member's earnings and own
accounts; everyone else (and a member looking at another's account) gets 404."""

import pytest

from trainerdesk.billing import services
from trainerdesk.billing.services import flows
from trainerdesk.billing.tests.conftest import make_placement

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(member, client_company, staff):
    placement = make_placement(member, client_company, fee_cents=150000)
    services.open_commission(placement=placement, by=staff)
    flows.placement_invoice_issued(
        invoice_id=1, client=client_company, net_cents=150000, vat_cents=0, currency="EUR",
        by=staff,
    )  # fmt: skip
    flows.fee_earned(placement=placement, by=staff)
    return placement


def test_staff_sees_the_trial_balance(client_for, staff, posted):
    response = client_for(staff).get("/billing/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Client receivable" in html and "Northwind AI" in html
    assert "Mira Member" in html and "balanced (0)" in html
    assert 'href="/billing/ledger/"' in html  # the header link


def test_trial_balance_by_currency_and_bad_currency(client_for, staff, posted):
    c = client_for(staff)
    assert "Showing USD only" in c.get("/billing/ledger/?currency=USD").content.decode()
    html = c.get("/billing/ledger/?currency=xx").content.decode()
    assert "not a supported currency" in html


def test_account_page_lists_legs_paged(client_for, staff, posted, client_company):
    account = services.account_for("client_receivable", client=client_company, currency="EUR")
    cash = services.account_for("cash", currency="EUR")
    for i in range(55):
        services.post_transaction(
            kind="test.pay", legs=[(cash, 1), (account, -1)], source_key=f"t{i}", by=None
        )
    c = client_for(staff)
    first = c.get(f"/billing/ledger/accounts/{account.pk}/")
    assert first.status_code == 200
    assert first.context["page"].paginator.count == 56
    assert len(first.context["page"]) == 50 and "Older" in first.content.decode()
    assert len(c.get(f"/billing/ledger/accounts/{account.pk}/?page=2").context["page"]) == 6
    assert first.context["balance"] == 150000 - 55


@pytest.mark.parametrize("persona", ["member", "client_user", "outsider"])
def test_trial_balance_is_404_for_non_staff(client_for, request, persona, posted):
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/billing/ledger/").status_code == 404


def test_member_sees_own_earnings_and_payable_account(client_for, member, posted):
    c = client_for(member)
    response = c.get("/billing/earnings/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Member payable" in html and "Northwind AI" in html
    assert 'href="/billing/earnings/"' in html
    payable = services.account_for("member_payable", member=member.network_member, currency="EUR")
    own = c.get(f"/billing/ledger/accounts/{payable.pk}/")
    assert own.status_code == 200 and own.context["balance"] == -75000


def test_member_cannot_see_others_accounts(client_for, other_member, member, posted):
    payable = services.account_for("member_payable", member=member.network_member, currency="EUR")
    cash = services.account_for("cash", currency="EUR")
    c = client_for(other_member)
    assert c.get(f"/billing/ledger/accounts/{payable.pk}/").status_code == 404
    assert c.get(f"/billing/ledger/accounts/{cash.pk}/").status_code == 404
    assert c.get("/billing/ledger/accounts/999999/").status_code == 404
    # other_member's own page shows none of member's commissions.
    html = c.get("/billing/earnings/").content.decode()
    assert "No commissions yet." in html


def test_earnings_404_for_non_members(client_for, client_user, outsider):
    assert client_for(client_user).get("/billing/earnings/").status_code == 404
    assert client_for(outsider).get("/billing/earnings/").status_code == 404


def test_pages_need_login(client):
    response = client.get("/billing/ledger/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
