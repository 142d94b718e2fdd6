"""The placements API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the party who may (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from trainerdesk.placements.tests.conftest import grant_consent, make_opening, represent

BASE = "/api/v1/placements"

WRITES = {
    ("POST", f"{BASE}/submissions"): ("placements.submission.create",),
    ("POST", f"{BASE}/submissions/{{submission_id}}/stage"): ("placements.submission.move",),
    ("POST", f"{BASE}/submissions/{{submission_id}}/interviews"): ("placements.interview.create",),
    ("POST", f"{BASE}/interviews/{{interview_id}}/feedback"): ("placements.interview.feedback",),
    ("POST", f"{BASE}/submissions/{{submission_id}}/offers"): ("placements.offer.create",),
    ("POST", f"{BASE}/offers/{{offer_id}}/answer"): ("placements.offer.answer",),
    ("POST", f"{BASE}/placements/{{placement_id}}/start"): ("placements.placement.start",),
    ("POST", f"{BASE}/placements/{{placement_id}}/fall-off"): ("placements.placement.fall_off",),
    ("POST", f"{BASE}/sweep"): ("placements.placement.sweep",),
    ("POST", f"{BASE}/policy"): ("placements.policy.create",),
    ("POST", f"{BASE}/disputes"): ("placements.dispute.create",),
    ("POST", f"{BASE}/disputes/{{dispute_id}}/resolve"): ("placements.dispute.resolve",),
}


def _json(client, url, body=None, status=(200, 201)):
    response = client.post(url, body or {}, content_type="application/json")
    assert response.status_code in status, (url, response.status_code, response.content[:300])
    return response.json()


def _network(request) -> dict:
    names = ("staff", "member", "other_member", "client_company", "client_user", "candidate")
    net = {name: request.getfixturevalue(name) for name in names}
    grant_consent(net["candidate"], net["client_company"], net["member"])
    net["opening"] = make_opening(net["client_company"])
    net["start"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    return net


def _submitted(client, request) -> dict:
    net = _network(request)
    client.force_login(net["member"])
    body = {"candidate": net["candidate"].candidate.pk, "opening": net["opening"].pk}
    net["submission"] = _json(client, f"{BASE}/submissions", body)["id"]
    client.force_login(net["client_user"])
    return net


def _interviewed(client, request) -> dict:
    net = _submitted(client, request)
    url = f"{BASE}/submissions/{net['submission']}/interviews"
    net["interview"] = _json(client, url, {"scheduled_at": "2030-01-01T09:00:00Z"})["id"]
    return net


def _offered(client, request) -> dict:
    net = _submitted(client, request)
    _json(client, f"{BASE}/submissions/{net['submission']}/stage", {"to_stage": "client_review"})
    body = {"pay_cents": 2000, "currency": "EUR", "unit": "hour", "start_date": net["start"]}
    net["offer"] = _json(client, f"{BASE}/submissions/{net['submission']}/offers", body)["id"]
    return net


def _placed(client, request) -> dict:
    net = _offered(client, request)
    _json(client, f"{BASE}/offers/{net['offer']}/answer", {"accepted": True})
    _json(client, f"{BASE}/submissions/{net['submission']}/stage", {"to_stage": "placed"})
    response = client.get(f"{BASE}/placements")
    net["placement"] = response.json()["placements"][0]["id"]
    return net


def _submit(client, *, request, **_):
    _submitted(client, request)


def _move(client, *, request, **_):
    net = _submitted(client, request)
    _json(client, f"{BASE}/submissions/{net['submission']}/stage", {"to_stage": "client_review"})


def _interview(client, *, request, **_):
    _interviewed(client, request)


def _feedback(client, *, request, **_):
    net = _interviewed(client, request)
    body = {"feedback": {}, "outcome": "hold"}
    _json(client, f"{BASE}/interviews/{net['interview']}/feedback", body)


def _offer(client, *, request, **_):
    _offered(client, request)


def _answer(client, *, request, **_):
    net = _offered(client, request)
    _json(client, f"{BASE}/offers/{net['offer']}/answer", {"accepted": False})


def _start(client, *, request, **_):
    net = _placed(client, request)
    _json(client, f"{BASE}/placements/{net['placement']}/start")


def _fall_off(client, *, request, **_):
    net = _placed(client, request)
    body = {"on": timezone.localdate().isoformat(), "reason": "left"}
    _json(client, f"{BASE}/placements/{net['placement']}/fall-off", body)


def _sweep(client, *, request, **_):
    net = _placed(client, request)
    _json(client, f"{BASE}/placements/{net['placement']}/start")
    client.force_login(net["staff"])
    _json(client, f"{BASE}/sweep", {"today": "2099-01-01"})


def _policy(client, *, request, **_):
    client.force_login(request.getfixturevalue("staff"))
    body = {"pending_cap_per_member_per_opening": 4, "ownership_days": 100}
    _json(client, f"{BASE}/policy", body)


def _disputed(client, request) -> dict:
    net = _submitted(client, request)
    represent(net["other_member"], net["candidate"])
    client.force_login(net["other_member"])
    body = {
        "candidate": net["candidate"].candidate.pk,
        "client": net["client_company"].pk,
        "reason": "I met them first",
    }
    net["dispute"] = _json(client, f"{BASE}/disputes", body)["id"]
    return net


def _dispute(client, *, request, **_):
    _disputed(client, request)


def _resolve(client, *, request, **_):
    net = _disputed(client, request)
    client.force_login(net["staff"])
    body = {"reassign": False, "reason": "no proof"}
    _json(client, f"{BASE}/disputes/{net['dispute']}/resolve", body)


DRIVERS = {
    ("POST", f"{BASE}/submissions"): _submit,
    ("POST", f"{BASE}/submissions/{{submission_id}}/stage"): _move,
    ("POST", f"{BASE}/submissions/{{submission_id}}/interviews"): _interview,
    ("POST", f"{BASE}/interviews/{{interview_id}}/feedback"): _feedback,
    ("POST", f"{BASE}/submissions/{{submission_id}}/offers"): _offer,
    ("POST", f"{BASE}/offers/{{offer_id}}/answer"): _answer,
    ("POST", f"{BASE}/placements/{{placement_id}}/start"): _start,
    ("POST", f"{BASE}/placements/{{placement_id}}/fall-off"): _fall_off,
    ("POST", f"{BASE}/sweep"): _sweep,
    ("POST", f"{BASE}/policy"): _policy,
    ("POST", f"{BASE}/disputes"): _dispute,
    ("POST", f"{BASE}/disputes/{{dispute_id}}/resolve"): _resolve,
}
