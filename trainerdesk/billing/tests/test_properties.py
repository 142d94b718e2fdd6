"""Property tests (hypothesis): every posted transaction sums to zero per currency, the
trial balance is always zero, and any sequence of placement events (invoice, payment,
sweep, early release, payout, fall-off with credit note and refund) leaves exactly the
balances an independent recomputation in plain Python expects.

Each example runs in its own savepoint, rolled back at its end, so examples never see
each other's rows."""

import datetime
from collections import defaultdict
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from trainerdesk.billing import services
from trainerdesk.billing.models import Account, Commission, LedgerTransaction
from trainerdesk.billing.services import flows
from trainerdesk.billing.tests.conftest import make_placement
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.money import percent_of

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Rollback(Exception):
    pass


@contextmanager
def example_savepoint():
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def unbalanced_transactions() -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT transaction_id, currency FROM billing_leg GROUP BY transaction_id, currency "
            "HAVING SUM(amount) <> 0"
        )
        return cursor.fetchall()


ACCOUNT_SPECS = [
    ("cash", "EUR"), ("platform_revenue", "EUR"), ("deferred_fee", "EUR"),
    ("vat_payable", "EUR"), ("cash", "USD"), ("platform_revenue", "USD"), ("refunds", "ISK"),
    ("cash", "ISK"),
]  # fmt: skip

amounts = st.integers(min_value=-(10**12), max_value=10**12).filter(bool)
legs_strategy = st.lists(
    st.tuples(st.sampled_from(range(len(ACCOUNT_SPECS))), amounts), min_size=1, max_size=6
)


@EXAMPLES
@given(postings=st.lists(st.tuples(legs_strategy, st.booleans()), min_size=1, max_size=8))
def test_every_posting_sums_to_zero_and_so_does_the_trial_balance(db, postings):
    with example_savepoint():
        accounts = [services.account_for(k, currency=c) for k, c in ACCOUNT_SPECS]
        posted = 0
        for n, (raw, balance_it) in enumerate(postings):
            legs = [(accounts[i], amount) for i, amount in raw]
            if balance_it:
                # Close every currency with one leg on that currency's first account.
                sums = defaultdict(int)
                for account, amount in legs:
                    sums[account.currency] += amount
                for currency, total in sums.items():
                    if total:
                        closing = next(a for a in accounts if a.currency == currency)
                        legs.append((closing, -total))
            try:
                services.post_transaction(kind="prop", legs=legs, source_key=f"p:{n}", by=None)
                posted += 1
            except InvalidInput:
                sums = defaultdict(int)
                for account, amount in legs:
                    sums[account.currency] += amount
                # Refused only for a real reason: unbalanced, or fewer than two legs.
                assert any(sums.values()) or len(legs) < 2
        assert LedgerTransaction.objects.count() == posted
        assert unbalanced_transactions() == []
        tb = services.trial_balance()
        assert tb.balanced and all(total == 0 for total in tb.totals.values())
        assert sum(row.balance for row in tb.rows) == 0


# -- random walks of placement events -----------------------------------------------------

EVENTS = ["invoice", "pay", "sweep", "early", "payout", "fall_off"]


class Model:
    """The expected balances, kept by hand from the rules in issue 11 (not by the code
    under test): {(kind, party id or None): balance}."""

    def __init__(self):
        self.bal = defaultdict(int)

    def move(self, debit, credit, amount):
        if amount:
            self.bal[debit] += amount
            self.bal[credit] -= amount


# The paths a short random walk reaches rarely, always tried: a fall-off after an early
# release and payout (clawback, netted from the next payout), and after payable.
CLAWBACK_WALK = [
    ("invoice", 0), ("pay", 0), ("early", 0), ("payout", 0), ("fall_off", 0),
    ("invoice", 2), ("pay", 2), ("sweep", 0), ("payout", 0), ("invoice", 1), ("pay", 1),
    ("fall_off", 1),
]  # fmt: skip
PAYABLE_WALK = [("invoice", 1), ("pay", 1), ("sweep", 0), ("fall_off", 1), ("payout", 1)]


@EXAMPLES
@example(fees=[100001, 7, 300000], vat_rates=[2000, 0, 2000], walk=CLAWBACK_WALK)
@example(fees=[5, 999], vat_rates=[0, 2000, 0], walk=PAYABLE_WALK)
@given(
    fees=st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=1, max_size=3),
    vat_rates=st.lists(st.sampled_from([0, 2000]), min_size=3, max_size=3),
    walk=st.lists(
        st.tuples(st.sampled_from(EVENTS), st.integers(min_value=0, max_value=2)), max_size=30
    ),
)
def test_random_walks_match_an_independent_recomputation(
    db, member, other_member, client_company, staff, fees, vat_rates, walk
):
    from trainerdesk.network.models import Client

    with example_savepoint():
        other_client = Client.objects.create(name="Second client", country="AT")
        people = [member, other_member]
        companies = [client_company, other_client]
        placements, state = [], []
        for i, fee in enumerate(fees):
            p = make_placement(people[i % 2], companies[i % 2], fee_cents=fee)
            services.open_commission(placement=p, by=staff)
            placements.append(p)
            vat = percent_of(fee, vat_rates[i])
            state.append({"invoiced": False, "paid": False, "fell_off": False, "vat": vat})
        model = Model()
        far = max(p.guarantee_ends_on for p in placements) + datetime.timedelta(days=1)
        today = timezone.localdate()

        def commission(i):
            return Commission.objects.get(placement=placements[i])

        def earn(i):
            p = placements[i]
            model.bal[("deferred_fee", None)] += p.fee_cents
            model.bal[("platform_revenue", None)] -= p.platform_cents
            model.bal[("member_payable", p.member_id)] -= p.member_commission_cents

        for step, (event, index) in enumerate(walk):
            i = index % len(placements)
            p, s = placements[i], state[i]
            gross = p.fee_cents + s["vat"]
            if event == "invoice" and not s["invoiced"] and not s["fell_off"]:
                flows.placement_invoice_issued(
                    invoice_id=f"inv{i}", client=p.client, net_cents=p.fee_cents,
                    vat_cents=s["vat"], currency="EUR", placement_id=p.pk, by=staff,
                )  # fmt: skip
                model.move(("client_receivable", p.client_id), ("deferred_fee", None), p.fee_cents)
                model.move(("client_receivable", p.client_id), ("vat_payable", None), s["vat"])
                s["invoiced"] = True
            elif event == "pay" and s["invoiced"] and not s["paid"] and not s["fell_off"]:
                flows.client_paid(
                    payment_key=f"pay{i}", client=p.client, amount_cents=gross, currency="EUR",
                    by=staff,
                )  # fmt: skip
                services.record_client_paid(placement=p, on=today, by=staff)
                model.move(("cash", None), ("client_receivable", p.client_id), gross)
                s["paid"] = True
            elif event == "sweep":
                due = [
                    j for j, c in enumerate(Commission.objects.get(placement=q) for q in placements)
                    if c.status == "pending" and state[j]["paid"] and not state[j]["fell_off"]
                ]  # fmt: skip
                services.sweep_commissions(today=far, by=None)
                for j in due:
                    earn(j)
            elif event == "early":
                c = commission(i)
                if c.status == "pending" and s["paid"] and not s["fell_off"]:
                    services.release_commission_early(commission=c, reason="walk", by=staff)
                    earn(i)
            elif event == "payout":
                m = people[index % 2].network_member
                payable = list(Commission.objects.filter(member=m, status="payable"))
                total = sum(c.amount_cents for c in payable)
                if total:
                    plan = flows.plan_payout(member=m, gross_cents=total, currency="EUR")
                    owed = max(model.bal[("clawback_receivable", m.pk)], 0)
                    assert plan.clawback == min(total, owed)
                    flows.payout_sent(
                        payout_key=f"po{step}", member=m, gross_cents=total,
                        clawback_cents=plan.clawback, currency="EUR", by=staff,
                    )  # fmt: skip
                    for c in payable:
                        services.mark_commission_in_payout(commission=c, by=staff)
                        services.mark_commission_paid(commission=c, by=staff)
                    model.bal[("member_payable", m.pk)] += total
                    model.bal[("clawback_receivable", m.pk)] -= plan.clawback
                    model.bal[("cash", None)] -= total - plan.clawback
            elif event == "fall_off" and not s["fell_off"]:
                before = commission(i).status
                p.status, p.fell_off_on = "fell_off", today
                p.save(update_fields=["status", "fell_off_on"])
                services.record_commission_fall_off(placement=p, by=staff)
                s["fell_off"] = True
                if before in ("payable", "paid"):  # fee earned is reversed
                    model.bal[("deferred_fee", None)] -= p.fee_cents
                    model.bal[("platform_revenue", None)] += p.platform_cents
                    model.bal[("member_payable", p.member_id)] += p.member_commission_cents
                if before == "paid":
                    m_key = p.member_id
                    model.move(
                        ("clawback_receivable", m_key), ("member_payable", m_key),
                        p.member_commission_cents,
                    )  # fmt: skip
                note_event(f"fall-off from {before}")
                expected_status = {"pending": "cancelled", "payable": "cancelled",
                                   "paid": "clawed_back"}[before]  # fmt: skip
                assert commission(i).status == expected_status
                if s["invoiced"]:
                    flows.credit_note_issued(
                        credit_note_id=f"cn{i}", client=p.client, net_cents=p.fee_cents,
                        vat_cents=s["vat"], currency="EUR", by=staff,
                    )  # fmt: skip
                    model.move(("deferred_fee", None), ("client_receivable", p.client_id),
                               p.fee_cents)  # fmt: skip
                    model.move(("vat_payable", None), ("client_receivable", p.client_id),
                               s["vat"])  # fmt: skip
                    if s["paid"]:
                        flows.refund_due(refund_key=f"r{i}", client=p.client, amount_cents=gross,
                                         currency="EUR", by=staff)  # fmt: skip
                        flows.refund_paid(refund_key=f"r{i}", amount_cents=gross,
                                          currency="EUR", by=staff)  # fmt: skip
                        model.move(("refunds", None), ("cash", None), gross)
                        model.move(("client_receivable", p.client_id), ("refunds", None), gross)

        actual = {}
        for account in Account.objects.all():
            party = account.client_id or account.member_id
            actual[(account.kind, party)] = services.balance(account)
        expected = {k: v for k, v in model.bal.items() if v}
        assert {k: v for k, v in actual.items() if v} == expected
        assert unbalanced_transactions() == []
        assert services.trial_balance().totals in ({}, {"EUR": 0})
