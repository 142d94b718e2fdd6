"""The end of a member's year in a real browser (headless Debian chromium via
Playwright): the member's commissions are payable (client paid, guarantee passed; set up
through billing's services), staff create a batch, submit it and download the SEPA file,
import the bank's statement, and the member sees the payout paid on their earnings page.

Not run where /usr/bin/chromium is missing (the helper that wrote it had none)."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll
from trainerdesk.payouts import sepa
from trainerdesk.payouts.models import Payout
from trainerdesk.payouts.tests.statements import statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


def test_staff_pay_out_and_member_sees_it(browser_page, live_server, payable, staff, tmp_path):
    page, errors = browser_page
    _login(page, live_server, "staff")
    page.goto(f"{live_server.url}/payouts/")
    page.wait_for_selector("#payable:has-text('Create a batch')")
    page.click("#payable button[type=submit]")
    page.wait_for_selector("text=Batch created.")
    page.click("text=Submit (build the bank file)")
    page.wait_for_selector("#file")
    with page.expect_download() as info:
        page.click("#file a")
    path = tmp_path / "batch.xml"
    info.value.save_as(path)
    sepa.validate_pain001(path.read_bytes())
    assert_no_sideways_scroll(page)

    payout = Payout.objects.get()
    data = statement(payout.idempotency_key).replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )
    upload = tmp_path / "statement.xml"
    upload.write_bytes(data)
    page.goto(f"{live_server.url}/payouts/statements/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("main button[type=submit]")
    page.wait_for_selector("#counts:has-text('1 paid')")

    page.get_by_role("button", name="Log out staff").click()
    _login(page, live_server, "member")
    page.goto(f"{live_server.url}/payouts/earnings/")
    page.wait_for_selector("h1:has-text('My earnings')")
    assert "Paid" in page.inner_text("#payouts")
    assert "873,45" in page.inner_text("#payouts")
    assert page.inner_text("#statement").count("Paid") >= 2
    assert_no_sideways_scroll(page)
    assert not errors, errors
