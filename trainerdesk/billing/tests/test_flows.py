"""The money-flow recipes and commissions through a placement's life: what each posts,
idempotency per event, and the balances at the end."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.billing import services
from trainerdesk.billing.models import Account, Commission
from trainerdesk.billing.services import flows
from trainerdesk.billing.tests.conftest import make_placement
from trainerdesk.lib.errors import ConflictError, InvalidInput

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def bal(kind, **party):
    account = Account.objects.filter(kind=kind, currency="EUR", **party).first()
    return services.balance(account) if account else 0


def legs_of(txn):
    return sorted((leg.account.kind, leg.amount) for leg in txn.legs.select_related("account"))


def test_placement_invoice_issued_defers_fee_and_vat(client_company):
    txn = flows.placement_invoice_issued(
        invoice_id=12, client=client_company, net_cents=100000, vat_cents=20000,
        currency="EUR", placement_id=3, by=None,
    )  # fmt: skip
    assert txn.source_key == "invoice:12:issued"
    assert legs_of(txn) == [
        ("client_receivable", 120000),
        ("deferred_fee", -100000),
        ("vat_payable", -20000),
    ]


def test_reverse_charge_invoice_has_no_vat_leg(client_company):
    txn = flows.placement_invoice_issued(
        invoice_id=1, client=client_company, net_cents=5000, vat_cents=0, currency="EUR",
        by=None,
    )  # fmt: skip
    assert legs_of(txn) == [("client_receivable", 5000), ("deferred_fee", -5000)]


def test_flows_refuse_bad_amounts(client_company):
    with pytest.raises(InvalidInput, match="net_cents"):
        flows.placement_invoice_issued(
            invoice_id=1, client=client_company, net_cents=0, vat_cents=0, currency="EUR",
            by=None,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="vat_cents"):
        flows.placement_invoice_issued(
            invoice_id=1, client=client_company, net_cents=10, vat_cents=-1, currency="EUR",
            by=None,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="amount_cents"):
        flows.client_paid(
            payment_key="p", client=client_company, amount_cents=1.0, currency="EUR", by=None
        )


def test_placement_life_cycle_to_payout(member, client_company, staff):
    placement = make_placement(member, client_company, fee_cents=150001)
    m = member.network_member
    commission = services.open_commission(placement=placement, by=staff)
    assert (commission.amount_cents, commission.status) == (75001, "pending")
    assert services.open_commission(placement=placement, by=staff).pk == commission.pk

    flows.placement_invoice_issued(
        invoice_id=1, client=client_company, net_cents=150001, vat_cents=30000,
        currency="EUR", by=staff,
    )  # fmt: skip
    paid_on = TODAY() - datetime.timedelta(days=1)
    flows.client_paid(
        payment_key="bank-1", client=client_company, amount_cents=180001, currency="EUR",
        by=staff,
    )  # fmt: skip
    services.record_client_paid(placement=placement, on=paid_on, by=staff)
    # Paid, but the guarantee has not passed: nothing becomes payable.
    assert services.sweep_commissions(today=TODAY(), by=staff)["payable"] == 0
    later = placement.guarantee_ends_on + datetime.timedelta(days=1)
    assert services.sweep_commissions(today=later, by=staff)["payable"] == 1
    assert services.sweep_commissions(today=later, by=staff)["payable"] == 0
    commission.refresh_from_db()
    assert (commission.status, commission.payable_on) == ("payable", later)
    assert bal("deferred_fee") == 0
    assert bal("platform_revenue") == -75000
    assert bal("member_payable", member=m) == -75001

    services.mark_commission_in_payout(commission=commission, by=staff)
    plan = flows.plan_payout(member=m, gross_cents=75001, currency="EUR")
    assert plan == flows.PayoutPlan(gross=75001, clawback=0, cash=75001)
    flows.payout_sent(payout_key="po-1", member=m, gross_cents=75001, currency="EUR", by=staff)
    services.mark_commission_paid(commission=commission, by=staff)
    commission.refresh_from_db()
    assert commission.status == "paid"
    assert bal("member_payable", member=m) == 0
    assert bal("cash") == 180001 - 75001
    assert bal("vat_payable") == -30000
    assert bal("client_receivable", client=client_company) == 0
    assert services.trial_balance().totals == {"EUR": 0}
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "billing.commission.open", "billing.commission.client_paid",
        "billing.commission.payable", "billing.commission.in_payout",
        "billing.commission.paid", "billing.transaction.post",
    } <= actions  # fmt: skip


def test_fall_off_inside_guarantee_cancels_and_credit_note_reverses(member, client_company):
    placement = make_placement(member, client_company, fee_cents=100000)
    commission = services.open_commission(placement=placement, by=None)
    flows.placement_invoice_issued(
        invoice_id=7, client=client_company, net_cents=100000, vat_cents=20000,
        currency="EUR", by=None,
    )  # fmt: skip
    placement.status, placement.fell_off_on = "fell_off", TODAY()
    placement.save()
    flows.credit_note_issued(
        credit_note_id=8, client=client_company, net_cents=100000, vat_cents=20000,
        currency="EUR", by=None,
    )  # fmt: skip
    assert services.sweep_commissions(today=TODAY(), by=None) == {"payable": 0, "fell_off": 1}
    commission.refresh_from_db()
    assert commission.status == "cancelled"
    tb = services.trial_balance()
    assert all(row.balance == 0 for row in tb.rows)


def test_fall_off_after_early_payout_claws_back_and_nets(member, client_company, staff):
    m = member.network_member
    placement = make_placement(member, client_company, fee_cents=100000)
    commission = services.open_commission(placement=placement, by=staff)
    flows.placement_invoice_issued(
        invoice_id=1, client=client_company, net_cents=100000, vat_cents=0, currency="EUR",
        by=staff,
    )  # fmt: skip
    flows.client_paid(
        payment_key="p1", client=client_company, amount_cents=100000, currency="EUR", by=staff
    )
    with pytest.raises(ConflictError, match="has not paid"):
        services.release_commission_early(commission=commission, reason="trusted", by=staff)
    services.record_client_paid(placement=placement, on=TODAY(), by=staff)
    with pytest.raises(PermissionDenied):
        services.release_commission_early(commission=commission, reason="x", by=member)
    services.release_commission_early(commission=commission, reason="trusted client", by=staff)
    flows.payout_sent(payout_key="po1", member=m, gross_cents=50000, currency="EUR", by=staff)
    services.mark_commission_paid(commission=commission, by=staff)

    placement.status, placement.fell_off_on = "fell_off", TODAY()
    placement.save()
    services.record_commission_fall_off(placement=placement, by=staff)
    commission.refresh_from_db()
    assert commission.status == "clawed_back"
    assert bal("clawback_receivable", member=m) == 50000
    assert bal("member_payable", member=m) == 0
    assert bal("platform_revenue") == 0 and bal("deferred_fee") == -100000

    # The next commission of 30000 is netted entirely; a later one of 40000 pays 20000.
    plan = flows.plan_payout(member=m, gross_cents=30000, currency="EUR")
    assert (plan.clawback, plan.cash) == (30000, 0)
    second = make_placement(member, client_company, fee_cents=60000)
    flows.placement_invoice_issued(
        invoice_id=2, client=client_company, net_cents=60000, vat_cents=0, currency="EUR",
        by=staff,
    )  # fmt: skip
    flows.fee_earned(placement=second, by=staff)
    flows.payout_sent(
        payout_key="po2", member=m, gross_cents=30000, clawback_cents=30000, currency="EUR",
        by=staff,
    )  # fmt: skip
    assert bal("clawback_receivable", member=m) == 20000
    plan = flows.plan_payout(member=m, gross_cents=40000, currency="EUR")
    assert (plan.clawback, plan.cash) == (20000, 20000)
    assert services.trial_balance().totals == {"EUR": 0}


def test_payout_cannot_net_more_than_gross(member):
    with pytest.raises(InvalidInput, match="clawback_cents"):
        flows.payout_sent(
            payout_key="x", member=member.network_member, gross_cents=10, clawback_cents=11,
            currency="EUR", by=None,
        )  # fmt: skip


def test_commission_in_payout_waits_for_it_on_fall_off(member, client_company):
    placement = make_placement(member, client_company)
    commission = services.open_commission(placement=placement, by=None)
    services.record_client_paid(placement=placement, on=TODAY(), by=None)
    Commission.objects.filter(pk=commission.pk).update(status="in_payout")
    placement.status, placement.fell_off_on = "fell_off", TODAY()
    placement.save()
    with pytest.raises(ConflictError, match="settle the payout"):
        services.record_commission_fall_off(placement=placement, by=None)


def test_record_client_paid_checks_date(placement):
    services.open_commission(placement=placement, by=None)
    with pytest.raises(InvalidInput, match="future"):
        services.record_client_paid(
            placement=placement, on=TODAY() + datetime.timedelta(days=1), by=None
        )
    services.record_client_paid(placement=placement, on=TODAY(), by=None)
    services.record_client_paid(placement=placement, on=TODAY(), by=None)
    with pytest.raises(ConflictError, match="already recorded"):
        services.record_client_paid(
            placement=placement, on=TODAY() - datetime.timedelta(days=1), by=None
        )
    assert AuditEvent.objects.filter(action="billing.commission.client_paid").count() == 1


def test_no_commission_for_a_fallen_off_placement(member, client_company):
    placement = make_placement(member, client_company, status="fell_off")
    with pytest.raises(ConflictError, match="fell off"):
        services.open_commission(placement=placement, by=None)


def test_membership_invoice_and_payment(member):
    m = member.network_member
    flows.membership_invoice_issued(
        invoice_id=40, member=m, net_cents=14750, vat_cents=2950, currency="EUR", by=None
    )
    flows.membership_paid(payment_key="m1", member=m, amount_cents=17700, currency="EUR", by=None)
    assert bal("member_receivable", member=m) == 0
    assert bal("membership_revenue") == -14750
    assert bal("vat_payable") == -2950
    assert bal("cash") == 17700


def test_refund_after_credit_note(client_company):
    flows.placement_invoice_issued(
        invoice_id=1, client=client_company, net_cents=1000, vat_cents=200, currency="EUR",
        by=None,
    )  # fmt: skip
    flows.client_paid(payment_key="p", client=client_company, amount_cents=1200, currency="EUR",
                      by=None)  # fmt: skip
    flows.credit_note_issued(
        credit_note_id=2, client=client_company, net_cents=1000, vat_cents=200, currency="EUR",
        by=None,
    )  # fmt: skip
    assert bal("client_receivable", client=client_company) == -1200
    flows.refund_due(refund_key="r", client=client_company, amount_cents=1200, currency="EUR",
                     by=None)  # fmt: skip
    flows.refund_paid(refund_key="r", amount_cents=1200, currency="EUR", by=None)
    tb = services.trial_balance()
    assert all(row.balance == 0 for row in tb.rows)


def test_a_returned_payout_reopens_a_paid_commission(member, client_company, staff):
    placement = make_placement(member, client_company, fee_cents=150000)
    m = member.network_member
    commission = services.open_commission(placement=placement, by=staff)
    services.record_client_paid(placement=placement, on=TODAY(), by=staff)
    with pytest.raises(ConflictError, match="only a paid commission is reopened"):
        services.reopen_commission_after_return(commission=commission, reason="AC04", by=staff)
    services.release_commission_early(commission=commission, reason="trusted", by=staff)
    services.mark_commission_in_payout(commission=commission, by=staff)
    sent = flows.payout_sent(
        payout_key="po-r", member=m, gross_cents=75000, currency="EUR", by=staff
    )
    services.mark_commission_paid(commission=commission, by=staff)
    with pytest.raises(InvalidInput, match="reason: say why"):
        services.reopen_commission_after_return(commission=commission, reason=" ", by=staff)

    # The bank returns it: payouts reverses its posting, billing reopens the commission.
    services.reverse_transaction(transaction=sent, reason="returned AC04", by=staff)
    services.reopen_commission_after_return(commission=commission, reason="AC04", by=staff)
    services.reopen_commission_after_return(commission=commission, reason="AC04", by=staff)

    commission.refresh_from_db()
    assert (commission.status, commission.paid_on) == ("payable", None)
    assert bal("member_payable", member=m) == -75000  # owed to the member again
    events = AuditEvent.objects.filter(action="billing.commission.reopen")
    assert events.count() == 1 and events.get().reason == "AC04"
    assert services.trial_balance().totals == {"EUR": 0}
    # Payable again: it may go into the next payout and be paid.
    services.mark_commission_in_payout(commission=commission, by=staff)
    services.mark_commission_paid(commission=commission, by=staff)
    assert Commission.objects.get(pk=commission.pk).status == "paid"


def test_member_refund_after_a_membership_credit_note(member, client_company):
    m = member.network_member
    flows.membership_invoice_issued(
        invoice_id=40, member=m, net_cents=14750, vat_cents=2950, currency="EUR", by=None
    )
    flows.membership_paid(payment_key="m1", member=m, amount_cents=17700, currency="EUR", by=None)
    flows.credit_note_issued(
        credit_note_id=41, member=m, net_cents=14750, vat_cents=2950, currency="EUR", by=None
    )
    assert bal("member_receivable", member=m) == -17700  # in credit until refunded
    due = flows.member_refund_due(
        refund_key="cn-41", member=m, amount_cents=17700, currency="EUR", by=None
    )
    assert (
        flows.member_refund_due(
            refund_key="cn-41", member=m, amount_cents=17700, currency="EUR", by=None
        ).pk
        == due.pk
    )  # idempotent on its key
    # A client refund with the same key is another transaction, not a conflict.
    flows.refund_due(refund_key="cn-41", client=client_company, amount_cents=1, currency="EUR",
                     by=None)  # fmt: skip
    assert bal("member_receivable", member=m) == 0
    assert bal("refunds") == -17701
    with pytest.raises(InvalidInput, match="amount_cents"):
        flows.member_refund_paid(refund_key="cn-41", amount_cents=0, currency="EUR", by=None)
    flows.member_refund_paid(refund_key="cn-41", amount_cents=17700, currency="EUR", by=None)
    assert bal("refunds") == -1 and bal("cash") == 0
    assert services.trial_balance().totals == {"EUR": 0}
