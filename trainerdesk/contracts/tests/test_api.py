"""The contracts API by persona: staff run templates, drafting and the moves; a party
reads and accepts their own contract with the hash they saw; everyone else gets 404."""

import hashlib

import pytest

from trainerdesk.contracts.models import Contract, ContractTemplate

BASE = "/api/v1/contracts"
OTHERS = ["other_member", "client_user", "outsider", "candidate"]


def _post(c, url, body=None):
    return c.post(url, body or {}, content_type="application/json")


def test_openapi_documents_the_contracts_api(client_for, outsider):
    paths = client_for(outsider).get("/api/v1/openapi.json").json()["paths"]
    assert f"{BASE}/contracts/{{contract_id}}/accept" in paths
    assert "application/pdf" in str(paths[f"{BASE}/contracts/{{contract_id}}/pdf"])


def test_party_reads_and_accepts_with_the_hash_seen(client_for, member, sent, events):
    c = client_for(member)
    listed = c.get(f"{BASE}/contracts").json()["contracts"]
    assert sent.pk in [row["id"] for row in listed]
    got = c.get(f"{BASE}/contracts/{sent.pk}").json()
    assert got["status"] == "sent" and got["pdf_sha256"] == sent.pdf_sha256
    pdf = c.get(f"{BASE}/contracts/{sent.pk}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    seen = hashlib.sha256(pdf.content).hexdigest()
    assert seen == pdf["X-Content-SHA256"] == sent.pdf_sha256

    stale = _post(c, f"{BASE}/contracts/{sent.pk}/accept", {"sha256": "f" * 64})
    assert stale.status_code == 409 and not sent.acceptances.exists()
    response = c.post(
        f"{BASE}/contracts/{sent.pk}/accept", {"sha256": seen},
        content_type="application/json", HTTP_USER_AGENT="api-test", REMOTE_ADDR="198.51.100.9",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    acceptance = sent.acceptances.get()
    assert (acceptance.user, acceptance.ip, acceptance.user_agent) == (
        member,
        "198.51.100.9",
        "api-test",
    )
    assert response.json()["document_sha256"] == sent.pdf_sha256
    sent.refresh_from_db()
    assert sent.status == "signed"
    assert events()[-1] == "contracts.contract.accept"


def test_accept_needs_a_64_digit_hash(client_for, member, sent):
    response = _post(client_for(member), f"{BASE}/contracts/{sent.pk}/accept", {"sha256": "ab"})
    assert response.status_code == 422
    sent.refresh_from_db()
    assert sent.status == "sent"


@pytest.mark.parametrize("who", OTHERS)
def test_others_get_404(client_for, request, sent, who):
    c = client_for(request.getfixturevalue(who))
    for url in (f"{BASE}/contracts/{sent.pk}", f"{BASE}/contracts/{sent.pk}/pdf"):
        assert c.get(url).status_code == 404
    accept = _post(c, f"{BASE}/contracts/{sent.pk}/accept", {"sha256": sent.pdf_sha256})
    assert accept.status_code == 404
    assert sent.pk not in [r["id"] for r in c.get(f"{BASE}/contracts").json()["contracts"]]
    sent.refresh_from_db()
    assert sent.status == "sent"


@pytest.mark.parametrize("who", ["member", *OTHERS])
def test_staff_actions_are_404_for_everyone_else(client_for, request, sent, who):
    template = ContractTemplate.objects.get(kind="member_agreement")
    c = client_for(request.getfixturevalue(who))
    assert c.get(f"{BASE}/templates").status_code == 404
    body = {"body": "# New\n\nText."}
    assert _post(c, f"{BASE}/templates/{template.pk}/versions", body).status_code == 404
    member_id = request.getfixturevalue("member").network_member.pk
    draft = {"kind": "member_agreement", "member": member_id}
    assert _post(c, f"{BASE}/contracts", draft).status_code == 404
    for move in ("send", "activate"):
        assert _post(c, f"{BASE}/contracts/{sent.pk}/{move}").status_code == 404
    terminate = _post(c, f"{BASE}/contracts/{sent.pk}/terminate", {"reason": "x"})
    assert terminate.status_code == 404
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_a_draft_is_staffs_until_sent(client_for, member, staff):
    c = client_for(staff)
    member_id = member.network_member.pk
    draft = _post(c, f"{BASE}/contracts", {"kind": "member_agreement", "member": member_id})
    assert draft.status_code == 201, draft.content
    draft_id = draft.json()["id"]
    assert client_for(member).get(f"{BASE}/contracts/{draft_id}").status_code == 404
    assert client_for(staff).get(f"{BASE}/contracts/{draft_id}").status_code == 200


def test_staff_draft_send_activate_terminate(client_for, staff, member, events):
    c = client_for(staff)
    member_id = member.network_member.pk
    contract = _post(
        c, f"{BASE}/contracts", {"kind": "member_agreement", "member": member_id}
    ).json()
    cid = contract["id"]
    assert contract["status"] == "draft" and contract["version_number"] >= 1
    assert _post(c, f"{BASE}/contracts/{cid}/activate").status_code == 409  # not signed
    assert _post(c, f"{BASE}/contracts/{cid}/send").json()["status"] == "sent"
    # Staff see it but accept for nobody: 403, nothing written.
    staff_accept = _post(c, f"{BASE}/contracts/{cid}/accept", {"sha256": contract["pdf_sha256"]})
    assert staff_accept.status_code == 403
    accepted = _post(
        client_for(member), f"{BASE}/contracts/{cid}/accept", {"sha256": contract["pdf_sha256"]}
    )
    assert accepted.status_code == 201
    c = client_for(staff)
    assert _post(c, f"{BASE}/contracts/{cid}/activate").json()["status"] == "active"
    assert _post(c, f"{BASE}/contracts/{cid}/terminate", {"reason": " "}).status_code == 400
    ended = _post(c, f"{BASE}/contracts/{cid}/terminate", {"reason": "member left"})
    assert ended.json()["status"] == "terminated"
    assert (
        events()[-6:]
        == [
            "contracts.contract.draft",
            "contracts.contract.send",
            "contracts.contract.accept",
            "contracts.contract.activate",
            "contracts.contract.terminate",
        ][-6:]
    )


def test_draft_refusals_name_the_field(client_for, staff):
    c = client_for(staff)
    missing = _post(c, f"{BASE}/contracts", {"kind": "member_agreement", "member": 999999})
    assert missing.status_code == 400 and "member" in missing.json()["message"]
    wrong = _post(c, f"{BASE}/contracts", {"kind": "member_agreement"})
    assert wrong.status_code == 400
    assert _post(c, f"{BASE}/contracts", {"kind": "lease"}).status_code == 422


def test_staff_templates_and_publish(client_for, staff, events):
    c = client_for(staff)
    templates = c.get(f"{BASE}/templates").json()["templates"]
    member_t = next(t for t in templates if t["kind"] == "member_agreement")
    before = member_t["versions"][0]["number"]
    bad = _post(c, f"{BASE}/templates/{member_t['id']}/versions", {"body": "{{ nope }}"})
    assert bad.status_code == 400 and "nope" in bad.json()["message"]
    made = _post(c, f"{BASE}/templates/{member_t['id']}/versions", {"body": "# V\n\nText."})
    assert made.status_code == 201 and made.json()["number"] == before + 1
    assert events()[-1] == "contracts.version.publish"
    assert _post(c, f"{BASE}/templates/999999/versions", {"body": "x"}).status_code == 404


def test_list_pages_by_keyset_and_filters_status(client_for, staff, sent):
    c = client_for(staff)
    total = Contract.objects.count()
    first = c.get(f"{BASE}/contracts?limit=1").json()
    assert len(first["contracts"]) == 1 and (first["next_after"] is not None) == (total > 1)
    rest = c.get(f"{BASE}/contracts?limit=500&after={first['next_after']}").json()
    assert len(rest["contracts"]) == total - 1
    only_sent = c.get(f"{BASE}/contracts?status=sent").json()["contracts"]
    assert [r["id"] for r in only_sent] == [sent.pk]
