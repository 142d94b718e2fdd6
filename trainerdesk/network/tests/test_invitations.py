"""A candidate without a login gets one by invitation: nobody else picks their password,
and the link works once, for the address it was sent to, for 14 days."""

import datetime
import re
import time

import pytest
from django.core import signing
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services
from trainerdesk.network.models import Candidate, Representation

pytestmark = pytest.mark.django_db
LINK = re.compile(r'value="(https?://[^"]+/network/join/([^"/]+)/)"')


@pytest.fixture
def dana(member):
    person = Candidate.objects.create(full_name="Dana", email="Dana@Example.org", created_by=member)
    Representation.objects.create(member=member.network_member, candidate=person)
    return person


def _invite(client, person):
    page = client.post(f"/network/candidates/{person.pk}/invite/").content.decode()
    return LINK.search(page).group(1)


def test_the_candidate_makes_their_login_from_the_link(client_for, member, dana, client):
    detail = client_for(member).get(f"/network/candidates/{dana.pk}/").content.decode()
    assert 'id="invite"' in detail
    link = _invite(client_for(member), dana)
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Dana" in page.content.decode()
    body = {"username": "dana", "password1": "her own passphrase 7", "password2": "x"}
    assert "the two passwords differ" in client.post(link, body).content.decode()
    r = client.post(link, body | {"password2": body["password1"]})
    assert r.status_code == 302 and r["Location"] == "/network/"
    dana.refresh_from_db()
    assert dana.user.username == "dana" and dana.user.email == "Dana@Example.org"
    assert dana.user.check_password("her own passphrase 7")
    assert client.get("/network/me/").status_code == 200  # signed in, her portal
    assert client.get(link).status_code == 410  # used
    actions = list(AuditEvent.objects.filter(object_id=str(dana.pk)).values_list("action"))
    assert ("network.candidate.invite",) in actions and ("network.candidate.update",) in actions


def test_a_signed_in_user_links_only_with_the_invited_address(
    client_for, member, dana, outsider, django_user_model
):
    link = _invite(client_for(member), dana)
    c = client_for(outsider)
    assert "log in with the account of that address" in c.post(link).content.decode()
    dana.refresh_from_db()
    assert dana.user_id is None
    same = django_user_model.objects.create_user("dana2", "dana@example.org", "pw")
    r = client_for(same).post(link)
    assert r.status_code == 302
    dana.refresh_from_db()
    assert dana.user == same


def test_the_link_dies_with_a_changed_address_or_age(member, dana, client, monkeypatch):
    token, expires = services.invite_candidate(candidate=dana, by=member)
    assert expires > timezone.now() + datetime.timedelta(days=13)
    Candidate.objects.filter(pk=dana.pk).update(email="new@example.org")
    r = client.get(f"/network/join/{token}/")
    assert r.status_code == 410 and "no longer valid" in r.content.decode()
    with pytest.raises(InvalidInput, match="not a valid invitation"):
        services.invited_candidate(token[:-2] + "xx")
    Candidate.objects.filter(pk=dana.pk).update(email="Dana@Example.org")
    assert services.invited_candidate(token).pk == dana.pk

    class FifteenDaysOn:
        @staticmethod
        def time():
            return time.time() + 15 * 86400

    monkeypatch.setattr(signing, "time", FifteenDaysOn)
    with pytest.raises(ConflictError, match="expired"):
        services.invited_candidate(token)


def test_who_may_invite(member, other_member, staff, dana, candidate):
    with pytest.raises(ConflictError, match="only staff or a member who represents"):
        services.invite_candidate(candidate=dana, by=other_member)
    with pytest.raises(ConflictError, match="already has a login"):
        services.invite_candidate(candidate=candidate.candidate, by=member)
    services.invite_candidate(candidate=dana, by=staff)
    nomail = Candidate.objects.create(full_name="No Mail", phone="+43123456", created_by=member)
    Representation.objects.create(member=member.network_member, candidate=nomail)
    with pytest.raises(InvalidInput, match="email: the candidate needs an e-mail"):
        services.invite_candidate(candidate=nomail, by=member)


def test_the_api_gives_the_link_to_the_recruiter_only(api, member, other_member, dana):
    url = f"/api/v1/network/candidates/{dana.pk}/invitation"
    assert api(other_member, "post", url).status_code == 404
    r = api(member, "post", url)
    assert r.status_code == 201 and "/network/join/" in r.json()["url"]
