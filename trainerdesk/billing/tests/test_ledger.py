"""The ledger services: accounts, posting (checks, idempotency), reversal, balances and
the trial balance, with their audit events."""

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.billing import services
from trainerdesk.billing.models import Account, LedgerTransaction, Leg
from trainerdesk.lib.errors import ConflictError, InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(client_company):
    return {
        "recv": services.account_for("client_receivable", client=client_company, currency="EUR"),
        "cash": services.account_for("cash", currency="EUR"),
        "rev": services.account_for("platform_revenue", currency="EUR"),
        "cash_usd": services.account_for("cash", currency="USD"),
        "rev_usd": services.account_for("platform_revenue", currency="USD"),
    }


def test_account_for_opens_once_per_kind_party_currency(client_company, member):
    first = services.account_for("client_receivable", client=client_company, currency="EUR")
    again = services.account_for("client_receivable", client=client_company, currency="EUR")
    other = services.account_for("client_receivable", client=client_company, currency="USD")
    payable = services.account_for("member_payable", member=member.network_member, currency="EUR")
    assert first.pk == again.pk != other.pk
    assert payable.member_id == member.network_member.pk
    assert AuditEvent.objects.filter(action="billing.account.create").count() == 3


@pytest.mark.parametrize(
    ("kind", "party", "message"),
    [
        ("client_receivable", {}, "client"),
        ("member_payable", {}, "member"),
        ("cash", {"client": True}, "platform account"),
        ("nonsense", {}, "not an account kind"),
    ],
)
def test_account_for_checks_kind_and_party(client_company, kind, party, message):
    if party.get("client"):
        party = {"client": client_company}
    with pytest.raises(InvalidInput, match=message):
        services.account_for(kind, currency="EUR", **party)


def test_account_for_refuses_unknown_currency():
    with pytest.raises(InvalidInput, match="currency"):
        services.account_for("cash", currency="eur")


def test_post_transaction_writes_balanced_legs_and_audits(accounts, staff):
    txn = services.post_transaction(
        kind="test.sale", legs=[(accounts["recv"], 1200), (accounts["rev"], -1200)],
        memo="a sale", source_key="test:1", by=staff,
    )  # fmt: skip
    txn.refresh_from_db()
    assert txn.status == "posted" and txn.posted_at is not None
    assert sorted(txn.legs.values_list("amount", flat=True)) == [-1200, 1200]
    assert services.balance(accounts["recv"]) == 1200
    assert services.balance(accounts["rev"]) == -1200
    event = AuditEvent.objects.get(action="billing.transaction.post")
    assert event.object_id == str(txn.pk) and event.actor_id == staff.pk
    assert event.changes["source_key"] == "test:1"


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        (lambda a: [(a["recv"], 100)], "at least two legs"),
        (lambda a: [(a["recv"], 100), (a["rev"], -99)], "differ per currency"),
        (lambda a: [(a["recv"], 100), (a["rev"], -100), (a["cash"], 0)], "not 0"),
        (lambda a: [(a["recv"], 1.5), (a["rev"], -1.5)], "integer"),
        (lambda a: [(a["recv"], True), (a["rev"], -1)], "integer"),
        (lambda a: [(a["recv"], 100), (a["rev_usd"], -100)], "differ per currency"),
        (lambda a: [("cash", 100), (a["rev"], -100)], "saved ledger Account"),
    ],
)
def test_post_transaction_refuses_bad_legs(accounts, legs, message):
    with pytest.raises(InvalidInput, match=message):
        services.post_transaction(kind="test", legs=legs(accounts), source_key="bad", by=None)
    assert not LedgerTransaction.objects.exists() and not Leg.objects.exists()


def test_multi_currency_transaction_balances_per_currency(accounts):
    txn = services.post_transaction(
        kind="test.fx",
        legs=[
            (accounts["cash"], 100), (accounts["rev"], -100),
            (accounts["cash_usd"], 120), (accounts["rev_usd"], -120),
        ],
        source_key="fx:1", by=None,
    )  # fmt: skip
    assert txn.legs.count() == 4
    assert services.trial_balance().totals == {"EUR": 0, "USD": 0}


def test_post_is_idempotent_on_source_key(accounts):
    legs = [(accounts["cash"], 500), (accounts["recv"], -500)]
    first = services.post_transaction(kind="pay", legs=legs, source_key="k", by=None)
    again = services.post_transaction(
        kind="pay", legs=list(reversed(legs)), source_key="k", by=None
    )
    assert first.pk == again.pk
    assert Leg.objects.count() == 2
    assert AuditEvent.objects.filter(action="billing.transaction.post").count() == 1


def test_same_source_key_with_other_legs_is_a_conflict(accounts):
    services.post_transaction(
        kind="pay", legs=[(accounts["cash"], 500), (accounts["recv"], -500)], source_key="k",
        by=None,
    )  # fmt: skip
    with pytest.raises(ConflictError, match="other legs"):
        services.post_transaction(
            kind="pay", legs=[(accounts["cash"], 501), (accounts["recv"], -501)],
            source_key="k", by=None,
        )  # fmt: skip


def test_reverse_negates_every_leg_once(accounts, staff):
    txn = services.post_transaction(
        kind="pay", legs=[(accounts["cash"], 500), (accounts["recv"], -500)], source_key="k",
        by=None,
    )  # fmt: skip
    reversal = services.reverse_transaction(transaction=txn, reason="wrong client", by=staff)
    assert reversal.reverses_id == txn.pk
    assert sorted(reversal.legs.values_list("account_id", "amount")) == sorted(
        (a, -x) for a, x in txn.legs.values_list("account_id", "amount")
    )
    assert services.balance(accounts["cash"]) == 0
    # The same call again returns the reversal; a reversal under another key is refused.
    assert services.reverse_transaction(transaction=txn, reason="again", by=staff).pk == (
        reversal.pk
    )
    with pytest.raises(ConflictError, match="already reversed"):
        services.reverse_transaction(transaction=txn, reason="again", by=staff, source_key="other")
    event = AuditEvent.objects.get(action="billing.transaction.reverse")
    assert event.reason == "wrong client" and event.changes["reverses"] == txn.pk


def test_reverse_needs_a_reason(accounts):
    txn = services.post_transaction(
        kind="pay", legs=[(accounts["cash"], 5), (accounts["recv"], -5)], source_key="k", by=None
    )
    with pytest.raises(InvalidInput, match="reason"):
        services.reverse_transaction(transaction=txn, reason=" ", by=None)


def test_trial_balance_lists_accounts_and_sums_to_zero(accounts):
    services.post_transaction(
        kind="s", legs=[(accounts["recv"], 300), (accounts["rev"], -300)], source_key="a", by=None
    )
    services.post_transaction(
        kind="p", legs=[(accounts["cash"], 200), (accounts["recv"], -200)], source_key="b", by=None
    )
    services.post_transaction(
        kind="u", legs=[(accounts["cash_usd"], 7), (accounts["rev_usd"], -7)], source_key="c",
        by=None,
    )  # fmt: skip
    tb = services.trial_balance()
    by_account = {row.account.pk: row.balance for row in tb.rows}
    assert by_account == {
        accounts["recv"].pk: 100, accounts["cash"].pk: 200, accounts["rev"].pk: -300,
        accounts["cash_usd"].pk: 7, accounts["rev_usd"].pk: -7,
    }  # fmt: skip
    assert tb.totals == {"EUR": 0, "USD": 0} and tb.balanced and tb.total == 0
    assert {row.account.currency for row in services.trial_balance(currency="USD").rows} == {"USD"}


def test_open_transactions_do_not_count(accounts):
    # A transaction left open (raw SQL could do it) is not in any balance.
    txn = LedgerTransaction.objects.create(kind="x", source_key="open:1")
    Leg.objects.create(transaction=txn, account=accounts["cash"], amount=999, currency="EUR")
    assert services.balance(accounts["cash"]) == 0
    assert services.trial_balance().rows == []
    assert Account.objects.count() == 5
