"""API tokens through the API: created once, usable as Bearer or Token, revocable, hashed."""

import pytest
from django.test import Client

from trainerdesk.accounts.models import ApiToken
from trainerdesk.accounts.services import create_api_token


def _bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_token_shows_the_secret_once_and_stores_only_a_digest(owner, client_for):
    client = client_for(owner)

    response = client.post(
        "/api/v1/tokens", {"name": "nightly export"}, content_type="application/json"
    )

    assert response.status_code == 201
    body = response.json()
    full = body["token"]
    assert full.startswith(f"td_{body['prefix']}_")
    stored = ApiToken.objects.get(pk=body["id"])
    secret = full.split("_", 2)[2]
    # A database leak must not hand out working tokens.
    assert secret not in stored.digest
    assert stored.digest == ApiToken.hash_secret(secret)
    listed = client.get("/api/v1/tokens").json()
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0] and "digest" not in listed[0]
    assert full not in client.get("/api/v1/tokens").content.decode()


def test_blank_token_name_is_a_400_naming_the_field(owner, client_for):
    response = client_for(owner).post(
        "/api/v1/tokens", {"name": "   "}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith("name:")


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_token_authenticates_in_both_header_styles(owner, scheme):
    _, full = create_api_token(user=owner, name="script")

    response = Client(HTTP_AUTHORIZATION=f"{scheme} {full}").get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["username"] == "owner"
    assert ApiToken.objects.get().last_used_at is not None


def test_no_or_wrong_token_is_a_json_401(owner):
    _, full = create_api_token(user=owner, name="script")

    anonymous = Client().get("/api/v1/me")
    forged = _bearer(full[:-2] + "xx").get("/api/v1/me")

    for response in (anonymous, forged):
        assert response.status_code == 401
        assert "Authorization" in response.json()["message"]


def test_revoked_token_is_401(owner, client_for):
    token, full = create_api_token(user=owner, name="script")
    assert _bearer(full).get("/api/v1/me").status_code == 200

    response = client_for(owner).delete(f"/api/v1/tokens/{token.pk}")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert _bearer(full).get("/api/v1/me").status_code == 401


def test_someone_elses_token_cannot_be_revoked_or_seen(owner, outsider, client_for):
    token, full = create_api_token(user=owner, name="script")
    client = client_for(outsider)

    assert client.get("/api/v1/tokens").json() == []
    response = client.delete(f"/api/v1/tokens/{token.pk}")

    assert response.status_code == 404
    assert response.json()["message"] == "No such token"
    assert _bearer(full).get("/api/v1/me").status_code == 200


def test_token_owner_can_revoke_with_the_token_itself(owner):
    token, full = create_api_token(user=owner, name="script")

    assert _bearer(full).delete(f"/api/v1/tokens/{token.pk}").status_code == 200
    assert _bearer(full).get("/api/v1/me").status_code == 401


def test_me_lists_organizations_with_roles(org, owner, teammate, client_for):
    body = client_for(teammate).get("/api/v1/me").json()

    assert body["username"] == "teammate"
    assert body["organizations"] == [
        {"id": org.pk, "slug": org.slug, "name": "Acme Labs", "role": "member"}
    ]
