"""The pages through the HTTP client: forms post to the services and show their errors."""

import sys

import pytest

from trainerdesk.accounts.services import create_user
from trainerdesk.network.models import Candidate, Client, Member, Opening


@pytest.fixture
def visitor(db):
    return create_user(username="visitor", password="x", check_password=False)


def test_home_by_persona(client_for, member, client_user, candidate, staff, opening):
    page = client_for(member).get("/network/").content.decode()
    assert "Member dashboard" in page and "renewal date" in page and "0 of 4 guides" in page
    assert "Cara Candidate" in page
    assert "News topics" in client_for(client_user).get("/network/").content.decode()
    assert "My profile" in client_for(candidate).get("/network/").content.decode()
    staff_home = client_for(staff).get("/network/").content.decode()
    assert "Approvals" in staff_home and "1 role in draft" in staff_home


def test_apply_page(client_for, visitor):
    c = client_for(visitor)
    bad = c.post(
        "/network/apply/", {"display_name": "Vi", "country": "QQ", "vat_status": "not_registered"}
    )
    assert bad.status_code == 200 and b"country" in bad.content
    ok = c.post(
        "/network/apply/", {"display_name": "Vi", "country": "AT", "vat_status": "not_registered"}
    )
    assert ok.status_code == 302 and Member.objects.get(user=visitor).status == "pending"


def test_apply_prefills_from_a_kept_career_assessment(client_for, visitor):
    from django.utils import timezone

    from trainerdesk.careers.models import CareerAssessmentResult
    from trainerdesk.careers.scoring import FITS
    from trainerdesk.careers.services import apply_url

    answers = careers_answers()
    kept = CareerAssessmentResult.objects.create(
        questionnaire_version=1, answers=answers, score=8, recommendation=FITS,
        consented_at=timezone.now(), token="t" * 43,
    )  # fmt: skip
    c = client_for(visitor)
    page = c.get(apply_url(token=kept.token))
    assert b"score 8" in page.content and b'name="bring_answers"' in page.content
    assert b"bring_answers" not in c.get("/network/apply/?assessment=unknown").content
    form = {"display_name": "Vi", "country": "AT", "vat_status": "not_registered"}
    c.post("/network/apply/", form | {"assessment": kept.token, "bring_answers": "1"})
    application = Member.objects.get(user=visitor).application
    assert application["answers"] == answers and application["score"] == 8


def test_apply_with_the_real_careers_app(client_for, visitor):
    from trainerdesk.careers import services as careers

    answers = careers_answers()
    signed = careers.sign_answers(answers)
    c = client_for(visitor)
    page = c.get(careers.apply_url(signed_answers=signed))
    assert page.status_code == 200 and b'name="bring_answers"' in page.content
    c.post("/network/apply/", {"answers": signed, "bring_answers": "1", "display_name": "Vi",
                               "country": "AT", "vat_status": "not_registered"})  # fmt: skip
    assert Member.objects.get(user=visitor).application == {"answers": answers}


def careers_answers():
    from trainerdesk.careers.questionnaire import QUESTIONS

    return {q.key: q.options[0].value for q in QUESTIONS}


def test_apply_link_works_without_careers_app(client_for, visitor, monkeypatch):
    monkeypatch.setitem(sys.modules, "trainerdesk.careers.services", None)
    page = client_for(visitor).get("/network/apply/?answers=abc")
    assert page.status_code == 200 and b"bring_answers" not in page.content


def test_add_candidate_and_duplicate_offers_a_request(client_for, member, other_member, candidate):
    c = client_for(member)
    form = {
        "full_name": "Dana",
        "email": "dana@example.org",
        "country": "AT",
        "lang_code": ["en", ""],
        "lang_level": ["C1", "A1"],
        "domains": ["news"],
        "hours_per_week": "10",
        "consent_held": "1",
    }
    added = c.post("/network/candidates/add/", form)
    assert added.status_code == 302
    dana = Candidate.objects.get(email="dana@example.org")
    assert list(dana.languages.values_list("code", flat=True)) == ["en"]
    c2 = client_for(other_member)
    refused = c2.post("/network/candidates/add/", form | {"email": "DANA@example.org"})
    text = refused.content.decode()
    assert "email: a candidate with this e-mail address is already in the network" in text
    assert "Request representation" in text and "Mira" not in text
    c2.post("/network/candidates/request/", {"field": "email", "value": "candidate@example.org"})
    portal = client_for(candidate).get("/network/").content.decode()
    assert "Otto Other" in portal and "Allow" in portal


def test_edit_candidate_and_consent_pages(client_for, member, candidate, client_company):
    person = candidate.candidate
    c = client_for(candidate)
    assert c.get(f"/network/candidates/{person.pk}/edit/").status_code == 200
    c.post(
        f"/network/candidates/{person.pk}/edit/",
        {
            "full_name": "Cara C.",
            "email": "candidate@example.org",
            "country": "AT",
            "lang_code": ["de"],
            "lang_level": ["native"],
        },
    )
    person.refresh_from_db()
    assert person.full_name == "Cara C." and list(
        person.languages.values_list("code", flat=True)
    ) == ["de"]
    c.post(
        f"/network/candidates/{person.pk}/consents/",
        {"purpose": "submit_to_client", "client": client_company.pk},
    )
    consent = person.consents.get()
    assert consent.method == "candidate_portal"
    c.post(f"/network/candidates/{person.pk}/consents/{consent.pk}/withdraw/")
    consent.refresh_from_db()
    assert consent.withdrawn_at
    recorded = client_for(member).post(
        f"/network/candidates/{person.pk}/consents/", {"purpose": "profile"}
    )
    assert recorded.status_code == 302 and person.consents.filter(method="member_recorded").exists()


def test_candidate_search_and_keyset_pages(client_for, member):
    from trainerdesk.network import services

    for i in range(27):
        services.add_candidate(
            member=member.network_member,
            by=member,
            profile={"full_name": f"P{i:02}", "email": f"p{i}@example.org"},
        )
    c = client_for(member)
    first = c.get("/network/candidates/").content.decode()
    assert "P00" in first and "P26" not in first and "after=" in first
    last_id = Candidate.objects.order_by("pk")[24].pk
    second = c.get(f"/network/candidates/?after={last_id}").content.decode()
    assert "P25" in second and "P26" in second and "P00" not in second
    partial = c.get("/network/candidates/?q=P07", HTTP_HX_REQUEST="true").content.decode()
    assert (
        partial.strip().startswith('<div id="candidate-results">')
        and "P07" in partial
        and "P08" not in partial
    )


def test_role_pages(client_for, client_user, client_company, staff):
    c = client_for(client_user)
    assert c.get(f"/network/clients/{client_company.pk}/roles/new/").status_code == 200
    form = {
        "title": "Raters",
        "task_type": "sentiment",
        "domain": "reviews",
        "contract_type": "freelance",
        "hours_per_week": "10",
        "pay": "25,00",
        "fee_type": "percent",
        "req_kind": ["language", "lead_time", ""],
        "req_language": ["en", "", ""],
        "req_level": ["B2", "", ""],
        "req_threshold": ["", "45", ""],
        "req_region": ["", "", ""],
        "req_hours": ["", "", ""],
        "req_task_type": ["", "", ""],
        "req_domain": ["", "", ""],
        "req_weight": ["1", "2", "1"],
    }
    refused = c.post(f"/network/clients/{client_company.pk}/roles/new/", form)
    assert b"fee_percent: " in refused.content and not Opening.objects.exists()
    # Typed in major units and percent, as people write them; shown back as typed.
    typo = c.post(f"/network/clients/{client_company.pk}/roles/new/", form | {"pay": "25,5x"})
    assert "pay: &#x27;25,5x&#x27; is not an amount" in typo.content.decode()
    assert 'value="25,5x"' in typo.content.decode() and not Opening.objects.exists()
    c.post(f"/network/clients/{client_company.pk}/roles/new/", form | {"fee_percent": "18"})
    role = Opening.objects.get()
    assert (role.pay_cents, role.fee_basis_points) == (2500, 1800)
    edit = c.get(f"/network/roles/{role.pk}/edit/").content.decode()
    assert 'name="pay" inputmode="decimal" value="25.00"' in edit
    assert 'name="fee_percent" inputmode="decimal" value="18"' in edit
    assert [(r.kind, r.weight) for r in role.requirements.all()] == [
        ("language", 1),
        ("lead_time", 2),
    ]
    assert b"Approved" not in c.get(f"/network/roles/{role.pk}/").content.split(b"Move to")[-1]
    client_for(staff).post(f"/network/roles/{role.pk}/status/", {"to": "approved"})
    c = client_for(client_user)
    c.post(f"/network/roles/{role.pk}/status/", {"to": "open"})
    role.refresh_from_db()
    assert role.status == "open"
    assert c.get(f"/network/roles/{role.pk}/edit/").status_code == 200


def test_staff_pages(client_for, staff, visitor, member, candidate, other_member):
    from trainerdesk.network import services

    applicant = services.apply_for_membership(
        user=visitor, display_name="Vi", country="AT", vat_status="not_registered", by=visitor
    )
    c = client_for(staff)
    assert b"Vi" in c.get("/network/staff/members/").content
    c.post(f"/network/staff/members/{applicant.pk}/decide/", {"approve": "1"})
    period = applicant.memberships.get()
    c.post(f"/network/staff/memberships/{period.pk}/", {"action": "activate"})
    period.refresh_from_db()
    assert period.status == "active"
    c.post("/network/staff/clients/", {"name": "Hooli", "country": "AT"})
    hooli = Client.objects.get(name="Hooli")
    c.post(f"/network/staff/clients/{hooli.pk}/decide/", {"approve": "1"})
    c.post(
        f"/network/staff/clients/{hooli.pk}/contacts/",
        {"username": "gavin", "password": "a-long-enough-password-2"},
    )
    hooli.refresh_from_db()
    assert hooli.status == "approved" and hooli.contacts.get().user.username == "gavin"
    dup = services.add_candidate(
        member=other_member.network_member,
        by=other_member,
        profile={"full_name": "Cara Again", "profile_url": "x.example.org/cara"},
    )
    assert b"Cara Again" in c.get("/network/staff/merge/?q=cara").content
    merged = c.post("/network/staff/merge/", {"keep": candidate.candidate.pk, "duplicate": dup.pk})
    assert merged.status_code == 302
    dup.refresh_from_db()
    assert dup.merged_into_id == candidate.candidate.pk


def test_an_open_role_links_its_ranking_for_members_and_staff_not_the_client(
    client_for, member, client_user, staff, opening
):
    Opening.objects.filter(pk=opening.pk).update(status="open")
    url, ranking = f"/network/roles/{opening.pk}/", f"/network/roles/{opening.pk}/ranking/"
    assert ranking in client_for(member).get(url).content.decode()
    assert ranking in client_for(staff).get(url).content.decode()
    # The client's own contact manages the role but never sees who is ranked for it.
    client_page = client_for(client_user).get(url).content.decode()
    assert ranking not in client_page
    assert "€\xa030,00" in client_page and "20 %" in client_page  # format_money, de_AT


def test_a_candidates_own_page_links_the_roles_they_fit(client_for, candidate):
    person = Candidate.objects.get(user=candidate)
    page = client_for(candidate).get(f"/network/candidates/{person.pk}/").content.decode()
    assert "/network/me/roles/" in page and "/vetting/" in page


def test_a_candidates_rate_is_typed_in_major_units(client_for, candidate):
    person = candidate.candidate
    before = person.rate_cents
    c = client_for(candidate)
    url = f"/network/candidates/{person.pk}/edit/"
    form = {"full_name": "Cara", "email": "candidate@example.org", "rate_currency": "EUR"}
    page = c.post(url, form | {"rate": "35,555"}).content.decode()
    assert "rate: " in page and "ambiguous" in page and 'value="35,555"' in page
    person.refresh_from_db()
    assert person.rate_cents == before  # nothing saved
    c.post(url, form | {"rate": "35,50"})
    person.refresh_from_db()
    assert (person.rate_cents, person.rate_currency) == (3550, "EUR")
    assert 'name="rate" inputmode="decimal" value="35.50"' in c.get(url).content.decode()
