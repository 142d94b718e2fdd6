"""The JSON API: every action, its events and its denials."""

from trainerdesk.accounts.services import create_user
from trainerdesk.network.models import Candidate, Client, Member, Membership


def test_apply_decide_activate_renew_cancel(api, staff, events, sign_contract):
    user = create_user(username="ann", password="x", check_password=False)
    body = {"display_name": "Ann", "country": "AT", "vat_status": "not_registered"}
    created = api(user, "post", "/api/v1/network/members", body)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    member_id = created.json()["id"]
    assert (
        api(
            user, "post", f"/api/v1/network/members/{member_id}/decision", {"approve": True}
        ).status_code
        == 404
    )
    assert (
        api(
            staff, "post", f"/api/v1/network/members/{member_id}/decision", {"approve": True}
        ).status_code
        == 200
    )
    period = Membership.objects.get(member_id=member_id)
    assert api(user, "post", f"/api/v1/network/memberships/{period.pk}/activate").status_code == 404
    unsigned = api(staff, "post", f"/api/v1/network/memberships/{period.pk}/activate")
    assert unsigned.status_code == 409 and "member agreement" in unsigned.json()["message"]
    sign_contract(member=Member.objects.get(pk=member_id))  # contracts' gate
    active = api(staff, "post", f"/api/v1/network/memberships/{period.pk}/activate").json()
    assert active["status"] == "active" and active["period_end"]
    me = api(user, "get", "/api/v1/network/me").json()
    assert me["personas"] == ["member"] and me["can_submit"] is True
    renewal = api(user, "post", f"/api/v1/network/members/{member_id}/renewal")
    assert renewal.status_code == 201
    assert api(user, "post", f"/api/v1/network/members/{member_id}/renewal").status_code == 409
    cancelled = api(
        user, "post", f"/api/v1/network/memberships/{renewal.json()['id']}/cancel", {"reason": "x"}
    )
    assert cancelled.json()["status"] == "cancelled"
    listing = api(staff, "get", "/api/v1/network/members", {"limit": 1}).json()
    assert len(listing["members"]) == 1
    assert events()[-1] == "network.membership.cancel"


def test_member_list_pages_by_keyset(api, staff, member, other_member):
    first = api(staff, "get", "/api/v1/network/members", {"limit": 1}).json()
    second = api(
        staff, "get", "/api/v1/network/members", {"limit": 1, "after": first["next_after"]}
    ).json()
    assert first["members"][0]["id"] < second["members"][0]["id"] and second["next_after"] is None


def test_guides(api, member, candidate):
    guides = api(member, "get", "/api/v1/network/guides").json()
    assert [g["done"] for g in guides] == [False] * 4
    done = api(member, "post", "/api/v1/network/guides/network-rules/complete")
    assert done.json()["done"] is True
    assert api(member, "post", "/api/v1/network/guides/nope/complete").status_code == 404
    assert api(candidate, "get", "/api/v1/network/guides").status_code == 404


def test_clients_and_contacts(api, staff, member, events):
    body = {"name": "Initech", "country": "AT", "vat_id": "ATU13585627"}
    assert api(member, "post", "/api/v1/network/clients", body).status_code == 404
    bad = api(staff, "post", "/api/v1/network/clients", body | {"vat_id": "ATU13585628"})
    assert bad.status_code == 400 and "vat_id" in bad.json()["message"]
    mismatch = api(staff, "post", "/api/v1/network/clients", body | {"country": "DE"})
    assert "does not belong" in mismatch.json()["message"]
    created = api(staff, "post", "/api/v1/network/clients", body).json()
    cid = created["id"]
    assert (
        api(staff, "patch", f"/api/v1/network/clients/{cid}", {"city": "Wien"}).json()["city"]
        == "Wien"
    )
    assert (
        api(staff, "post", f"/api/v1/network/clients/{cid}/decision", {"approve": True}).json()[
            "status"
        ]
        == "approved"
    )
    contact = api(
        staff,
        "post",
        f"/api/v1/network/clients/{cid}/contacts",
        {"username": "peter", "password": "a-long-enough-password-1", "email": "p@example.org"},
    )
    assert contact.status_code == 201 and contact.json()["username"] == "peter"
    missing = api(staff, "post", f"/api/v1/network/clients/{cid}/contacts", {"username": "ghost"})
    assert missing.status_code == 400 and "username" in missing.json()["message"]
    assert events() == [
        "network.client.create",
        "network.client.update",
        "network.client.approve",
        "accounts.user.create",
        "network.clientcontact.create",
    ]


def test_candidates(api, member, other_member, staff, candidate, client_company, events):
    body = {
        "full_name": "Dana",
        "email": "Dana@Example.org",
        "languages": [{"code": "en", "level": "B2"}],
        "consent_held": True,
        "hours_per_week": 12,
    }
    created = api(member, "post", "/api/v1/network/candidates", body)
    assert created.status_code == 201, created.json()
    dana = created.json()
    assert dana["email"] == "dana@example.org" and dana["languages"] == [
        {"code": "en", "level": "B2"}
    ]
    dup = api(other_member, "post", "/api/v1/network/candidates", body | {"full_name": "Other"})
    assert dup.status_code == 409 and dup.json()["message"].startswith("email:")
    assert "Dana" not in dup.json()["message"]
    bad = api(
        member,
        "post",
        "/api/v1/network/candidates",
        {"full_name": "X", "email": "x@example.org", "tools": ["Hammer"]},
    )
    assert bad.status_code == 400 and "tools" in bad.json()["message"]
    patched = api(member, "patch", f"/api/v1/network/candidates/{dana['id']}", {"location": "Linz"})
    assert patched.json()["location"] == "Linz"
    assert (
        api(
            other_member, "patch", f"/api/v1/network/candidates/{dana['id']}", {"location": "x"}
        ).status_code
        == 404
    )
    found = api(member, "get", "/api/v1/network/candidates", {"q": "dan"}).json()["candidates"]
    assert [c["id"] for c in found] == [dana["id"]]
    # representation request, answered by the candidate with a login
    req = api(
        other_member,
        "post",
        "/api/v1/network/representation-requests",
        {"field": "email", "value": "candidate@example.org"},
    )
    assert req.status_code == 201
    assert (
        api(
            member,
            "post",
            f"/api/v1/network/representation-requests/{req.json()['id']}/answer",
            {"grant": True},
        ).status_code
        == 404
    )
    mine = api(candidate, "get", "/api/v1/network/representation-requests").json()
    assert [r["member"] for r in mine] == ["Otto Other"]
    assert (
        api(
            candidate,
            "post",
            f"/api/v1/network/representation-requests/{req.json()['id']}/answer",
            {"grant": False},
        ).json()["status"]
        == "declined"
    )
    # consents
    person = candidate.candidate.pk
    consent = api(
        candidate,
        "post",
        f"/api/v1/network/candidates/{person}/consents",
        {"purpose": "submit_to_client", "client": client_company.pk},
    )
    assert consent.status_code == 201
    assert (
        api(
            other_member, "post", f"/api/v1/network/consents/{consent.json()['id']}/withdraw"
        ).status_code
        == 404
    )
    assert api(
        candidate, "post", f"/api/v1/network/consents/{consent.json()['id']}/withdraw"
    ).json()["withdrawn_at"]
    # merge (staff only)
    assert (
        api(
            member, "post", f"/api/v1/network/candidates/{person}/merge", {"duplicate": dana["id"]}
        ).status_code
        == 404
    )
    merged = api(
        staff, "post", f"/api/v1/network/candidates/{person}/merge", {"duplicate": dana["id"]}
    )
    assert merged.status_code == 200
    assert Candidate.objects.get(pk=dana["id"]).merged_into_id == person
    assert "network.candidate.merge" in events()


def test_openings(api, client_user, staff, member, other_client, client_company, events):
    body = {
        "client": client_company.pk,
        "title": "NER",
        "task_type": "ner",
        "contract_type": "freelance",
        "hours_per_week": 10,
        "pay_cents": 2000,
        "fee_type": "flat",
        "requirements": [{"kind": "accuracy", "threshold": 0.9}],
    }
    no_amount = api(client_user, "post", "/api/v1/network/openings", body)
    assert no_amount.status_code == 400 and "fee_flat_cents" in no_amount.json()["message"]
    assert (
        api(
            client_user, "post", "/api/v1/network/openings", body | {"client": other_client.pk}
        ).status_code
        == 404
    )
    created = api(
        client_user, "post", "/api/v1/network/openings", body | {"fee_flat_cents": 100000}
    )
    assert created.status_code == 201
    role = created.json()
    assert role["requirements"][0]["task_type"] == "ner" and role["status"] == "draft"
    url = f"/api/v1/network/openings/{role['id']}"
    assert api(client_user, "post", url + "/transition", {"to": "approved"}).status_code == 403
    assert api(client_user, "post", url + "/transition", {"to": "filled"}).status_code == 409
    assert (
        api(staff, "post", url + "/transition", {"to": "approved"}).json()["status"] == "approved"
    )
    assert api(client_user, "patch", url, {"positions": 2}).json()["status"] == "draft"
    assert api(member, "patch", url, {"positions": 3}).status_code == 404
    assert api(member, "get", url).status_code == 404  # not open
    api(staff, "post", url + "/transition", {"to": "approved"})
    api(client_user, "post", url + "/transition", {"to": "open"})
    assert [o["id"] for o in api(member, "get", "/api/v1/network/openings").json()["openings"]] == [
        role["id"]
    ]
    assert api(member, "post", url + "/transition", {"to": "closed"}).status_code == 404
    assert "network.opening.update" in events()


def test_openapi_documents_the_network(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/network/openings/{opening_id}/transition" in paths
    assert "/api/v1/network/candidates/{candidate_id}/merge" in paths


def test_api_rejects_wrong_types(api, member):
    response = api(
        member, "post", "/api/v1/network/candidates", {"full_name": "X", "hours_per_week": "10"}
    )
    assert response.status_code == 422


def test_unused_models_imported():
    assert Client and Member


def test_apply_with_an_address_and_read_it_back(api, staff):
    user = create_user(username="addr", password="x", check_password=False)
    body = {
        "display_name": "Ada", "country": "AT", "vat_status": "not_registered",
        "street": " Mariahilfer Straße 1/4 ", "postal_code": "1060", "city": "Wien",
    }  # fmt: skip
    too_long = api(user, "post", "/api/v1/network/members", {**body, "postal_code": "9" * 21})
    assert too_long.status_code == 400 and "postal_code" in too_long.content.decode()
    assert not Member.objects.filter(user=user).exists()

    created = api(user, "post", "/api/v1/network/members", body)

    assert created.status_code == 201
    address = ("Mariahilfer Straße 1/4", "1060", "Wien")
    got = created.json()
    assert (got["street"], got["postal_code"], got["city"]) == address
    mine = api(user, "get", "/api/v1/network/me").json()["member"]
    assert (mine["street"], mine["postal_code"], mine["city"]) == address
    listed = api(staff, "get", "/api/v1/network/members").json()["members"]
    row = next(m for m in listed if m["id"] == got["id"])
    assert (row["street"], row["postal_code"], row["city"]) == address


def test_the_address_is_optional_in_the_api(api, db):
    user = create_user(username="noaddr", password="x", check_password=False)
    body = {"display_name": "Bo", "country": "AT", "vat_status": "not_registered"}
    created = api(user, "post", "/api/v1/network/members", body)
    assert created.status_code == 201
    got = created.json()
    assert (got["street"], got["postal_code"], got["city"]) == ("", "", "")
