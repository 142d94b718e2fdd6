"""Every write operation of the API (POST/PUT/PATCH/DELETE in /api/v1/openapi.json) is
listed, by the app that owns it, in that app's `tests/audit_coverage.py` (WRITES: the
audit action(s) it must leave, or the reason it leaves none; DRIVERS: a function that
calls it). A new endpoint fails `test_every_write_operation_is_listed` until its app
lists it, and an audited one fails `test_audited_operation_leaves_its_event` until a
driver calls it and the event appears.

The registries are found by name from INSTALLED_APPS, so this file sits outside every
app and no app imports another's tests.
"""

import importlib

import pytest
from django.conf import settings

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib.audit_actions import ACTIONS
from trainerdesk.lib.audit_coverage import NotAudited


def _registries():
    for app in settings.INSTALLED_APPS:
        if not app.startswith("trainerdesk."):
            continue
        try:
            yield app, importlib.import_module(f"{app}.tests.audit_coverage")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.tests.audit_coverage" and exc.name != f"{app}.tests":
                raise


WRITES: dict = {}
DRIVERS: dict = {}
OWNER: dict = {}
for _app, _module in _registries():
    for _op in _module.WRITES:
        assert _op not in WRITES, f"{_op} is listed by {OWNER[_op]} and {_app}"
        OWNER[_op] = _app
    WRITES.update(_module.WRITES)
    DRIVERS.update(getattr(_module, "DRIVERS", {}))

WRITE_METHODS = {"post", "put", "patch", "delete"}


@pytest.fixture
def write_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in WRITE_METHODS
    }


def test_every_write_operation_is_listed(write_operations):
    missing = sorted(write_operations - WRITES.keys())
    stale = sorted(WRITES.keys() - write_operations)

    assert not missing, (
        f"write operations no app lists in its tests/audit_coverage.py WRITES: {missing}"
    )
    assert not stale, f"WRITES lists operations the API no longer has: {stale}"


def test_listed_actions_are_registered():
    for op, expected in WRITES.items():
        if not isinstance(expected, NotAudited):
            unknown = set(expected) - ACTIONS.keys()
            assert not unknown, f"{op}: {unknown} not in lib/audit_actions.py"


AUDITED = sorted(op for op, expected in WRITES.items() if not isinstance(expected, NotAudited))


def test_every_audited_operation_has_a_driver():
    assert set(AUDITED) <= DRIVERS.keys(), sorted(set(AUDITED) - DRIVERS.keys())


@pytest.mark.parametrize("operation", AUDITED, ids=" ".join)
def test_audited_operation_leaves_its_event(operation, owner, project, client_for, request):
    driver = DRIVERS.get(operation)
    assert driver, f"{operation}: add a driver that calls it to its app's DRIVERS"
    client = client_for(owner)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    driver(client, project=project, request=request)

    actions = set(AuditEvent.objects.filter(pk__gt=last).values_list("action", flat=True))
    # Each expected action is one possible outcome (a review accepts or rejects...).
    assert actions & set(WRITES[operation]), f"{operation} left {actions or 'no event'}"
