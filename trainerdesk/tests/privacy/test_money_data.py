"""The money apps' personal data: a member's access bundle holds their invoices (with the
PDFs' hashes), commissions, payouts, their own IBAN in full, contracts and acceptances;
open money (an unpaid invoice, a payout in flight) is an obligation that keeps the bank
account through an erasure."""

import io
import json
import zipfile

from trainerdesk.privacy import services
from trainerdesk.privacy.registry import Subject
from trainerdesk.privacy.services.requests import build_bundle


def test_the_bundle_holds_the_members_money_and_contracts(member, client_company, staff):
    from trainerdesk.payouts.tests.conftest import MEMBER_IBAN
    from trainerdesk.tests.money import paid_history

    history = paid_history(member, client_company, staff)
    bundle = zipfile.ZipFile(io.BytesIO(build_bundle(Subject(user_id=member.pk))))
    data = json.loads(bundle.read("data.json"))
    invoices = {row["number"]: row for row in data["invoicing.invoice"]}
    mb = history.membership_invoice
    assert invoices[mb.number]["pdf_sha256"] == mb.pdf_sha256
    assert invoices[mb.number]["customer_address"].startswith("Mariahilfer Straße 1/4")
    assert [r["paid_on"] for r in data["invoicing.payment"]]
    assert [r["status"] for r in data["billing.commission"]] == ["paid"]
    assert [r["iban"] for r in data["payouts.bankaccount"]] == [MEMBER_IBAN]  # not masked
    assert [r["creditor_iban"] for r in data["payouts.payout"]] == [MEMBER_IBAN]
    assert {r["kind"] for r in data["contracts.contract"]} == {"member_agreement"}
    assert data["contracts.acceptance"] and data["contracts.acceptance"][0]["document_sha256"]
    assert "csv/payouts.payout.csv" in bundle.namelist()


def test_open_money_is_an_obligation_and_keeps_the_bank_account(member, client_company, staff):
    from trainerdesk.invoicing import services as invoicing
    from trainerdesk.invoicing.tests.conftest import pending_membership
    from trainerdesk.payouts import services as payouts
    from trainerdesk.payouts.models import BankAccount
    from trainerdesk.payouts.tests.conftest import MEMBER_IBAN, bank_account, commission

    unpaid = invoicing.issue_invoice(
        invoice=invoicing.draft_membership_invoice(membership=pending_membership(member), by=staff),
        by=staff,
    )
    commission(member, client_company, cents=75000)
    bank_account(member, by=staff)
    payouts.submit_batch(batch=payouts.create_batch(by=staff), by=staff)  # in flight

    result = services.erase_subject(subject=Subject(user_id=member.pk), dry_run=False, by=staff)

    open_ = {(o["table"], o["id"]) for o in result["obligations"]}
    assert ("invoicing.invoice", unpaid.pk) in open_
    assert any(t == "payouts.payout" for t, _ in open_)
    assert BankAccount.objects.get(member__user=member).iban == MEMBER_IBAN
    kept = [r for r in result["retained"] if r["table"] == "payouts.bankaccount"]
    assert kept and "in flight" in kept[0]["reason"]
