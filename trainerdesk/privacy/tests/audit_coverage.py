"""The privacy API's writes and the audit action each must leave, with a driver that
calls it over HTTP as staff (gathered by trainerdesk/tests/test_audit_api_coverage.py).
The subject is `teammate`, a plain login: these drivers import nothing above privacy."""

from __future__ import annotations

BASE = "/api/v1/privacy"

WRITES = {
    ("POST", f"{BASE}/requests"): ("privacy.request.create",),
    ("POST", f"{BASE}/requests/{{request_id}}/verify"): ("privacy.request.verify",),
    ("POST", f"{BASE}/requests/{{request_id}}/bundle"): ("privacy.request.export",),
    ("POST", f"{BASE}/requests/{{request_id}}/erase"): ("privacy.request.erase",),
    ("POST", f"{BASE}/requests/{{request_id}}/close"): ("privacy.request.close",),
}


def _json(client, url, body=None, status=(200, 201)):
    response = client.post(url, body or {}, content_type="application/json")
    assert response.status_code in status, (url, response.status_code, response.content[:300])
    return response


def _logged(client, request, kind) -> int:
    subject = request.getfixturevalue("teammate")
    client.force_login(request.getfixturevalue("staff"))
    body = {"kind": kind, "user_id": subject.pk, "details": "fix my name"}
    return _json(client, f"{BASE}/requests", body).json()["id"]


def _verified(client, request, kind) -> int:
    pk = _logged(client, request, kind)
    _json(client, f"{BASE}/requests/{pk}/verify", {"method": "email_confirmed"})
    return pk


def _create(client, *, request, **_):
    _logged(client, request, "access")


def _verify(client, *, request, **_):
    _verified(client, request, "access")


def _bundle(client, *, request, **_):
    pk = _verified(client, request, "portability")
    _json(client, f"{BASE}/requests/{pk}/bundle")


def _erase(client, *, request, **_):
    pk = _verified(client, request, "erasure")
    _json(client, f"{BASE}/requests/{pk}/erase")


def _close(client, *, request, **_):
    pk = _verified(client, request, "rectification")
    _json(client, f"{BASE}/requests/{pk}/close", {"status": "completed", "summary": "name fixed"})


DRIVERS = {
    ("POST", f"{BASE}/requests"): _create,
    ("POST", f"{BASE}/requests/{{request_id}}/verify"): _verify,
    ("POST", f"{BASE}/requests/{{request_id}}/bundle"): _bundle,
    ("POST", f"{BASE}/requests/{{request_id}}/erase"): _erase,
    ("POST", f"{BASE}/requests/{{request_id}}/close"): _close,
}
