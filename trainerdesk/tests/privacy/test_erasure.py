"""Erasure (Art. 17): after erasing a candidate no personal value of theirs is left in any
table (a dump of every column of every table, on SQLite and PostgreSQL) or in an export;
the placement and its money still add up; every audit chain verifies."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command

from trainerdesk.lib import audit
from trainerdesk.network.models import Candidate
from trainerdesk.placements.models import Placement, Submission
from trainerdesk.privacy import services
from trainerdesk.privacy.registry import Subject
from trainerdesk.tests.privacy.conftest import PERSONAL, place
from trainerdesk.tests.privacy.dump import dump_database, leaks

# What must not survive: every seeded value, and the surname inside any text.
GONE = [v for k, v in PERSONAL.items()] + ["Quistmarlowe"]


def _all_chains_verify():
    reports = [audit.verify(chain) for chain in audit.chains()]
    assert reports and all(r.broken is None for r in reports), [r.broken for r in reports]


@pytest.fixture
def placed(zelda, member, client_user, role):
    return place(zelda, member=member, client_user=client_user, opening=role)


def test_seeded_values_are_there_before(placed, zelda):
    # The test can fail: before the erasure the dump finds every value (the first
    # location only in the audit log's before/after of the profile edit).
    assert sorted(leaks(dump_database(), GONE)) == sorted(GONE)


def test_erasing_a_candidate_leaves_no_personal_value_anywhere(placed, zelda, staff):
    fee = (placed.fee_cents, placed.member_commission_cents, placed.platform_cents)
    result = services.erase_subject(subject=Subject(candidate_id=zelda.pk), dry_run=False, by=staff)

    assert leaks(dump_database(), GONE) == []
    bundle = services.build_bundle(Subject(candidate_id=zelda.pk))
    with zipfile.ZipFile(io.BytesIO(bundle)) as z:
        text = "\n".join(z.read(name).decode() for name in z.namelist())
    assert leaks(text, GONE) == []

    # Referential integrity and money: the rows are all still there and add up.
    person = Candidate.objects.get(pk=zelda.pk)
    assert person.anonymised_at is not None and person.email is None
    placement = Placement.objects.get(pk=placed.pk)
    assert (placement.fee_cents, placement.member_commission_cents, placement.platform_cents) == fee
    assert placement.member_commission_cents + placement.platform_cents == placement.fee_cents
    assert Submission.objects.filter(candidate=person).count() == 1
    # Retained and open obligations are said.
    assert {"placements.placement", "network.member", "network.consent"} <= {
        r["table"] for r in result["retained"]
    }
    assert result["obligations"]  # the placement has not started: the fee is not final
    assert result["audit_events"] >= 1

    _all_chains_verify()
    call_command("audit", "verify", stdout=io.StringIO())  # exits 1 (SystemExit) on a break


def test_dry_run_writes_nothing(placed, zelda, staff):
    before = dump_database()
    result = services.erase_subject(subject=Subject(candidate_id=zelda.pk), dry_run=True, by=staff)
    assert result["counts"]["network.candidate"] == 1
    assert result["audit_events"] >= 1
    assert dump_database() == before


def test_a_failing_handler_leaves_nothing_half_written(placed, zelda, staff, monkeypatch):
    from trainerdesk.privacy import registry

    class Broken(registry.PersonalDataHandler):
        app = "zz_broken"

        def erase(self, subject, *, dry_run):
            raise RuntimeError("disk full")

    before = dump_database()
    registry.register(Broken())
    try:
        with pytest.raises(RuntimeError):
            services.erase_subject(subject=Subject(candidate_id=zelda.pk), dry_run=False, by=staff)
    finally:
        registry.unregister("zz_broken")
    assert dump_database() == before


def test_a_redacted_event_changed_later_breaks_the_chain(placed, zelda, staff):
    from django.db import DatabaseError, connection, transaction

    from trainerdesk.accounts.models import AuditEvent

    services.erase_subject(subject=Subject(candidate_id=zelda.pk), dry_run=False, by=staff)
    redacted = AuditEvent.objects.filter(redacted_by__isnull=False).first()
    assert redacted is not None
    # A plain UPDATE stays refused by the trigger, redacted row or not.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditevent SET reason = 'x' WHERE id = %s", [redacted.pk])
    # Posing as a later redaction without recording one is let in by the trigger but
    # found by verify().
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_auditevent SET reason = 'forged', redacted_by = redacted_by + 100000 "
            "WHERE id = %s",
            [redacted.pk],
        )
    report = audit.verify(redacted.chain.key)
    assert report.broken is not None and report.broken.event_id == redacted.pk


def test_member_with_placements_keeps_name_and_vat_id(placed, member, staff):
    from trainerdesk.network.models import Member

    m = Member.objects.get(user=member)
    m.bio = "Recruiter since 2009, ask for Mira"
    m.save()
    result = services.erase_subject(subject=Subject(user_id=member.pk), dry_run=False, by=staff)
    m.refresh_from_db()
    assert m.display_name == "Mira Member"  # named on commission statements (BAO § 132)
    assert m.bio == ""
    member.refresh_from_db()
    assert member.email == "" and member.username == f"erased-{member.pk}"
    kept = [r for r in result["retained"] if r["table"] == "network.member"]
    assert kept and "BAO" in kept[0]["reason"] and kept[0]["until"]
    _all_chains_verify()


def test_erasure_result_is_json(placed, zelda, staff):
    result = services.erase_subject(subject=Subject(candidate_id=zelda.pk), dry_run=True)
    json.dumps(result)


def test_member_without_financial_records_loses_name_too(db, staff):
    from conftest import _user
    from trainerdesk.network.models import Member

    user = _user("freshmember")
    m = Member.objects.create(
        user=user, display_name="Fenna Freshmember", country="AT", vat_status="not_registered",
        bio="Ask Fenna", status="approved",
    )  # fmt: skip
    result = services.erase_subject(subject=Subject(user_id=user.pk), dry_run=False, by=staff)
    m.refresh_from_db()
    assert m.display_name == f"Erased member #{m.pk}" and m.bio == ""
    assert not [r for r in result["retained"] if r["table"] == "network.member"]
    assert leaks(dump_database(), ["Fenna Freshmember", "freshmember@example.org"]) == []


def _tables_holding(values):
    """Which tables hold any of `values` in any column (case-insensitive), as the dump
    reads them (binary columns as text: the pain.001 and camt.053 files)."""
    from django.db import connection

    found = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = "\t".join(
                    bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview)
                    else str(v)
                    for v in row
                ).lower()  # fmt: skip
                if any(v.lower() in text for v in values):
                    found.add(table)
                    break
    return found


def test_member_with_a_paid_history_keeps_only_what_the_law_retains(member, client_company, staff):
    from trainerdesk.billing.services.ledger import trial_balance
    from trainerdesk.invoicing.models import Invoice
    from trainerdesk.network.models import Member
    from trainerdesk.payouts.models import BankAccount
    from trainerdesk.payouts.tests.conftest import MEMBER_IBAN
    from trainerdesk.tests.money import paid_history

    history = paid_history(member, client_company, staff)
    m = Member.objects.get(user=member)
    m.bio = "Recruiter since 2009, ask for Mira"
    m.save()
    name, email = m.display_name, member.email
    totals = ("pk", "net_cents", "vat_cents", "gross_cents", "pdf_sha256")
    invoices = list(Invoice.objects.order_by("pk").values_list(*totals))
    assert trial_balance().balanced
    assert _tables_holding([MEMBER_IBAN]) >= {"payouts_bankaccount", "payouts_payout"}

    result = services.erase_subject(subject=Subject(user_id=member.pk), dry_run=False, by=staff)

    # The retained financial records still add up, unchanged.
    tb = trial_balance()
    assert tb.balanced and tb.total == 0 and tb.rows
    after = list(Invoice.objects.order_by("pk").values_list(*totals))
    assert after == invoices and len(after) == 2
    history.payout.refresh_from_db()
    assert history.payout.status == "paid" and history.payout.amount_cents == 75000
    # The bank account row is only where to pay next: erased, the payout keeps its copy.
    account = BankAccount.objects.get(member=m)
    assert (account.iban, account.bic, account.is_current) == ("", "", False)
    retained = {r["table"] for r in result["retained"]}
    assert {
        "invoicing.invoice", "invoicing.payment", "billing.leg", "billing.commission",
        "payouts.payout", "payouts.payoutbatch", "contracts.contract", "contracts.acceptance",
        "network.member",
    } <= retained  # fmt: skip
    assert all(r["until"] for r in result["retained"] if r["table"].startswith("invoicing."))
    assert result["obligations"] == []
    # The person's values remain only where the law keeps them, and nowhere else.
    assert leaks(dump_database(), [email, "ask for Mira"]) == []
    assert _tables_holding(["Mariahilfer Straße"]) == {"network_member", "invoicing_invoice"}
    assert _tables_holding([name, MEMBER_IBAN]) == {
        "network_member",  # name and VAT id: the party of invoices and payouts (BAO § 132)
        "invoicing_invoice",  # the membership invoice's customer snapshot (UStG § 11)
        "payouts_payout",  # creditor name and IBAN as paid (BAO § 132)
        "payouts_payoutbatch",  # the pain.001 file sent to the bank
        "payouts_statementimport",  # the bank's camt.053 statement
        "contracts_contract",  # the signed member agreement names its party
    }
    _all_chains_verify()
