"""Preconditions that apps above the network add to its state changes.

The network cannot import the apps that build on it (contracts sits above it in the
layers), yet some of its moves depend on them: a member's membership becomes active, and a
client's role opens, only once the right contract is signed. Such an app registers a check
from its `AppConfig.ready()`; the network's service calls `check_gates(name, obj)` inside
its transaction, after its own checks. Without any registration (the app not installed)
nothing is checked.

A check takes the object and returns None when the move may go ahead, or the reason it may
not (shown as is, raised as ConflictError). `fulfil` is optional: what the demo loader calls
to satisfy the gate through the owning app's own services (network's demo cannot make a
contract itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainerdesk.lib.errors import ConflictError

# The points the network checks.
MEMBERSHIP_ACTIVATE = "membership.activate"  # obj: the Member whose period is paid
OPENING_OPEN = "opening.open"  # obj: the Opening about to open
POINTS = (MEMBERSHIP_ACTIVATE, OPENING_OPEN)


@dataclass(frozen=True)
class Gate:
    owner: str  # the registering app's label, for messages and replacement
    check: Callable[[Any], str | None]
    fulfil: Callable[..., None] | None = None


_GATES: dict[str, dict[str, Gate]] = {point: {} for point in POINTS}


def register_gate(
    name: str,
    check: Callable[[Any], str | None],
    *,
    owner: str,
    fulfil: Callable[..., None] | None = None,
) -> None:
    """Add (or, for the same owner, replace: ready() may run twice in tests) a check."""
    if name not in _GATES:
        raise ValueError(f"unknown gate {name!r}; one of {', '.join(POINTS)}")
    _GATES[name][owner] = Gate(owner=owner, check=check, fulfil=fulfil)


def unregister_gate(name: str, *, owner: str) -> None:
    _GATES.get(name, {}).pop(owner, None)


def gates(name: str) -> list[Gate]:
    return list(_GATES[name].values())


def check_gates(name: str, obj: Any) -> None:
    """Raise ConflictError with every registered check's reason that refuses `obj`."""
    reasons = [reason for gate in gates(name) if (reason := gate.check(obj))]
    if reasons:
        raise ConflictError("; ".join(reasons))


def fulfil_gates(name: str, obj: Any, *, by: Any) -> None:
    """For the demo loader: let each owning app satisfy its own precondition."""
    for gate in gates(name):
        if gate.fulfil is not None and gate.check(obj):
            gate.fulfil(obj, by=by)


# Functions the network demo's removal calls before it deletes the demo's members, clients
# and roles, for apps whose rows point at them with PROTECT (a signed contract is kept in
# real use; only demo rows are removed this way). Called with members=, clients= querysets.
_DEMO_CLEANUPS: dict[str, Callable[..., None]] = {}


def register_demo_cleanup(fn: Callable[..., None], *, owner: str) -> None:
    _DEMO_CLEANUPS[owner] = fn


def clean_up_demo(*, members: Any, clients: Any) -> None:
    for fn in _DEMO_CLEANUPS.values():
        fn(members=members, clients=clients)
