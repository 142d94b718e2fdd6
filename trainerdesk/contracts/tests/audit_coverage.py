"""The contracts API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the persona who may (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

BASE = "/api/v1/contracts"

WRITES = {
    ("POST", f"{BASE}/templates/{{template_id}}/versions"): ("contracts.version.publish",),
    ("POST", f"{BASE}/contracts"): ("contracts.contract.draft",),
    ("POST", f"{BASE}/contracts/{{contract_id}}/send"): ("contracts.contract.send",),
    ("POST", f"{BASE}/contracts/{{contract_id}}/accept"): ("contracts.contract.accept",),
    ("POST", f"{BASE}/contracts/{{contract_id}}/activate"): ("contracts.contract.activate",),
    ("POST", f"{BASE}/contracts/{{contract_id}}/terminate"): ("contracts.contract.terminate",),
}


def _json(client, url, body=None, status=(200, 201)):
    response = client.post(url, body or {}, content_type="application/json")
    assert response.status_code in status, (url, response.status_code, response.content[:300])
    return response.json()


def _as(client, request, name):
    user = request.getfixturevalue(name)
    client.force_login(user)
    return user


def _drafted(client, request) -> dict:
    member = request.getfixturevalue("member").network_member
    _as(client, request, "staff")
    return _json(client, f"{BASE}/contracts", {"kind": "member_agreement", "member": member.pk})


def _sent(client, request) -> dict:
    contract = _drafted(client, request)
    return _json(client, f"{BASE}/contracts/{contract['id']}/send")


def _publish(client, *, request, **_):
    from trainerdesk.contracts.models import ContractTemplate

    template = ContractTemplate.objects.get(kind="member_agreement")
    _as(client, request, "staff")
    _json(client, f"{BASE}/templates/{template.pk}/versions", {"body": "# Agreement\n\nText."})


def _draft(client, *, request, **_):
    _drafted(client, request)


def _send(client, *, request, **_):
    _sent(client, request)


def _accept(client, *, request, **_):
    contract = _sent(client, request)
    _as(client, request, "member")
    _json(client, f"{BASE}/contracts/{contract['id']}/accept", {"sha256": contract["pdf_sha256"]})


def _activate(client, *, request, **_):
    _accept(client, request=request)
    from trainerdesk.contracts.models import Contract

    contract = Contract.objects.filter(status="signed").order_by("-pk").first()
    _as(client, request, "staff")
    _json(client, f"{BASE}/contracts/{contract.pk}/activate")


def _terminate(client, *, request, **_):
    contract = _sent(client, request)
    _json(client, f"{BASE}/contracts/{contract['id']}/terminate", {"reason": "sent in error"})


DRIVERS = {
    ("POST", f"{BASE}/templates/{{template_id}}/versions"): _publish,
    ("POST", f"{BASE}/contracts"): _draft,
    ("POST", f"{BASE}/contracts/{{contract_id}}/send"): _send,
    ("POST", f"{BASE}/contracts/{{contract_id}}/accept"): _accept,
    ("POST", f"{BASE}/contracts/{{contract_id}}/activate"): _activate,
    ("POST", f"{BASE}/contracts/{{contract_id}}/terminate"): _terminate,
}
