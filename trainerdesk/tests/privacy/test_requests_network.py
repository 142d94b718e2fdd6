"""A candidate's requests through the staff pages: found by e-mail, the bundle holds the
profile, consents, submissions, interview notes and audit events; the erasure preview
writes nothing; the confirmed erasure keeps the placement and says why."""

import io
import json
import zipfile

from trainerdesk.network.models import Candidate
from trainerdesk.placements.models import Placement
from trainerdesk.privacy.models import DataSubjectRequest
from trainerdesk.tests.privacy.conftest import PERSONAL, place
from trainerdesk.tests.privacy.dump import dump_database


def _log(client, kind):
    response = client.post(
        "/privacy/staff/requests/new/", {"kind": kind, "email": PERSONAL["email"].upper()}
    )
    assert response.status_code == 302, response.content[:500]
    dsar = DataSubjectRequest.objects.order_by("-pk").first()
    client.post(f"/privacy/staff/requests/{dsar.pk}/verify/", {"method": "email_confirmed"})
    return dsar


def test_access_bundle_holds_everything_about_the_candidate(
    client_for, staff, zelda, member, client_user, role
):
    place(zelda, member=member, client_user=client_user, opening=role)
    client = client_for(staff)
    dsar = _log(client, "access")
    assert dsar.subject_candidate_id == zelda.pk and dsar.subject_user_id == zelda.user_id
    response = client.post(f"/privacy/staff/requests/{dsar.pk}/bundle/")
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        doc = json.loads(z.read("data.json"))
        names = set(z.namelist())
    assert doc["network.candidate"][0]["full_name"] == PERSONAL["full_name"]
    assert {c["purpose"] for c in doc["network.consent"]} == {"profile", "submit_to_client"}
    assert doc["placements.interview"][0]["notes"] == PERSONAL["interview_note"]
    assert doc["placements.submission"][0]["stage"] == "placed"
    assert doc["network.candidatelanguage"][0]["code"] == "de"
    assert doc["auth.user"][0]["username"] == PERSONAL["username"]
    actions = {e["action"] for e in doc["accounts.auditevent"]}
    assert {"network.candidate.create", "network.candidate.update"} <= actions
    assert "placements.submission.create" in actions
    assert {f"csv/{t}.csv" for t in doc} <= names


def test_erasure_preview_then_confirm_keeps_the_placement(
    client_for, staff, zelda, member, client_user, role
):
    placement = place(zelda, member=member, client_user=client_user, opening=role)
    client = client_for(staff)
    dsar = _log(client, "erasure")
    before = dump_database()
    page = client.get(f"/privacy/staff/requests/{dsar.pk}/")
    assert b"Erasure preview" in page.content and b"BAO" in page.content
    assert b"the fee may still be credited" in page.content  # the open obligation
    assert dump_database() == before  # the preview is a dry run
    client.post(f"/privacy/staff/requests/{dsar.pk}/erase/", {})  # not confirmed
    assert Candidate.objects.get(pk=zelda.pk).anonymised_at is None
    client.post(f"/privacy/staff/requests/{dsar.pk}/erase/", {"confirm": "yes"})
    dsar.refresh_from_db()
    assert dsar.status == "partial"
    assert Candidate.objects.get(pk=zelda.pk).anonymised_at is not None
    kept = Placement.objects.get(pk=placement.pk)
    assert kept.fee_cents == placement.fee_cents
    assert any(r["table"] == "placements.placement" for r in dsar.result["retained"])
    assert PERSONAL["email"] not in json.dumps(dsar.result)
    page = client.get(f"/privacy/staff/requests/{dsar.pk}/")
    assert b"Erasure result" in page.content and b"Zelda" not in page.content
