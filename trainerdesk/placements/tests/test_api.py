"""The JSON API: the whole path, keyset pages, refusals with their message, 404s."""

import datetime

from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_api_walk_from_submission_to_placement(
    member, candidate, consent, opening, client_user, client_for
):
    api = client_for(member)
    body = {"candidate": candidate.candidate.pk, "opening": opening.pk}
    created = _post(api, "/api/v1/placements/submissions", body)
    assert created.status_code == 201, created.content
    sub = created.json()
    assert sub["stage"] == "submitted" and sub["policy_version"] == 1
    assert sub["allowed_moves"] == ["withdrawn"]
    again = _post(api, "/api/v1/placements/submissions", body)
    assert again.status_code == 400 and "already submitted to this role" in again.json()["message"]

    api = client_for(client_user)
    url = f"/api/v1/placements/submissions/{sub['id']}"
    forbidden = _post(api, f"{url}/stage", {"to_stage": "withdrawn"})
    assert forbidden.status_code == 403
    when = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    interview = _post(api, f"{url}/interviews", {"scheduled_at": when})
    assert interview.status_code == 201, interview.content
    req = opening.requirements.first()
    fb = {"feedback": {str(req.pk): {"rating": "meets"}}, "outcome": "advance"}
    r = _post(api, f"/api/v1/placements/interviews/{interview.json()['id']}/feedback", fb)
    assert r.status_code == 200 and r.json()["feedback"][str(req.pk)]["rating"] == "meets"
    start = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    offer = _post(api, f"{url}/offers", {"pay_cents": 3000, "currency": "EUR", "unit": "hour",
                                         "start_date": start})  # fmt: skip
    assert offer.status_code == 201, offer.content
    r = _post(api, f"/api/v1/placements/offers/{offer.json()['id']}/answer", {"accepted": True})
    assert r.json()["status"] == "accepted"
    r = _post(api, f"{url}/stage", {"to_stage": "placed"})
    assert r.status_code == 200 and r.json()["stage"] == "placed"
    [placement] = api.get("/api/v1/placements/placements").json()["placements"]
    assert (placement["fee_cents"], placement["member_commission_cents"]) == (624000, 312000)
    r = _post(api, f"/api/v1/placements/placements/{placement['id']}/start", {})
    assert r.json()["status"] == "started"
    history = api.get(url).json()["history"]
    assert [h["to_stage"] for h in history] == ["submitted", "interview", "offer", "placed"]
    assert AuditEvent.objects.filter(action__startswith="placements.").count() >= 8


def test_keyset_pages(submit, consent, member, client_for, client_company, candidate):
    from trainerdesk.placements.tests.conftest import make_opening

    for i in range(3):
        submit(role=make_opening(client_company, title=f"Role {i}"), stage="sourced")
    api = client_for(member)
    first = api.get("/api/v1/placements/submissions?limit=2").json()
    assert len(first["submissions"]) == 2 and first["next_after"]
    rest = api.get(f"/api/v1/placements/submissions?limit=2&after={first['next_after']}").json()
    assert len(rest["submissions"]) == 1 and rest["next_after"] is None


def test_api_denials_are_404(submit, other_member, other_client_user, client_user, client_for):
    sub = submit(stage="sourced")
    for persona in (other_member, other_client_user, client_user):
        api = client_for(persona)
        assert api.get(f"/api/v1/placements/submissions/{sub.pk}").status_code == 404
        r = _post(api, f"/api/v1/placements/submissions/{sub.pk}/stage", {"to_stage": "rejected"})
        assert r.status_code == 404
        assert api.get("/api/v1/placements/submissions").json()["submissions"] == []
    assert client_for(client_user).get("/api/v1/placements/funnel").status_code == 404


def test_staff_policy_funnel_and_sweep(staff, member, client_for):
    api = client_for(staff)
    r = _post(api, "/api/v1/placements/policy",
              {"pending_cap_per_member_per_opening": 3, "ownership_days": 200})  # fmt: skip
    assert r.status_code == 201 and r.json()["version"] == 2
    bad = _post(api, "/api/v1/placements/policy",
                {"pending_cap_per_member_per_opening": 0, "ownership_days": 200})  # fmt: skip
    assert bad.status_code == 400 and "pending_cap_per_member_per_opening" in bad.json()["message"]
    assert len(api.get("/api/v1/placements/funnel").json()) == 6
    r = _post(api, "/api/v1/placements/sweep", {"today": "2027-01-01"})
    assert r.json() == {"in_guarantee": 0, "earned": 0}
    member_api = client_for(member)
    r = _post(member_api, "/api/v1/placements/policy",
              {"pending_cap_per_member_per_opening": 3, "ownership_days": 200})  # fmt: skip
    assert r.status_code == 404
