"""lib.audit.record(): registered actions, one transaction with the change, the chain,
what may and may not reach an event (secrets, personal data), bulk digests, request ids."""

import hashlib

import pytest
from django.db import transaction

from trainerdesk.accounts.models import AuditChain, AuditEvent
from trainerdesk.lib import audit


def _record(**kwargs):
    with transaction.atomic():
        return audit.record(**{"action": "accounts.membership.update", "system": "t", **kwargs})


def test_unknown_action_is_a_value_error_naming_it(db):
    with pytest.raises(ValueError, match="accounts.user.explode"), transaction.atomic():
        audit.record(action="accounts.user.explode", system="t")
    assert not AuditEvent.objects.filter(action="accounts.user.explode").exists()


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(audit.AuditError, match="inside the transaction"):
        audit.record(action="accounts.membership.update", system="t")
    assert AuditEvent.objects.count() == 0


def test_event_rolls_back_with_the_change(org):
    before = AuditEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(action="accounts.membership.update", organization=org, system="t")
        raise RuntimeError("the change failed")

    assert AuditEvent.objects.count() == before
    assert AuditChain.objects.get(key=f"org:{org.pk}").seq == before_seq(org)


def before_seq(org):
    return AuditEvent.objects.filter(organization_id=org.pk).count()


def test_events_chain_per_organization(org, outsider):
    other = outsider.memberships.get().organization
    a1 = _record(organization=org)
    b1 = _record(organization=other)
    a2 = _record(organization=org)

    assert a2.seq == a1.seq + 1 and a2.prev_hash == a1.hash
    assert b1.prev_hash != a1.hash and b1.chain_id != a1.chain_id
    line = audit.canonical_line(audit.event_fields(f"org:{org.pk}", a2.__dict__))
    assert a2.hash == hashlib.sha256(a1.hash.encode() + line).hexdigest()
    assert audit.verify(f"org:{org.pk}").broken is None


def test_first_event_of_a_chain_follows_the_genesis_hash(db):
    event = _record(organization=12345)

    assert event.seq == 1 and event.prev_hash == "0" * 64
    assert event.chain.key == "org:12345"


def test_stored_event_verifies_after_the_database_round_trip(org):
    _record(
        organization=org,
        changes={"ratio": 0.1, "tiny": 1e-7, "name": "Zoë ✓", "when": [1, 2], "n": None},
        reason="customer asked",
        object_type="workbench.project",
        object_id=7,
    )

    report = audit.verify(f"org:{org.pk}")

    assert report.broken is None and report.events == before_seq(org)


def test_canonical_line_is_sorted_compact_utf8(db):
    event = _record(organization=99, changes={"b": 1, "a": "é"})
    line = audit.canonical_line(audit.event_fields("org:99", event.__dict__))

    assert line.startswith(b'{"action":"accounts.membership.update","actor_id":null')
    assert b" " not in line and b"\n" not in line
    assert '"changes":{"a":"é","b":1}'.encode() in line
    assert b'"created_at":"' in line and line.count(b'Z"') >= 1


def test_secrets_are_redacted_and_personal_data_not_copied(db):
    event = _record(
        organization=1,
        changes={
            "password": {"before": "old-pw", "after": "new-pw"},
            "api_token": "td_abc_secret",
            "email": {"before": "a@example.org", "after": "b@example.org"},
            "role": {"before": "member", "after": "admin"},
        },
    )

    assert event.changes == {
        "password": {"before": "[redacted]", "after": "[redacted]"},
        "api_token": "[redacted]",
        "email": {"before": "[personal]", "after": "[personal]"},
        "role": {"before": "member", "after": "admin"},
    }


def test_secrets_inside_nested_settings_are_redacted_too(db):
    event = _record(
        organization=1,
        changes={
            "webhook": {
                "before": {"url": "https://a.example/hook", "signing_secret": "s1"},
                "after": {"url": "https://b.example/hook", "signing_secret": "s2"},
            },
            "targets": [{"email": "x@example.org", "kind": "mail"}],
        },
    )

    assert event.changes["webhook"]["after"] == {
        "url": "https://b.example/hook",
        "signing_secret": "[redacted]",
    }
    assert event.changes["targets"] == [{"email": "[personal]", "kind": "mail"}]
    assert "s1" not in str(event.changes) and "x@example.org" not in str(event.changes)


def test_changed_fields_lists_only_what_changed(owner):
    before = audit.snapshot(owner, ["username", "is_active", "email"])
    owner.is_active = False
    owner.email = "new@example.org"

    assert audit.changed_fields(before, owner, ["username", "is_active", "email"]) == {
        "is_active": {"before": True, "after": False},
        "email": {"before": "owner@example.org", "after": "new@example.org"},
    }
    assert audit.changed_fields(None, {"name": "x", "empty": ""}, ["name", "empty"]) == {
        "name": {"after": "x"}
    }


def test_record_bulk_writes_one_event_with_count_and_ids_digest(db):
    with transaction.atomic():
        event = audit.record_bulk(
            action="workbench.item.gold_mark",
            object_type="workbench.item",
            ids=[30, 4, 200],
            changes={"is_gold": True},
            project=5,
            organization=1,
            system="t",
        )

    expected = hashlib.sha256(b"4\n30\n200").hexdigest()
    assert event.changes == {"is_gold": True, "count": 3, "ids_sha256": expected}
    assert event.project_id == 5
    assert audit.ids_digest([200, 30, 4]) == (3, expected)


def test_ip_only_on_sign_in_events(db):
    with pytest.raises(audit.AuditError, match="IP"):
        _record(ip="10.0.0.1")


def test_an_actor_is_required_inside_a_request(db):
    token = audit.set_default_actor(None)
    try:
        with pytest.raises(audit.AuditError, match="by=request.user"), transaction.atomic():
            audit.record(action="accounts.membership.update")
    finally:
        audit.reset_default_actor(token)


def test_outside_requests_an_unnamed_actor_is_marked_unattributed(db):
    with transaction.atomic():
        event = audit.record(action="accounts.membership.update")
    with audit.acting_as("cli:demo"), transaction.atomic():
        named = audit.record(action="accounts.membership.update")

    assert (event.actor_id, event.actor_system) == (None, "unattributed")
    assert named.actor_system == "cli:demo"


def test_request_id_comes_from_the_header_or_a_new_uuid(owner, client_for):
    client = client_for(owner)

    given = client.post(
        "/api/v1/tokens",
        {"name": "ci"},
        content_type="application/json",
        headers={"X-Request-ID": "req-42.abc"},
    )
    hostile = client.post(
        "/api/v1/tokens",
        {"name": "ci2"},
        content_type="application/json",
        headers={"X-Request-ID": "<script>" + "x" * 100},
    )

    assert given["X-Request-ID"] == "req-42.abc"
    events = AuditEvent.objects.filter(action="accounts.apitoken.create").order_by("pk")
    assert events[0].request_id == "req-42.abc"
    assert len(hostile["X-Request-ID"]) == 32 and "<" not in hostile["X-Request-ID"]
    assert events[1].request_id == hostile["X-Request-ID"]
    assert audit.current_request_id() == ""


def test_inside_a_request_a_write_without_an_actor_fails(rf, db):
    from trainerdesk.middleware import RequestIdMiddleware

    def view_forgetting_by(request):
        with transaction.atomic():
            audit.record(action="accounts.membership.update", organization=1)

    with pytest.raises(audit.AuditError, match="by=request.user"):
        RequestIdMiddleware(view_forgetting_by)(rf.get("/"))
    # Outside the request the default actor is back.
    with transaction.atomic():
        assert audit.record(action="accounts.membership.update").actor_system == "unattributed"


def test_non_admins_see_an_explanation_on_the_audit_index(teammate, org, client_for):
    body = client_for(teammate).get("/audit/").content.decode()

    assert "owners and admins" in body


def test_organization_is_inferred_from_project_or_object(org, owner):
    class Project:
        pk, organization_id = 7, org.pk

    membership = org.memberships.get(user=owner)
    with transaction.atomic():
        from_project = audit.record(action="workbench.project.update", project=Project(), by=owner)
        from_object = audit.record(action="accounts.membership.update", obj=membership, by=owner)
        from_org = audit.record(action="accounts.organization.create", obj=org, by=owner)
        token = audit.record(action="accounts.apitoken.revoke", object_type="x", by=owner)

    assert (from_project.organization_id, from_project.project_id) == (org.pk, 7)
    assert from_object.organization_id == org.pk and from_org.organization_id == org.pk
    assert from_object.chain.key == f"org:{org.pk}" and token.chain.key == "global"
