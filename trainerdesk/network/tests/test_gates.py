"""The precondition registry apps above the network use (contracts registers the real
checks; their tests are in contracts/tests). Here: a stand-in gate, so this fails if the
network stops asking."""

import pytest

from trainerdesk.lib.errors import ConflictError
from trainerdesk.network import services
from trainerdesk.network.services import gates


@pytest.fixture
def refusing():
    seen = []

    def check(obj):
        seen.append(obj)
        return "test: not today"

    gates.register_gate(gates.OPENING_OPEN, check, owner="test")
    gates.register_gate(gates.MEMBERSHIP_ACTIVATE, check, owner="test")
    yield seen
    gates.unregister_gate(gates.OPENING_OPEN, owner="test")
    gates.unregister_gate(gates.MEMBERSHIP_ACTIVATE, owner="test")


def test_opening_asks_every_gate_and_writes_nothing_when_refused(
    refusing, opening, staff, client_user, events
):
    services.transition_opening(opening=opening, to="approved", by=staff)
    start = len(events())
    with pytest.raises(ConflictError, match="test: not today"):
        services.transition_opening(opening=opening, to="open", by=client_user)
    opening.refresh_from_db()
    assert opening.status == "approved" and refusing == [opening] and events()[start:] == []


def test_membership_activation_asks_the_gates(refusing, member, staff):
    renewal = services.renew_membership(member=member.network_member, by=member)
    with pytest.raises(ConflictError, match="test: not today"):
        services.activate_membership(membership=renewal, by=staff)
    renewal.refresh_from_db()
    assert renewal.status == "pending" and refusing == [member.network_member]


def test_unknown_point_is_refused():
    with pytest.raises(ValueError, match="unknown gate"):
        gates.register_gate("opening.close", lambda obj: None, owner="test")


def test_fulfil_runs_only_while_the_check_refuses(opening, staff):
    calls = []
    state = {"ok": False}
    gates.register_gate(
        gates.OPENING_OPEN,
        lambda obj: None if state["ok"] else "no",
        owner="test",
        fulfil=lambda obj, by: calls.append((obj, by)) or state.update(ok=True),
    )
    try:
        gates.fulfil_gates(gates.OPENING_OPEN, opening, by=staff)
        gates.fulfil_gates(gates.OPENING_OPEN, opening, by=staff)
    finally:
        gates.unregister_gate(gates.OPENING_OPEN, owner="test")
    assert calls == [(opening, staff)]
