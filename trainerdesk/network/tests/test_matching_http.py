"""Matching pages and API through the HTTP client, with every denial proven."""

import pytest
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.network.models import Opening, Ranking
from trainerdesk.network.tests.test_matching_service import give_evidence, make_opening, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def opening(client_company):
    return make_opening(client_company)


def ranking_url(opening):
    return f"/network/roles/{opening.pk}/ranking/"


def test_member_ranks_and_sees_own_candidates_only(
    client_for, member, other_member, candidate, opening
):
    give_evidence(candidate, low=0.82)
    theirs = person("Olga Other", member=other_member)
    few = person("Fay Few Hours", member=member, hours=5)
    c = client_for(member)
    page = c.get(ranking_url(opening))
    assert page.status_code == 200 and b"Not ranked yet" in page.content
    response = c.post(ranking_url(opening))
    assert response.status_code == 302
    page = c.get(ranking_url(opening)).content.decode()
    assert "Cara Candidate" in page and theirs.full_name not in page
    assert "0.820" in page and "lower bound of the 95% interval" in page
    assert "GDPR Art. 22" in page
    assert "5 hours per week available &lt; 15 required" in page
    # A member submits from the ranking; staff (below) rank but submit nobody.
    assert 'action="/placements/submit/"' in page
    ranking = Ranking.objects.get()
    assert AuditEvent.objects.filter(
        action="network.ranking.create", object_id=str(ranking.pk)
    ).exists()
    detail = c.get(f"{ranking_url(opening)}candidates/{candidate.candidate.pk}/")
    assert detail.status_code == 200 and b"Cara Candidate" in detail.content
    assert c.get(f"{ranking_url(opening)}candidates/{few.pk}/").status_code == 200
    # Someone else's candidate is not in this member's ranking: 404.
    assert c.get(f"{ranking_url(opening)}candidates/{theirs.pk}/").status_code == 404


def test_other_member_never_sees_the_first_members_ranking(
    client_for, member, other_member, candidate, opening
):
    client_for(member).post(ranking_url(opening))
    c = client_for(other_member)
    page = c.get(ranking_url(opening)).content.decode()
    assert "Cara Candidate" not in page and "Not ranked yet" in page
    assert c.get(f"{ranking_url(opening)}candidates/{candidate.candidate.pk}/").status_code == 404


def test_staff_sees_the_whole_network_on_any_status(
    client_for, staff, member, other_member, candidate, client_company
):
    on_hold = make_opening(client_company, status="on_hold")
    theirs = person("Olga Other", member=other_member)
    c = client_for(staff)
    assert c.post(ranking_url(on_hold)).status_code == 302
    page = c.get(ranking_url(on_hold)).content.decode()
    assert "Cara Candidate" in page and theirs.full_name in page
    assert 'action="/placements/submit/"' not in page
    assert c.get("/network/matching/").status_code == 200


@pytest.mark.parametrize("who", ["client_user", "candidate", "outsider"])
def test_ranking_is_404_for_clients_candidates_and_outsiders(
    request, client_for, who, member, candidate, opening
):
    client_for(member).post(ranking_url(opening))
    c = client_for(request.getfixturevalue(who))
    assert c.get(ranking_url(opening)).status_code == 404
    assert c.post(ranking_url(opening)).status_code == 404
    assert c.get("/network/matching/").status_code == 404
    ranking = Ranking.objects.get()
    cand = ranking.results[0]["candidate"]
    assert c.get(f"{ranking_url(opening)}candidates/{cand}/").status_code == 404
    api = c.get(f"/api/v1/matching/openings/{opening.pk}/rankings/latest")
    assert api.status_code == 404
    assert c.post(f"/api/v1/matching/openings/{opening.pk}/rankings").status_code == 404
    assert Ranking.objects.count() == 1


def test_member_who_is_the_clients_contact_gets_404(client_for, member, opening, client_company):
    from trainerdesk.network.models import ClientContact

    ClientContact.objects.create(client=client_company, user=member)
    assert client_for(member).get(ranking_url(opening)).status_code == 404


@pytest.mark.parametrize(
    "status", ["draft", "approved", "on_hold", "filled", "closed", "cancelled"]
)
def test_member_gets_404_on_openings_that_are_not_open(client_for, member, client_company, status):
    opening = make_opening(client_company, status=status)
    c = client_for(member)
    assert c.get(ranking_url(opening)).status_code == 404
    assert c.post(f"/api/v1/matching/openings/{opening.pk}/rankings").status_code == 404


def test_lapsed_member_gets_404(client_for, member, opening):
    member.network_member.memberships.update(status="expired")
    assert client_for(member).get(ranking_url(opening)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, opening):
    assert client.get(ranking_url(opening)).status_code == 302
    assert client.get("/network/me/roles/").status_code == 302
    assert client.get("/api/v1/matching/candidates/me/openings").status_code == 401


def test_candidate_sees_roles_they_fit_and_their_explanation(
    client_for, candidate, opening, client_company
):
    give_evidence(candidate, low=0.71)
    closed = make_opening(client_company, status="closed")
    c = client_for(candidate)
    page = c.get("/network/me/roles/").content.decode()
    assert opening.title in page and "needs: accuracy lower bound 0.71 &lt; 0.80 required" in page
    assert "GDPR Art. 22" in page
    explain = c.get(f"/network/me/roles/{opening.pk}/explain/")
    assert explain.status_code == 200 and b"0.710" in explain.content
    assert c.get(f"/network/me/roles/{closed.pk}/explain/").status_code == 404
    api = c.get("/api/v1/matching/candidates/me/openings").json()
    assert [e["opening"] for e in api] == [opening.pk]
    assert api[0]["contributions"][0]["needs"] == "accuracy lower bound 0.71 < 0.80 required"


@pytest.mark.parametrize("who", ["member", "client_user", "staff"])
def test_candidate_pages_are_404_for_non_candidates(request, client_for, who, opening):
    c = client_for(request.getfixturevalue(who))
    assert c.get("/network/me/roles/").status_code == 404
    assert c.get(f"/network/me/roles/{opening.pk}/explain/").status_code == 404
    assert c.get("/api/v1/matching/candidates/me/openings").status_code == 404


def test_api_create_and_latest(client_for, member, candidate, opening):
    c = client_for(member)
    assert c.get(f"/api/v1/matching/openings/{opening.pk}/rankings/latest").status_code == 404
    created = c.post(f"/api/v1/matching/openings/{opening.pk}/rankings")
    assert created.status_code == 201
    body = created.json()
    assert body["rule"] == "lower-bound-weighted" and body["considered"] == 1
    assert "name" not in body["results"][0] and "Art. 22" in body["notice"]
    latest = c.get(f"/api/v1/matching/openings/{opening.pk}/rankings/latest").json()
    assert latest["id"] == body["id"]
    assert AuditEvent.objects.filter(action="network.ranking.create").count() == 1


def test_api_bad_requirement_is_400_naming_the_field(client_for, staff, opening):
    from trainerdesk.network.models import Requirement

    bad = Requirement.objects.create(opening=opening, kind="availability")
    response = client_for(staff).post(f"/api/v1/matching/openings/{opening.pk}/rankings")
    assert response.status_code == 400
    assert f"requirements[{bad.pk}].hours" in response.json()["message"]


def test_page_hides_a_candidate_no_longer_represented(client_for, member, candidate, opening):
    from trainerdesk.network.models import Representation

    c = client_for(member)
    c.post(ranking_url(opening))
    Representation.objects.update(ended_at=timezone.now())
    assert "Cara Candidate" not in c.get(ranking_url(opening)).content.decode()
    assert Opening.objects.filter(pk=opening.pk).exists()
