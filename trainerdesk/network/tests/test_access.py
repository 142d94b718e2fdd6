"""Every denial, with the personas: a member sees not other_member's candidates, a
client not another client's roles, a candidate only themselves, an outsider nothing."""

import pytest

from trainerdesk.network import access, services


@pytest.fixture
def others_candidate(other_member):
    return services.add_candidate(
        member=other_member.network_member,
        by=other_member,
        profile={"full_name": "Olga Other", "email": "olga@example.org"},
    )


@pytest.fixture
def globex_role(other_client):
    contact = other_client.contacts.get().user
    return services.create_opening(
        client=other_client,
        by=contact,
        values={
            "title": "Globex secret role",
            "task_type": "ner",
            "contract_type": "freelance",
            "hours_per_week": 5,
            "pay_cents": 100,
        },
    )


def test_member_sees_own_candidates_only(client_for, member, candidate, others_candidate):
    c = client_for(member)
    page = c.get("/network/candidates/")
    assert b"Cara Candidate" in page.content and b"Olga Other" not in page.content
    for url in (
        f"/network/candidates/{others_candidate.pk}/",
        f"/network/candidates/{others_candidate.pk}/edit/",
    ):
        assert c.get(url).status_code == 404
    assert (
        c.post(
            f"/network/candidates/{others_candidate.pk}/consents/", {"purpose": "profile"}
        ).status_code
        == 404
    )
    assert c.get(f"/network/candidates/{candidate.candidate.pk}/").status_code == 200
    api = c.get("/api/v1/network/candidates").json()["candidates"]
    assert [row["full_name"] for row in api] == ["Cara Candidate"]
    assert c.get(f"/api/v1/network/candidates/{others_candidate.pk}").status_code == 404


def test_client_sees_own_company_and_roles_only(
    client_for, client_user, opening, globex_role, client_company, other_client
):
    c = client_for(client_user)
    listing = c.get("/network/roles/").content
    assert b"News topics" in listing and b"Globex secret role" not in listing
    for url in (
        f"/network/roles/{globex_role.pk}/",
        f"/network/roles/{globex_role.pk}/edit/",
        f"/network/clients/{other_client.pk}/roles/new/",
        f"/api/v1/network/openings/{globex_role.pk}",
        f"/api/v1/network/clients/{other_client.pk}",
    ):
        assert c.get(url).status_code == 404, url
    assert (
        c.post(f"/network/roles/{globex_role.pk}/status/", {"to": "cancelled"}).status_code == 404
    )
    assert [r["id"] for r in c.get("/api/v1/network/clients").json()["clients"]] == [
        client_company.pk
    ]
    assert c.get("/network/candidates/").status_code == 404  # clients never browse candidates


def test_candidate_sees_only_self(client_for, candidate, others_candidate, opening):
    c = client_for(candidate)
    me = c.get("/network/me/")
    assert me.status_code == 200 and b"Cara Candidate" in me.content and b"/vetting/" in me.content
    assert c.get(f"/network/candidates/{others_candidate.pk}/").status_code == 404
    assert c.get("/network/candidates/").status_code == 404
    assert c.get(f"/network/roles/{opening.pk}/").status_code == 404  # a draft of a client
    assert c.get("/api/v1/network/candidates").json()["candidates"] == []
    assert c.get(f"/api/v1/network/candidates/{candidate.candidate.pk}").status_code == 200


def test_member_sees_open_roles_but_cannot_manage(client_for, member, opening, staff, client_user):
    c = client_for(member)
    assert c.get(f"/network/roles/{opening.pk}/").status_code == 404  # draft
    services.transition_opening(opening=opening, to="approved", by=staff)
    services.transition_opening(opening=opening, to="open", by=client_user)
    page = c.get(f"/network/roles/{opening.pk}/")
    assert (
        page.status_code == 200 and b"basis points" not in page.content
    )  # fee terms are the client's
    assert c.get(f"/network/roles/{opening.pk}/edit/").status_code == 404
    assert c.post(f"/network/roles/{opening.pk}/status/", {"to": "closed"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/network/staff/members/",
        "/network/staff/clients/",
        "/network/staff/roles/",
        "/network/staff/merge/",
    ],
)
def test_staff_pages_404_for_everyone_else(
    client_for, url, member, client_user, candidate, outsider_user, staff
):
    for user in (member, client_user, candidate, outsider_user):
        assert client_for(user).get(url).status_code == 404
    assert client_for(staff).get(url).status_code == 200


def test_outsider_sees_nothing(client_for, outsider_user, candidate, opening, client_company):
    c = client_for(outsider_user)
    home = c.get("/network/")
    assert home.status_code == 200 and b"Apply to become a member" in home.content
    for url in (
        f"/network/candidates/{candidate.candidate.pk}/",
        f"/network/roles/{opening.pk}/",
        "/network/candidates/",
        "/network/onboarding/",
        "/network/me/",
        f"/api/v1/network/candidates/{candidate.candidate.pk}",
        f"/api/v1/network/openings/{opening.pk}",
        f"/api/v1/network/clients/{client_company.pk}",
        "/api/v1/network/members",
        "/api/v1/network/guides",
    ):
        assert c.get(url).status_code == 404, url
    assert c.get("/api/v1/network/openings").json()["openings"] == []
    assert access.personas(outsider_user) == set()


def test_anonymous_is_sent_to_login(client, opening):
    assert client.get("/network/").status_code == 302
    assert client.get("/api/v1/network/openings").status_code == 401


def test_staff_see_everything(client_for, staff, others_candidate, globex_role):
    c = client_for(staff)
    assert c.get(f"/network/candidates/{others_candidate.pk}/").status_code == 200
    assert c.get(f"/network/roles/{globex_role.pk}/").status_code == 200


def test_site_header_link_only_for_network_people(client_for, member, outsider_user):
    assert b'href="/network/"' in client_for(member).get("/network/onboarding/").content
    page = client_for(outsider_user).get("/network/")
    assert page.status_code == 200 and b">Network</a>" not in page.content
