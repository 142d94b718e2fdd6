"""lib.audit.redact_events: the pseudonymisation door into the append-only log."""

import pytest
from django.db import DatabaseError, connection, transaction

from trainerdesk.accounts.models import AuditEvent, Organization
from trainerdesk.lib import audit


def _event(org, **kw):
    with transaction.atomic():
        return audit.record(action="accounts.organization.create", obj=org, system="t", **kw)


@pytest.fixture
def events(db):
    org = Organization.objects.create(name="Acme", slug="acme")
    first = _event(org, changes={"note": "call Zelda at home"}, reason="Zelda asked")
    second = _event(org, changes={"count": 2})
    return org, first, second


def test_redacted_event_keeps_the_chain_verifiable(events):
    org, first, second = events
    with transaction.atomic():
        marker = audit.redact_events(
            {first.pk: {"changes": {"note": "[erased]"}, "reason": "[erased]"}}, system="t"
        )
    row = AuditEvent.objects.get(pk=first.pk)
    assert row.changes == {"note": "[erased]"} and row.reason == "[erased]"
    assert row.redacted_by == marker.pk and row.hash == first.hash
    assert audit.verify(audit.chain_key(org.pk)).broken is None
    assert audit.verify(audit.GLOBAL_CHAIN).broken is None
    assert marker.changes["events"].keys() == {str(first.pk)}


def test_only_changes_reason_and_ip_may_be_rewritten(events):
    _, first, _ = events
    with pytest.raises(audit.AuditError), transaction.atomic():
        audit.redact_events({first.pk: {"action": "accounts.user.login"}}, system="t")
    with pytest.raises(audit.AuditError), transaction.atomic():
        audit.redact_events({first.pk + 1000: {"reason": ""}}, system="t")  # no such event


def test_the_trigger_still_refuses_plain_updates_and_deletes(events):
    _, first, _ = events
    for sql in (
        "UPDATE accounts_auditevent SET reason = 'x' WHERE id = %s",
        "UPDATE accounts_auditevent SET action = 'x', redacted_by = 999999 WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [first.pk])


def test_changing_a_redacted_event_afterwards_is_found(events):
    org, first, _ = events
    with transaction.atomic():
        audit.redact_events({first.pk: {"reason": "[erased]"}}, system="t")
    with transaction.atomic(), connection.cursor() as cursor:
        # The trigger cannot know whether the new redacted_by names a real redaction:
        # verify() does.
        cursor.execute(
            "UPDATE accounts_auditevent SET reason = 'Zelda', redacted_by = redacted_by + 1 "
            "WHERE id = %s",
            [first.pk],
        )
    broken = audit.verify(audit.chain_key(org.pk)).broken
    assert broken is not None and broken.event_id == first.pk
