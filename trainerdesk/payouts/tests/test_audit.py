"""Every payout service that writes records its audit event (audit_coverage.SERVICE_ACTIONS)
in the transaction of the change, with the acting user."""

from __future__ import annotations

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib import audit
from trainerdesk.lib.audit_actions import ACTIONS
from trainerdesk.payouts import services
from trainerdesk.payouts.tests.audit_coverage import SERVICE_ACTIONS
from trainerdesk.payouts.tests.conftest import bank_account
from trainerdesk.payouts.tests.statements import statement

pytestmark = pytest.mark.django_db


def test_listed_actions_are_registered():
    for name, actions in SERVICE_ACTIONS.items():
        assert set(actions) <= ACTIONS.keys(), name
    assert set(SERVICE_ACTIONS) == set(services.__all__)


def _actions_since(mark):
    return set(AuditEvent.objects.filter(pk__gt=mark).values_list("action", flat=True))


def _mark():
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def test_each_service_leaves_its_events(member, staff, payable, fake_rail, settings):
    seen = {}
    mark = _mark()
    account = bank_account(member, iban="AT551200000000654321", verified=False, by=member)
    seen["set_bank_account"] = _actions_since(mark)
    mark = _mark()
    services.verify_bank_account(account=account, by=staff)
    seen["verify_bank_account"] = _actions_since(mark)

    settings.PAYOUT_RAIL = "trainerdesk.payouts.rails.SepaFileRail"
    mark = _mark()
    batch = services.create_batch(by=staff)
    seen["create_batch"] = _actions_since(mark)
    mark = _mark()
    batch = services.submit_batch(batch=batch, by=staff)
    seen["submit_batch"] = _actions_since(mark)
    payout = batch.payouts.get()
    data = statement(payout.idempotency_key).replace(
        b'<Amt Ccy="EUR">123.45</Amt>', b'<Amt Ccy="EUR">873.45</Amt>'
    )
    mark = _mark()
    services.import_statement(file=data, by=staff)
    seen["import_statement"] = _actions_since(mark)

    # A second member's payout through the fake rail: timeout, case, resolve, retry.
    settings.PAYOUT_RAIL = "trainerdesk.payouts.tests.conftest.FakeRail"
    from trainerdesk.payouts.tests.conftest import commission

    commission(member, payable[0].placement.client, cents=100)
    other = services.create_batch(by=staff).payouts.get()
    fake_rail.mode = "timeout"
    services.retry_payout(payout=other, by=staff)
    case = other.cases.get()
    mark = _mark()
    services.resolve_case(case=case, resolution="not_paid", note="bank: no", by=staff)
    seen["resolve_case"] = _actions_since(mark)
    fake_rail.mode = "paid"
    mark = _mark()
    services.retry_payout(payout=other, by=staff)
    seen["retry_payout"] = _actions_since(mark)

    commission(member, payable[0].placement.client, cents=200)
    third = services.create_batch(by=staff).payouts.get()
    mark = _mark()
    services.cancel_payout(payout=third, reason="account closed", by=staff)
    seen["cancel_payout"] = _actions_since(mark)

    for name, actions in SERVICE_ACTIONS.items():
        assert set(actions) <= seen[name], (name, seen[name])
    staff_events = AuditEvent.objects.filter(action__startswith="payouts.", actor_id=staff.pk)
    assert staff_events.exists()
    assert audit.verify(audit.GLOBAL_CHAIN).broken is None
