"""The privacy API: staff only (everyone else, every persona, gets 404 and nothing is
written); a request's life through it: log, verify, bundle / erasure preview and confirm /
close; the records of processing and the retention dry run."""

import hashlib
import io
import json
import zipfile

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.privacy import services
from trainerdesk.privacy.models import DataSubjectRequest

BASE = "/api/v1/privacy"
OTHERS = ["owner", "outsider", "member", "other_member", "client_user", "candidate"]


def _post(c, url, body=None):
    return c.post(url, body or {}, content_type="application/json")


@pytest.fixture
def logged(teammate, staff):
    """An access request about `teammate`, identity checked."""
    dsar = services.create_request(kind="access", user_id=teammate.pk, by=staff)
    return services.verify_identity(request=dsar, method="email_confirmed", by=staff)


def test_openapi_documents_the_privacy_api(client_for, outsider):
    response = client_for(outsider).get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "application/zip" in str(paths[f"{BASE}/requests/{{request_id}}/bundle"])
    assert f"{BASE}/retention" in paths and f"{BASE}/records/export" in paths


@pytest.mark.parametrize("who", OTHERS)
def test_everyone_but_staff_gets_404_and_writes_nothing(client_for, request, logged, who):
    c = client_for(request.getfixturevalue(who))
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    for url in (
        f"{BASE}/requests",
        f"{BASE}/requests/{logged.pk}",
        f"{BASE}/requests/{logged.pk}/erasure",
        f"{BASE}/records",
        f"{BASE}/records/export",
        f"{BASE}/retention",
    ):
        assert c.get(url).status_code == 404, url
    teammate = request.getfixturevalue("teammate")
    writes = [
        (f"{BASE}/requests", {"kind": "access", "user_id": teammate.pk}),
        (f"{BASE}/requests/{logged.pk}/verify", {"method": "signed_in"}),
        (f"{BASE}/requests/{logged.pk}/bundle", {}),
        (f"{BASE}/requests/{logged.pk}/erase", {}),
        (f"{BASE}/requests/{logged.pk}/close", {"status": "rejected", "summary": "no"}),
    ]
    for url, body in writes:
        assert _post(c, url, body).status_code == 404, url
    logged.refresh_from_db()
    assert logged.status == "verified" and DataSubjectRequest.objects.count() == 1
    actions = AuditEvent.objects.filter(pk__gt=last).values_list("action", flat=True)
    assert not [a for a in actions if a.startswith("privacy.")]


def test_staff_log_verify_and_download_the_bundle(client_for, staff, teammate):
    c = client_for(staff)
    made = _post(c, f"{BASE}/requests", {"kind": "portability", "user_id": teammate.pk})
    assert made.status_code == 201, made.content
    dsar = made.json()
    assert dsar["status"] == "received" and dsar["subject_user"] == teammate.pk
    early = _post(c, f"{BASE}/requests/{dsar['id']}/bundle")
    assert early.status_code == 409 and "identity" in early.json()["message"]
    verified = _post(c, f"{BASE}/requests/{dsar['id']}/verify", {"method": "id_document"})
    assert verified.json()["status"] == "verified"
    again = _post(c, f"{BASE}/requests/{dsar['id']}/verify", {"method": "id_document"})
    assert again.status_code == 409
    bundle = _post(c, f"{BASE}/requests/{dsar['id']}/bundle")
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/zip"
    sha = hashlib.sha256(bundle.content).hexdigest()
    assert bundle["X-Content-SHA256"] == sha
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        assert "data.json" in z.namelist()
        assert "teammate@example.org" in z.read("data.json").decode()
    done = c.get(f"{BASE}/requests/{dsar['id']}").json()
    assert done["status"] == "completed" and done["result"]["bundle_sha256"] == sha
    listed = c.get(f"{BASE}/requests?open=false").json()["requests"]
    assert [r["id"] for r in listed] == [dsar["id"]]
    assert c.get(f"{BASE}/requests?open=true").json()["requests"] == []


def test_nobody_held_is_a_400_and_nothing_is_logged(client_for, staff):
    body = {"kind": "erasure", "email": "nobody@example.org"}
    response = _post(client_for(staff), f"{BASE}/requests", body)
    assert response.status_code == 400 and "Nobody matches" in response.json()["message"]
    assert not DataSubjectRequest.objects.exists()
    assert _post(client_for(staff), f"{BASE}/requests", {"kind": "forget"}).status_code == 422


def test_received_at_needs_a_time_zone_and_sets_the_deadline(client_for, staff, teammate):
    c = client_for(staff)
    body = {"kind": "access", "user_id": teammate.pk, "received_at": "2027-01-31T10:00:00"}
    naive = _post(c, f"{BASE}/requests", body)
    assert naive.status_code == 400 and "time zone" in naive.json()["message"]
    made = _post(c, f"{BASE}/requests", {**body, "received_at": "2027-01-31T10:00:00Z"})
    assert made.status_code == 201 and made.json()["due_on"] == "2027-02-28"


def test_erasure_preview_is_a_dry_run_then_confirm(client_for, staff, teammate):
    c = client_for(staff)
    pk = _post(c, f"{BASE}/requests", {"kind": "erasure", "user_id": teammate.pk}).json()["id"]
    assert c.get(f"{BASE}/requests/{pk}/erasure").status_code == 409  # not verified yet
    _post(c, f"{BASE}/requests/{pk}/verify", {"method": "email_confirmed"})
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    preview = c.get(f"{BASE}/requests/{pk}/erasure")
    assert preview.status_code == 200, preview.content
    assert preview.json()["dry_run"] is True and preview.json()["counts"]
    teammate.refresh_from_db()
    assert teammate.email == "teammate@example.org"
    assert not AuditEvent.objects.filter(pk__gt=last).exists()
    erased = _post(c, f"{BASE}/requests/{pk}/erase")
    assert erased.status_code == 200 and erased.json()["status"] in ("completed", "partial")
    teammate.refresh_from_db()
    assert teammate.email != "teammate@example.org"
    assert _post(c, f"{BASE}/requests/{pk}/erase").status_code == 409


def test_close_needs_a_summary_and_the_check(client_for, staff, teammate):
    c = client_for(staff)
    body = {"kind": "rectification", "user_id": teammate.pk, "details": "spelling"}
    pk = _post(c, f"{BASE}/requests", body).json()["id"]
    done = {"status": "completed", "summary": "name corrected"}
    assert _post(c, f"{BASE}/requests/{pk}/close", done).status_code == 409  # unverified
    blank = {"status": "rejected", "summary": "  "}
    assert _post(c, f"{BASE}/requests/{pk}/close", blank).status_code == 400
    rejected = _post(c, f"{BASE}/requests/{pk}/close", {"status": "rejected", "summary": "no"})
    assert rejected.json()["status"] == "rejected"


def test_records_of_processing_list_and_json_export(client_for, staff):
    c = client_for(staff)
    rows = c.get(f"{BASE}/records").json()
    assert rows and {"key", "legal_basis", "retention"} <= rows[0].keys()
    export = c.get(f"{BASE}/records/export")
    assert export["Content-Type"] == "application/json"
    assert "attachment" in export["Content-Disposition"]
    assert [r["key"] for r in json.loads(export.content)] == [r["key"] for r in rows]


def test_retention_report_is_a_dry_run(client_for, staff):
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    report = client_for(staff).get(f"{BASE}/retention?today=2030-01-01")
    assert report.status_code == 200, report.content
    body = report.json()
    assert body["dry_run"] is True and body["today"] == "2030-01-01"
    assert {"erased", "held", "reconsent"} <= body.keys()
    assert not AuditEvent.objects.filter(pk__gt=last, action__startswith="privacy.").exists()
    assert client_for(staff).get(f"{BASE}/retention?today=someday").status_code == 422
