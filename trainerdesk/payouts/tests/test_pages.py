"""Pages by persona: staff run batches, statements and cases; a member sees their own
earnings and payouts only; anyone else gets 404 (never a hint the record exists)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trainerdesk.payouts import services
from trainerdesk.payouts.models import BankAccount, PayoutBatch
from trainerdesk.payouts.tests.conftest import bank_account, commission
from trainerdesk.payouts.tests.statements import statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(payable, staff):
    return services.submit_batch(batch=services.create_batch(by=staff), by=staff)


STAFF_PAGES = ["payouts:batches", "payouts:import_statement"]


@pytest.mark.parametrize("persona", ["member", "other_member", "outsider", "client_user"])
def test_staff_pages_are_404_for_everyone_else(request, client, persona, batch):
    client.force_login(request.getfixturevalue(persona))
    for name in STAFF_PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    for name in ("payouts:batch", "payouts:batch_file"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404, name
    assert client.post(reverse("payouts:submit_batch", args=[batch.pk])).status_code == 404
    assert client.post(reverse("payouts:create_batch")).status_code == 404
    payout = batch.payouts.get()
    assert client.post(reverse("payouts:retry", args=[payout.pk])).status_code == 404


def test_staff_create_submit_download_and_import(client, staff, payable):
    client.force_login(staff)
    page = client.get(reverse("payouts:batches"))
    assert page.status_code == 200 and b"Create a batch" in page.content

    response = client.post(reverse("payouts:create_batch"))
    batch = PayoutBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("payouts:batch", args=[batch.pk])
    client.post(reverse("payouts:submit_batch", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "submitted"

    download = client.get(reverse("payouts:batch_file", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert download.content == bytes(batch.file)
    assert f'filename="{batch.reference}.xml"' in download["Content-Disposition"]

    payout = batch.payouts.get()
    data = statement(payout.idempotency_key).replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("stmt.xml", data, content_type="application/xml")
    response = client.post(reverse("payouts:import_statement"), {"file": upload})
    assert response.status_code == 302
    detail = client.get(response.url)
    assert b"1 paid" in detail.content and b"no payout has this EndToEndId" in detail.content
    payout.refresh_from_db()
    assert payout.status == "paid"


def test_a_bad_statement_shows_the_error_and_writes_nothing(client, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff)
    upload = SimpleUploadedFile("stmt.xml", b"<Document/>", content_type="application/xml")
    response = client.post(reverse("payouts:import_statement"), {"file": upload}, follow=True)
    assert b"not a camt.053 statement" in response.content


def test_member_sees_their_earnings_and_payout(client, member, batch):
    client.force_login(member)
    page = client.get(reverse("payouts:earnings"))
    assert page.status_code == 200
    assert b"Commission statement" in page.content and b"In payout" in page.content
    assert "750,00" in page.content.decode()
    payout = batch.payouts.get()
    detail = client.get(reverse("payouts:payout", args=[payout.pk]))
    assert detail.status_code == 200 and payout.idempotency_key.encode() in detail.content
    # Attempts and cases are staff's.
    assert b"Attempts" not in detail.content


def test_other_member_gets_404_for_a_payout_not_theirs(client, other_member, batch, client_company):
    client.force_login(other_member)
    payout = batch.payouts.get()
    assert client.get(reverse("payouts:payout", args=[payout.pk])).status_code == 404
    page = client.get(reverse("payouts:earnings"))
    assert page.status_code == 200 and b"No payouts yet" in page.content
    assert b"750,00" not in page.content


@pytest.mark.parametrize("persona", ["outsider", "client_user", "candidate"])
def test_non_members_get_404_for_earnings_and_payouts(request, client, persona, batch):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("payouts:earnings")).status_code == 404
    payout = batch.payouts.get()
    assert client.get(reverse("payouts:payout", args=[payout.pk])).status_code == 404


def test_member_sets_an_account_with_field_errors(client, member):
    client.force_login(member)
    bad = {"holder_name": "Mira Member", "iban": "DE89370400440532013001"}
    response = client.post(reverse("payouts:set_account"), bad, follow=True)
    assert b"iban: &#x27;DE89370400440532013001&#x27; is not a valid IBAN" in response.content
    assert not BankAccount.objects.exists()
    good = {"holder_name": "Mira Member", "iban": "DE89 3704 0044 0532 0130 00"}
    client.post(reverse("payouts:set_account"), good)
    account = BankAccount.objects.get()
    assert account.bic == "COBADEFFXXX" and not account.verified


def test_staff_verify_an_account(client, staff, member, other_member):
    account = bank_account(member, verified=False)
    client.force_login(other_member)
    assert client.post(reverse("payouts:verify", args=[account.pk])).status_code == 404
    client.force_login(staff)
    client.post(reverse("payouts:verify", args=[account.pk]))
    account.refresh_from_db()
    assert account.verified


def test_staff_resolve_an_ambiguous_case(client, staff, payable, fake_rail):
    payout = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "timeout"
    services.retry_payout(payout=payout, by=staff)
    case = payout.cases.get()
    client.force_login(staff)
    response = client.post(reverse("payouts:retry", args=[payout.pk]), follow=True)
    assert b"never retry blindly" in response.content
    client.post(
        reverse("payouts:resolve_case", args=[case.pk]),
        {"resolution": "not_paid", "note": "bank: nothing executed"},
    )
    payout.refresh_from_db()
    assert payout.status == "failed"


def test_unpayable_commission_message(client, staff, member, client_company):
    commission(member, client_company, paid=False)
    client.force_login(staff)
    response = client.post(reverse("payouts:create_batch"), follow=True)
    assert b"nothing is payable now" in response.content


def test_a_retry_with_the_sepa_rail_gives_its_own_file(
    client, staff, member, payable, fake_rail, settings
):
    payout = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "rejected"
    services.retry_payout(payout=payout, by=staff)
    settings.PAYOUT_RAIL = "trainerdesk.payouts.rails.SepaFileRail"
    client.force_login(staff)
    client.post(reverse("payouts:retry", args=[payout.pk]))
    payout.refresh_from_db()
    assert payout.status == "submitted" and payout.attempts == 2

    url = reverse("payouts:attempt_file", args=[payout.pk, 2])
    page = client.get(reverse("payouts:payout", args=[payout.pk]))
    assert url.encode() in page.content
    download = client.get(url)
    assert download.status_code == 200
    assert payout.idempotency_key.encode() in download.content
    assert b"<MsgId>TD-PAYOUT-%d-2</MsgId>" % payout.pk in download.content
    assert client.get(reverse("payouts:attempt_file", args=[payout.pk, 1])).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("persona", "target"),
    [("staff", "payouts:batches"), ("member", "payouts:earnings"), ("outsider", None)],
)
def test_header_link(request, client, persona, target):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("workbench:home")).content.decode()
    if target is None:
        assert ">Payouts</a>" not in page
    else:
        assert f'<a href="{reverse(target)}">Payouts</a>' in page
