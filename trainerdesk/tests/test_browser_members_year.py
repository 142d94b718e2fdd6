"""A member's year in a real browser (headless Debian chromium via Playwright), across
invoicing, placements, billing and payouts: the membership invoice is issued and staff
record the member's payment on the invoice page; a placement is made and invoiced; its
guarantee passes (the daily sweeps, run with a date); staff record the client's payment
of the placement invoice; staff create the payout batch and download the pain.001 file;
and the member sees the payout on their earnings page.

What the issue does not ask to click is set up through the services (the placement,
issuing the invoices, the bank account, the bank's statement), so the walk stays short."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import PASSWORD
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


def _typed(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _pay_on_the_invoice_page(page, live_server, invoice):
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    page.fill("input[name=amount]", _typed(invoice.gross_cents))
    page.click("text=Record payment")
    page.wait_for_selector("#status:has-text('Paid')")


def test_a_members_year(browser_page, live_server, member, client_company, staff, tmp_path):
    from trainerdesk.billing.models import Commission
    from trainerdesk.invoicing import services as invoicing
    from trainerdesk.invoicing.tests.conftest import pending_membership
    from trainerdesk.network.models import Membership
    from trainerdesk.payouts import sepa
    from trainerdesk.payouts import services as payouts
    from trainerdesk.payouts.models import Payout
    from trainerdesk.payouts.tests.conftest import bank_account, make_placement
    from trainerdesk.payouts.tests.statements import statement

    page, errors = browser_page
    today = timezone.localdate()

    # The renewal: the period waits for payment, its invoice is issued.
    membership = pending_membership(member)
    mb = invoicing.issue_invoice(
        invoice=invoicing.draft_membership_invoice(membership=membership, by=staff), by=staff
    )
    _login(page, live_server, "staff")
    _pay_on_the_invoice_page(page, live_server, mb)
    assert Membership.objects.get(pk=membership.pk).status == "active"

    # A placement of the member at the client (its guarantee ended yesterday), invoiced.
    placement = make_placement(member, client_company, member_cents=75000, ended=True)
    pf = invoicing.issue_invoice(
        invoice=invoicing.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    commission = Commission.objects.get(placement=placement)
    assert commission.status == "pending"

    # The daily jobs with a date: the guarantee has passed, the fee is earned.
    call_command("sweep_placements", "--today", today.isoformat())
    call_command("sweep_commissions", "--today", today.isoformat())
    placement.refresh_from_db()
    assert placement.status not in ("in_guarantee", "started", "pending_start")

    # The client pays; staff record it on the invoice page; the next sweep makes the
    # member's commission payable.
    _pay_on_the_invoice_page(page, live_server, pf)
    call_command("sweep_commissions", "--today", (today + datetime.timedelta(days=1)).isoformat())
    commission.refresh_from_db()
    assert commission.status == "payable"

    # Staff pay out: batch, bank file.
    bank_account(member, by=staff)
    page.goto(f"{live_server.url}/payouts/")
    page.wait_for_selector("#payable:has-text('Create a batch')")
    page.click("#payable button[type=submit]")
    page.wait_for_selector("text=Batch created.")
    page.click("text=Submit (build the bank file)")
    page.wait_for_selector("#file")
    with page.expect_download() as info:
        page.click("#file a")
    path = tmp_path / "pain001.xml"
    info.value.save_as(path)
    sepa.validate_pain001(path.read_bytes())
    payout = Payout.objects.get()
    assert payout.idempotency_key.encode() in path.read_bytes()
    assert b'<InstdAmt Ccy="EUR">750.00</InstdAmt>' in path.read_bytes()
    assert_no_sideways_scroll(page)

    # The bank's statement settles it (imported through the service; its page has its
    # own browser test in payouts).
    data = statement(payout.idempotency_key, "UNKNOWN-KEY", "KEYC").replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">750.00</Amt>'
    )
    payouts.import_statement(file=data, by=staff)

    page.get_by_role("button", name="Log out staff").click()
    _login(page, live_server, "member")
    page.goto(f"{live_server.url}/payouts/earnings/")
    page.wait_for_selector("h1:has-text('My earnings')")
    assert "Paid" in page.inner_text("#payouts") and "750,00" in page.inner_text("#payouts")
    assert "Paid" in page.inner_text("#statement")
    assert_no_sideways_scroll(page)
    assert not errors, errors
