"""Bank statements and refund transfers in a member's privacy answer: the camt.053
statements that settled (or named) the member's payouts are retained payment evidence
(BAO § 132), and a statement about nobody of theirs is not listed; a refund transfer is
exported, retained, and while in flight an obligation that keeps the bank account."""

from trainerdesk.privacy import services
from trainerdesk.privacy.registry import Subject


def test_statements_settling_the_members_payouts_are_retained(
    member, other_member, client_company, staff
):
    from trainerdesk.payouts import services as payouts
    from trainerdesk.payouts.models import StatementImport
    from trainerdesk.payouts.tests.camt_builder import camt
    from trainerdesk.tests.money import paid_history

    history = paid_history(member, client_company, staff)
    theirs = StatementImport.objects.get()
    unrelated = payouts.import_statement(file=camt([("NOBODY", 100, "debit")]), by=staff)

    result = services.erase_subject(subject=Subject(user_id=member.pk), dry_run=True, by=staff)
    kept = [r for r in result["retained"] if r["table"] == "payouts.statementimport"]
    assert len(kept) == 1 and kept[0]["count"] == 1
    assert kept[0]["until"] and "camt.053" in kept[0]["reason"]
    assert theirs.lines.filter(payout=history.payout).exists()
    other = services.erase_subject(subject=Subject(user_id=other_member.pk), dry_run=True, by=staff)
    assert not [r for r in other["retained"] if r["table"] == "payouts.statementimport"]
    assert unrelated.pk != theirs.pk


def test_a_refund_transfer_in_flight_is_an_obligation(member, staff):
    from trainerdesk.payouts.models import BankAccount
    from trainerdesk.payouts.services import refunds
    from trainerdesk.payouts.tests.conftest import MEMBER_IBAN, bank_account
    from trainerdesk.tests.money import owed_refund

    key = owed_refund(member, staff)
    bank_account(member, by=staff)
    # Owed and not sent yet: an obligation already (the account is needed to pay it).
    dry = services.erase_subject(subject=Subject(user_id=member.pk), dry_run=True, by=staff)
    assert [o["description"] for o in dry["obligations"] if key in o["description"]]
    transfer = refunds.send_refund(refund_key=key, by=staff)

    result = services.erase_subject(subject=Subject(user_id=member.pk), dry_run=False, by=staff)

    assert ("payouts.refundtransfer", transfer.pk) in {
        (o["table"], o["id"]) for o in result["obligations"]
    }
    assert BankAccount.objects.get(member__user=member).iban == MEMBER_IBAN
    tables = {r["table"] for r in result["retained"]}
    assert {"payouts.refundtransfer", "payouts.bankaccount"} <= tables
