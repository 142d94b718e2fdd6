"""`trainerdesk audit verify`: OK with counts on an intact log; on a tampered row (the
trigger lifted inside the test's transaction, which rolls it back) names that event."""

from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.accounts.services import add_member
from trainerdesk.lib import audit, audit_sql


@contextmanager
def triggers_lifted():
    """Raw SQL past the append-only triggers, as someone with database access could.
    DDL is transactional on both databases: the test's rollback restores the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {audit_sql.TABLE} DISABLE TRIGGER audit_event_append_only")
        else:
            for sql in audit_sql.SQLITE_DROP:
                cursor.execute(sql)
        yield cursor


def _verify(*args):
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def log(org, owner, teammate):
    """Acme's chain with a few events: creation, owner, teammate, role changes."""
    add_member(organization=org, user=teammate, role="admin", by=owner)
    add_member(organization=org, user=teammate, role="member", by=owner)
    return list(AuditEvent.objects.filter(organization_id=org.pk).order_by("seq"))


def test_intact_log_verifies_with_counts(log, org):
    out = _verify()

    assert f"OK org:{org.pk} (Acme Labs): {len(log)} events" in out
    assert "OK global:" in out
    assert f"OK org:{org.pk}" in _verify("--org", str(org.pk))


def test_changed_content_names_the_event(log, org):
    victim = log[2]
    with triggers_lifted() as cursor:
        cursor.execute(
            f"UPDATE {audit_sql.TABLE} SET changes = %s WHERE id = %s",
            ['{"role": {"after": "owner"}, "user_id": 1}', victim.pk],
        )

    with pytest.raises(CommandError) as exc:
        _verify("--org", str(org.pk))

    message = str(exc.value)
    assert f"event id={victim.pk} seq={victim.seq} org={org.pk}" in message
    assert "content changed" in message
    assert exc.value.returncode == 1


def test_rewritten_hash_names_the_next_event(log, org):
    victim, successor = log[1], log[2]
    with triggers_lifted() as cursor:
        # Recompute the victim's hash after editing it, as a careful forger would.
        cursor.execute(
            f"UPDATE {audit_sql.TABLE} SET reason = 'backdated' WHERE id = %s", [victim.pk]
        )
        edited = AuditEvent.objects.values().get(pk=victim.pk)
        forged = audit.chain_hash(
            edited["prev_hash"], audit.canonical_line(audit.event_fields(f"org:{org.pk}", edited))
        )
        cursor.execute(f"UPDATE {audit_sql.TABLE} SET hash = %s WHERE id = %s", [forged, victim.pk])

    with pytest.raises(
        CommandError, match=f"event id={successor.pk} seq={successor.seq}.*prev_hash"
    ):
        _verify()


def test_deleted_event_is_a_gap(log, org):
    with triggers_lifted() as cursor:
        cursor.execute(f"DELETE FROM {audit_sql.TABLE} WHERE id = %s", [log[1].pk])

    with pytest.raises(CommandError, match=f"event id={log[2].pk} seq=3 .*events missing"):
        _verify()


def test_deleted_last_event_is_caught_by_the_chain_head(log, org):
    with triggers_lifted() as cursor:
        cursor.execute(f"DELETE FROM {audit_sql.TABLE} WHERE id = %s", [log[-1].pk])

    with pytest.raises(CommandError, match=f"seq={log[-1].seq} org={org.pk}: the chain head"):
        _verify()


def test_only_the_named_organization_is_checked(log, org, outsider):
    other = outsider.memberships.get().organization
    with triggers_lifted() as cursor:
        cursor.execute(f"UPDATE {audit_sql.TABLE} SET reason = 'x' WHERE id = %s", [log[0].pk])

    assert f"OK org:{other.pk}" in _verify("--org", str(other.pk))
    with pytest.raises(CommandError, match="no such organization"):
        _verify("--org", "987654")


def test_verify_after_a_deleted_organization_still_checks_its_chain(log, org):
    with transaction.atomic():
        org.delete()

    assert f"OK org:{log[0].organization_id} (deleted organization)" in _verify()
