"""The pages, by persona: a party reviews and accepts their own contract; everyone else
gets 404; staff pages are staff's."""

import hashlib

import pytest

from trainerdesk.contracts import services
from trainerdesk.contracts.models import Contract, ContractTemplate


def test_party_lists_reviews_and_accepts(client_for, member, sent):
    c = client_for(member)
    page = c.get("/contracts/").content.decode()
    assert "Waiting for your signature" in page and f"/contracts/{sent.pk}/" in page
    review = c.get(f"/contracts/{sent.pk}/").content.decode()
    assert sent.pdf_sha256 in review and "law of Austria" in review
    assert 'name="agree"' in review and "Accept and sign" in review
    response = c.post(
        f"/contracts/{sent.pk}/accept/",
        {"agree": "1", "sha256": sent.pdf_sha256},
        HTTP_USER_AGENT="Mozilla/5.0 test",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    sent.refresh_from_db()
    acceptance = sent.acceptances.get()
    assert sent.status == "signed"
    assert (acceptance.user, acceptance.ip, acceptance.user_agent) == (
        member,
        "198.51.100.4",
        "Mozilla/5.0 test",
    )
    assert acceptance.document_sha256 == sent.pdf_sha256
    assert "Accept and sign" not in c.get(f"/contracts/{sent.pk}/").content.decode()


def test_accepting_needs_the_box_and_the_current_hash(client_for, member, sent):
    c = client_for(member)
    c.post(f"/contracts/{sent.pk}/accept/", {"sha256": sent.pdf_sha256})
    c.post(f"/contracts/{sent.pk}/accept/", {"agree": "1", "sha256": "f" * 64})
    sent.refresh_from_db()
    assert sent.status == "sent" and not sent.acceptances.exists()
    page = c.get(f"/contracts/{sent.pk}/").content.decode()
    assert "not this contract&#x27;s current document" in page or "current document" in page


def test_pdf_download_is_the_stored_document(client_for, member, sent):
    response = client_for(member).get(f"/contracts/{sent.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == sent.pdf_sha256
    assert response["X-Content-SHA256"] == sent.pdf_sha256


@pytest.mark.parametrize("who", ["other_member", "client_user", "outsider", "candidate"])
def test_others_get_404(client_for, request, sent, who):
    c = client_for(request.getfixturevalue(who))
    for url in (f"/contracts/{sent.pk}/", f"/contracts/{sent.pk}/pdf/"):
        assert c.get(url).status_code == 404
    response = c.post(f"/contracts/{sent.pk}/accept/", {"agree": "1", "sha256": sent.pdf_sha256})
    assert response.status_code == 404
    assert f"/contracts/{sent.pk}/" not in c.get("/contracts/").content.decode()
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_a_draft_is_staffs_until_sent(client_for, member, staff):
    draft = services.draft_contract(kind="member_agreement", member=member.network_member, by=staff)
    assert client_for(member).get(f"/contracts/{draft.pk}/").status_code == 404
    assert client_for(staff).get(f"/contracts/{draft.pk}/").status_code == 200


def test_client_contact_sees_their_framework_agreement(client_for, client_user, client_company):
    framework = Contract.objects.get(client=client_company, kind="client_framework")
    c = client_for(client_user)
    assert framework.title in c.get("/contracts/").content.decode()
    assert c.get(f"/contracts/{framework.pk}/").status_code == 200


def test_staff_can_see_but_not_accept(client_for, staff, sent):
    c = client_for(staff)
    page = c.get(f"/contracts/{sent.pk}/").content.decode()
    assert "Accept and sign" not in page
    response = c.post(f"/contracts/{sent.pk}/accept/", {"agree": "1", "sha256": sent.pdf_sha256})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["member", "client_user", "outsider"])
def test_staff_pages_are_404_for_others(db, client_for, request, who):
    c = client_for(request.getfixturevalue(who))
    template = ContractTemplate.objects.first()
    assert c.get("/contracts/staff/").status_code == 404
    assert c.get("/contracts/staff/templates/").status_code == 404
    assert c.post(f"/contracts/staff/templates/{template.pk}/publish/").status_code == 404
    assert c.post("/contracts/1/move/", {"to": "sent"}).status_code == 404


def test_staff_draft_send_activate_through_the_pages(client_for, staff, member):
    c = client_for(staff)
    assert c.get("/contracts/staff/").status_code == 200
    response = c.post(
        "/contracts/staff/", {"kind": "member_agreement", "member": member.network_member.pk}
    )
    contract = Contract.objects.filter(status="draft").get()
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert "Send for signature" in c.get(f"/contracts/{contract.pk}/").content.decode()
    c.post(f"/contracts/{contract.pk}/move/", {"to": "sent"})
    contract.refresh_from_db()
    assert contract.status == "sent"
    c.post(f"/contracts/{contract.pk}/move/", {"to": "active"})  # not signed yet: refused
    contract.refresh_from_db()
    assert contract.status == "sent"
    bad = c.post("/contracts/staff/", {"kind": "role_terms"}, follow=True).content.decode()
    assert "role terms are for one role" in bad
    signed = Contract.objects.get(member=member.network_member, status="signed")
    listing = c.get("/contracts/staff/?status=signed").content.decode()
    assert f"/contracts/{signed.pk}/" in listing and f"/contracts/{contract.pk}/" not in listing


def test_staff_publish_a_version_through_the_page(client_for, staff):
    template = ContractTemplate.objects.get(kind="client_framework")
    c = client_for(staff)
    listing = c.get("/contracts/staff/templates/").content.decode()
    assert "Version 1" in listing and "<code>client.legal_name</code>" in listing
    body = "# Framework\n\nWith {{ client.legal_name }}. Law of Austria, courts of Vienna."
    c.post(f"/contracts/staff/templates/{template.pk}/publish/", {"body": body})
    assert template.versions.count() == 2
    page = c.post(
        f"/contracts/staff/templates/{template.pk}/publish/",
        {"body": "{{ member.display_name }}"},
        follow=True,
    ).content.decode()
    assert "not a value a client_framework contract has" in page
    assert template.versions.count() == 2
