"""Accounts' own writes leave audit events: organizations, memberships, users, API
tokens (never the token), passwords, sign-ins and failed sign-ins."""

import pytest
from django.test import Client

from conftest import PASSWORD
from trainerdesk.accounts import services
from trainerdesk.accounts.models import ApiToken, AuditEvent, Membership


def _events(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


def test_create_organization_records_the_org_and_its_owner(owner):
    org = services.create_organization(name="Beta Lab", owner=owner)

    (created,) = _events("accounts.organization.create", organization_id=org.pk)
    (member,) = _events("accounts.membership.create", organization_id=org.pk)
    assert created.actor_id == owner.pk and created.object_id == str(org.pk)
    assert created.changes == {"name": {"after": "Beta Lab"}, "slug": {"after": "beta-lab"}}
    assert member.changes == {"role": {"after": "owner"}, "user_id": owner.pk}
    assert (created.seq, member.seq) == (1, 2)


def test_role_change_and_removal_record_before_and_after(org, owner, teammate):
    services.add_member(organization=org, user=teammate, role="admin", by=owner)
    services.add_member(organization=org, user=teammate, role="admin", by=owner)  # no change
    services.remove_member(organization=org, user=teammate, by=owner)

    (changed,) = _events("accounts.membership.update", organization_id=org.pk)
    (removed,) = _events("accounts.membership.delete", organization_id=org.pk)
    assert changed.changes == {
        "role": {"before": "member", "after": "admin"},
        "user_id": teammate.pk,
    }
    assert changed.actor_id == owner.pk
    assert removed.changes == {"role": {"before": "admin"}, "user_id": teammate.pk}
    assert not Membership.objects.filter(organization=org, user=teammate).exists()


def test_the_last_owner_cannot_be_removed(org, owner):
    with pytest.raises(services.AccountError, match="last owner"):
        services.remove_member(organization=org, user=owner, by=owner)
    assert not _events("accounts.membership.delete")


def test_create_user_records_the_id_not_the_name_or_email(db):
    user = services.create_user(username="newbie", password=PASSWORD, email="n@example.org")

    (event,) = _events("accounts.user.create", object_id=str(user.pk))
    assert event.organization_id is None and event.chain.key == "global"
    assert "newbie" not in str(event.changes) and "n@example.org" not in event.reason


def test_token_events_never_hold_the_token(owner, client_for):
    client = client_for(owner)
    created = client.post("/api/v1/tokens", {"name": "ci"}, content_type="application/json")
    token_id, full = created.json()["id"], created.json()["token"]
    client.delete(f"/api/v1/tokens/{token_id}")
    client.delete(f"/api/v1/tokens/{token_id}")  # already revoked: nothing more recorded

    (made,) = _events("accounts.apitoken.create")
    (revoked,) = _events("accounts.apitoken.revoke")
    token = ApiToken.objects.get(pk=token_id)
    for event in (made, revoked):
        assert event.actor_id == owner.pk and event.object_id == str(token_id)
        text = str(event.changes)
        assert full.split("_", 2)[2] not in text and token.digest not in text
    assert made.changes["prefix"] == {"after": token.prefix}


def test_token_page_records_create_and_revoke(owner, client_for):
    client = client_for(owner)
    client.post("/accounts/tokens/", {"name": "laptop"})
    token = ApiToken.objects.get()
    client.post(f"/accounts/tokens/{token.pk}/revoke/")

    assert [e.action for e in AuditEvent.objects.filter(object_type="accounts.apitoken")] == [
        "accounts.apitoken.create",
        "accounts.apitoken.revoke",
    ]


def test_sign_in_and_failed_sign_in_are_recorded_with_the_address(owner):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})

    failed = _events("accounts.user.login_failed")
    (ok,) = _events("accounts.user.login")
    assert [(e.object_id, e.changes, e.ip) for e in failed] == [
        (str(owner.pk), {"known_user": True}, "203.0.113.9"),
        ("", {"known_user": False}, "203.0.113.9"),
    ]
    assert "nobody" not in str([e.__dict__ for e in failed])
    assert (ok.actor_id, ok.ip, ok.chain.key) == (owner.pk, "203.0.113.9", "global")
    assert ok.request_id and failed[0].actor_id is None


def test_password_change_is_recorded_without_the_password(owner, client_for):
    client = client_for(owner)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-9",
            "new_password2": "another-long-passphrase-9",
        },
    )

    assert response.status_code == 302
    (event,) = _events("accounts.user.password_change")
    assert event.actor_id == owner.pk and event.changes == {}
    owner.refresh_from_db()
    assert owner.check_password("another-long-passphrase-9")
    # Still signed in: the session hash was updated.
    assert client.get("/accounts/tokens/").status_code == 200
