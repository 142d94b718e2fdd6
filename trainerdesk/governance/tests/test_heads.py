"""Daily chain heads: computed from the events, stored idempotently, exported, and a
rewritten old event (even with every later hash re-chained, so the chain itself verifies)
found through the heads, naming its day."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from trainerdesk.accounts.models import AuditChain, AuditEvent
from trainerdesk.accounts.services import add_member
from trainerdesk.accounts.tests.test_audit_verify import triggers_lifted
from trainerdesk.governance.models import ChainHead
from trainerdesk.governance.services import heads
from trainerdesk.lib import audit, audit_sql

DAYS = [date(2031, 3, 1), date(2031, 3, 2), date(2031, 3, 4)]
AFTER = date(2031, 3, 5)


@pytest.fixture
def log(org, owner, teammate, monkeypatch):
    """Acme's chain: its creation today, then two role changes on each of three later days."""
    for day in DAYS:
        for hour in (9, 17):
            at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            monkeypatch.setattr("django.utils.timezone.now", lambda at=at: at)
            role = "admin" if hour == 9 else "member"
            add_member(organization=org, user=teammate, role=role, by=owner)
    monkeypatch.undo()
    return list(AuditEvent.objects.filter(organization_id=org.pk).order_by("seq"))


def _rewrite(event_id: int, changes: str) -> None:
    """Change an event's content and re-chain every later hash, as someone with database
    access who knows the hash scheme would: the chain then verifies again."""
    with triggers_lifted() as cursor:
        cursor.execute(
            f"UPDATE {audit_sql.TABLE} SET changes = %s WHERE id = %s", [changes, event_id]
        )
        victim = AuditEvent.objects.get(pk=event_id)
        key = victim.chain.key
        rows = AuditEvent.objects.filter(chain_id=victim.chain_id, seq__gte=victim.seq)
        prev = AuditEvent.objects.get(chain_id=victim.chain_id, seq=victim.seq - 1).hash
        columns = ("pk", *audit.HASHED_COLUMNS)
        for row in rows.order_by("seq").values(*columns):
            h = audit.chain_hash(prev, audit.canonical_line(audit.event_fields(key, row)))
            cursor.execute(
                f"UPDATE {audit_sql.TABLE} SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev, h, row["pk"]],
            )
            prev = h
        AuditChain.objects.filter(pk=victim.chain_id).update(head_hash=prev)


def test_heads_are_the_last_event_of_each_day(log, org):
    got, broken = heads.recompute_heads(audit.chain_key(org.pk), before=AFTER)

    assert broken is None
    assert [h.day for h in got][-3:] == DAYS
    by_day = {h.day: h for h in got}
    last_of_first_day = [e for e in log if e.created_at.date() == DAYS[0]][-1]
    h = by_day[DAYS[0]]
    assert (h.event_id, h.seq, h.head_hash) == (
        last_of_first_day.pk,
        last_of_first_day.seq,
        last_of_first_day.hash,
    )
    assert h.day_events == 2
    # The day not over yet has no head.
    early, _ = heads.recompute_heads(audit.chain_key(org.pk), before=DAYS[2])
    assert DAYS[2] not in {x.day for x in early}


def test_recording_is_idempotent_and_anchored_in_the_global_chain(log, org):
    first = heads.record_chain_heads(before=AFTER, system="test")
    stored = ChainHead.objects.filter(chain=audit.chain_key(org.pk))
    assert first.added >= 3 and stored.count() >= 3
    event = AuditEvent.objects.filter(action="governance.chain_heads.record").get()
    assert event.organization_id is None and event.changes["heads"] == first.added

    again = heads.record_chain_heads(before=AFTER, system="test")

    assert again.added == 0
    assert AuditEvent.objects.filter(action="governance.chain_heads.record").count() == 1


def test_rewritten_old_event_is_found_by_its_day(log, org):
    heads.record_chain_heads(before=AFTER, system="test")
    victim = [e for e in log if e.created_at.date() == DAYS[1]][0]
    _rewrite(victim.pk, '{"role": {"after": "owner"}}')
    # The rewrite re-chained every later hash: the chain alone verifies.
    assert audit.verify(audit.chain_key(org.pk)).broken is None

    found = heads.check_heads(heads.stored_heads([audit.chain_key(org.pk)]), before=AFTER)

    assert [(m.chain, m.day) for m in found] == [(audit.chain_key(org.pk), DAYS[1])]
    with pytest.raises(CommandError, match=f"daily heads: org:{org.pk}: the head of 2031-03-02"):
        call_command("audit", "verify", stdout=StringIO())


def test_export_then_check_a_kept_copy(log, org, tmp_path):
    kept = tmp_path / "heads.csv"
    # The test's days are ahead of today. (That also heads today's global chain, which the
    # record event then extends: the check below is of the org chain.)
    heads.record_chain_heads(before=AFTER, system="test")
    out = StringIO()
    call_command("audit", "heads", "--export", str(kept), stdout=out)
    assert "Wrote" in out.getvalue()
    parsed = heads.parse_export(kept.read_text())
    assert {h.day for h in parsed} >= set(DAYS)
    call_command("audit", "heads", "--check", str(kept), "--org", str(org.pk), stdout=StringIO())

    victim = [e for e in log if e.created_at.date() == DAYS[0]][1]
    _rewrite(victim.pk, '{"role": {"after": "owner"}}')
    with pytest.raises(CommandError, match="the head of 2031-03-01 differs"):
        call_command(
            "audit", "heads", "--check", str(kept), "--org", str(org.pk), stdout=StringIO()
        )


def test_json_export_round_trips(log, org):
    heads.record_chain_heads(before=AFTER, system="test")
    stored = list(heads.stored_heads())
    assert heads.parse_export(heads.export_json(stored)) == stored
    assert heads.parse_export(heads.export_csv(stored)) == stored
    with pytest.raises(ValueError, match="not a heads export"):
        heads.parse_export("a,b\n1,2\n")


def test_page_and_export_for_owners_only(client, log, org, owner, teammate, outsider):
    heads.record_chain_heads(before=AFTER, system="test")
    url = f"/org/{org.pk}/audit/heads/"
    client.force_login(owner)
    page = client.get(url)
    assert page.status_code == 200
    assert ChainHead.objects.filter(chain=f"org:{org.pk}", day=DAYS[0]).get().head_hash in (
        page.content.decode()
    )
    csv_body = client.get(f"/org/{org.pk}/audit/heads.csv")
    assert csv_body.status_code == 200 and csv_body.content.startswith(b"chain,organization_id")
    assert client.get(f"/org/{org.pk}/audit/heads.json").json()["format"] == heads.EXPORT_FORMAT
    assert "Every stored head matches" in client.get(url + "?check=1").content.decode()
    before = ChainHead.objects.count()
    assert client.post(url).status_code == 302  # tasks run inline in tests
    assert ChainHead.objects.count() >= before
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(f"/org/{org.pk}/audit/heads.csv").status_code == 404
        assert client.post(url).status_code == 404


def test_today_has_no_head_until_it_is_over(org):
    today = datetime.now(UTC).date()
    got, _ = heads.recompute_heads(audit.chain_key(org.pk))
    assert today not in {h.day for h in got}
    got, _ = heads.recompute_heads(audit.chain_key(org.pk), before=today + timedelta(days=1))
    assert today in {h.day for h in got}


def test_api_lists_the_org_heads(client, log, org, owner, teammate, outsider):
    heads.record_chain_heads(before=AFTER, system="test")
    client.force_login(owner)
    body = client.get(f"/api/v1/orgs/{org.pk}/audit/heads").json()
    assert [h["day"] for h in body][-3:] == [d.isoformat() for d in DAYS]
    assert {h["chain"] for h in body} == {f"org:{org.pk}"}
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(f"/api/v1/orgs/{org.pk}/audit/heads").status_code == 404


def test_a_deleted_day_is_named(log, org):
    heads.record_chain_heads(before=AFTER, system="test")
    last_day = [e for e in log if e.created_at.date() == DAYS[2]]
    with triggers_lifted() as cursor:
        cursor.execute(
            f"DELETE FROM {audit_sql.TABLE} WHERE id IN (%s, %s)",
            [last_day[0].pk, last_day[1].pk],
        )

    found = heads.check_heads(heads.stored_heads([audit.chain_key(org.pk)]), before=AFTER)

    assert [(m.day, m.found) for m in found] == [(DAYS[2], "no events that day")]
