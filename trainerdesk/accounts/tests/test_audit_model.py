"""Audit events are append-only: the ORM refuses every update and delete path, and the
database triggers refuse raw UPDATE and DELETE (SQLite and PostgreSQL)."""

import pytest
from django.db import DatabaseError, connection, transaction

from trainerdesk.accounts.models import AppendOnlyError, AuditChain, AuditEvent
from trainerdesk.lib import audit


@pytest.fixture
def event(db):
    with transaction.atomic():
        return audit.record(action="accounts.membership.update", organization=1, system="t")


@pytest.mark.parametrize(
    "write",
    [
        lambda e: AuditEvent.objects.filter(pk=e.pk).update(reason="x"),
        lambda e: AuditEvent.objects.filter(pk=e.pk).delete(),
        lambda e: AuditEvent.objects.all().delete(),
        lambda e: AuditEvent.objects.bulk_update([e], ["reason"]),
        lambda e: e.delete(),
        lambda e: e.save(),
        lambda e: AuditEvent.objects.update_or_create(pk=e.pk, defaults={"reason": "x"}),
    ],
    ids=["update", "delete", "delete-all", "bulk_update", "instance-delete", "re-save", "uoc"],
)
def test_orm_refuses_to_change_an_event(event, write):
    # In a savepoint: save() fails inside its own atomic block, which dooms the outer one.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        write(event)
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_a_chain_with_events_cannot_be_deleted_through_the_orm(event):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        AuditChain.objects.filter(pk=event.chain_id).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET reason = 'edited' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ],
    ids=["UPDATE", "DELETE"],
)
def test_database_trigger_refuses_raw_sql(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db(transaction=True)
def test_a_full_flush_still_empties_the_log():
    """pytest-django flushes between transactional tests: TRUNCATE on PostgreSQL, and on
    SQLite a DELETE with the trigger lifted for that flush alone (lib/pytest_env.py)."""
    from django.core.management import call_command

    with transaction.atomic():
        audit.record(action="accounts.membership.update", organization=1, system="t")

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 0 and AuditChain.objects.count() == 0
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        # The trigger is back after the flush.
        with transaction.atomic():
            audit.record(action="accounts.membership.update", organization=1, system="t")
        cursor.execute("DELETE FROM accounts_auditevent")
