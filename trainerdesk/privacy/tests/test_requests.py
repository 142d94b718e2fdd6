"""Data-subject requests for a person who is only a login (accounts): logging with its
deadline, a request for nobody, the identity check, the bundle, pages for staff only."""

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError
from trainerdesk.privacy import services
from trainerdesk.privacy.models import DataSubjectRequest


def test_request_is_due_one_month_after_receipt(teammate, staff):
    received = datetime.datetime(2027, 1, 31, 10, 0, tzinfo=datetime.UTC)
    dsar = services.create_request(
        kind="access", email="TEAMMATE@example.org", received_at=received, by=staff
    )
    assert dsar.due_on == datetime.date(2027, 2, 28)
    assert dsar.subject_user_id == teammate.pk  # found from the address
    assert dsar.status == "received"
    assert dsar.is_overdue(datetime.date(2027, 3, 1))
    assert not dsar.is_overdue(datetime.date(2027, 2, 28))
    event = AuditEvent.objects.get(action="privacy.request.create")
    assert event.changes["user_id"] == teammate.pk and "email" not in json.dumps(event.changes)


def test_request_for_someone_who_is_not_there_says_so_and_writes_nothing(db, staff):
    with pytest.raises(services.SubjectNotFound) as exc:
        services.create_request(kind="erasure", email="nobody@example.org", by=staff)
    assert "Nobody matches nobody@example.org" in str(exc.value)
    assert "Nothing is held" in str(exc.value)
    assert not DataSubjectRequest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()


def test_nothing_happens_before_the_identity_check(teammate, staff):
    dsar = services.create_request(kind="access", user_id=teammate.pk, by=staff)
    with pytest.raises(ConflictError, match="identity"):
        services.export_bundle(request=dsar, by=staff)
    erasure = services.create_request(kind="erasure", user_id=teammate.pk, by=staff)
    with pytest.raises(ConflictError, match="identity"):
        services.confirm_erasure(request=erasure, by=staff)
    teammate.refresh_from_db()
    assert teammate.email == "teammate@example.org"


def test_bundle_has_json_and_one_csv_per_table_with_audit_events(teammate, staff):
    dsar = services.create_request(kind="portability", user_id=teammate.pk, by=staff)
    services.verify_identity(request=dsar, method="email_confirmed", by=staff)
    data = services.export_bundle(request=dsar, by=staff)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        doc = json.loads(z.read("data.json"))
        users = list(csv.DictReader(io.StringIO(z.read("csv/auth.user.csv").decode())))
    assert {"README.txt", "data.json", "csv/auth.user.csv", "csv/accounts.auditevent.csv"} <= names
    assert {f"csv/{table}.csv" for table in doc} == {n for n in names if n.startswith("csv/")}
    assert users[0]["email"] == "teammate@example.org" and users[0]["username"] == "teammate"
    actions = {e["action"] for e in doc["accounts.auditevent"]}
    assert {"privacy.request.create", "privacy.request.verify"} <= actions
    dsar.refresh_from_db()
    assert dsar.status == "completed" and len(dsar.result["bundle_sha256"]) == 64
    assert AuditEvent.objects.filter(action="privacy.request.export", object_id=str(dsar.pk))
    # The same data gives the same bytes.
    assert services.build_bundle(services.subject_of(dsar)) == services.build_bundle(
        services.subject_of(dsar)
    )


def test_erasing_a_login_anonymises_it_and_keeps_the_request_as_proof(teammate, staff):
    dsar = services.create_request(kind="erasure", email="teammate@example.org", by=staff)
    services.verify_identity(request=dsar, method="signed_in", by=staff)
    preview = services.preview_erasure(request=dsar)
    assert preview["counts"]["auth.user"] == 1
    teammate.refresh_from_db()
    assert teammate.username == "teammate"  # the preview wrote nothing
    done = services.confirm_erasure(request=dsar, by=staff)
    teammate.refresh_from_db()
    assert (teammate.username, teammate.email, teammate.is_active) == (
        f"erased-{teammate.pk}",
        "",
        False,
    )
    assert not teammate.has_usable_password()
    assert done.status == "completed"  # only the request itself is kept (accountability)
    assert done.subject_email == "" and done.subject_user_id == teammate.pk
    for chain in audit.chains():
        assert audit.verify(chain).broken is None


def test_rectification_needs_details_and_closes_with_a_summary(teammate, staff):
    from trainerdesk.lib.errors import InvalidInput

    with pytest.raises(InvalidInput, match="details"):
        services.create_request(kind="rectification", user_id=teammate.pk, by=staff)
    dsar = services.create_request(
        kind="rectification", user_id=teammate.pk, details="last name misspelt", by=staff
    )
    with pytest.raises(ConflictError):
        services.close_request(request=dsar, status="completed", summary="fixed", by=staff)
    services.verify_identity(request=dsar, method="signed_in", by=staff)
    done = services.close_request(request=dsar, status="completed", summary="last_name", by=staff)
    assert done.status == "completed" and done.completed_at <= timezone.now()


# -- pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/privacy/staff/", "/privacy/staff/requests/new/", "/privacy/staff/retention/",
     "/privacy/staff/records/", "/privacy/staff/records.csv"],
)  # fmt: skip
def test_staff_pages_are_404_for_everyone_else(client_for, teammate, url):
    assert client_for(teammate).get(url).status_code == 404


def test_request_pages_are_404_for_everyone_else(client_for, teammate, staff):
    dsar = services.create_request(kind="access", user_id=teammate.pk, by=staff)
    client = client_for(teammate)
    assert client.get(f"/privacy/staff/requests/{dsar.pk}/").status_code == 404
    assert client.post(f"/privacy/staff/requests/{dsar.pk}/bundle/").status_code == 404


def test_staff_walk_access_request_through_the_pages(client_for, teammate, staff):
    client = client_for(staff)
    response = client.post(
        "/privacy/staff/requests/new/", {"kind": "access", "email": "nobody@example.org"}
    )
    assert response.status_code == 400 and b"Nobody matches" in response.content
    response = client.post(
        "/privacy/staff/requests/new/", {"kind": "access", "email": "teammate@example.org"}
    )
    assert response.status_code == 302
    dsar = DataSubjectRequest.objects.get()
    page = client.get(response["Location"])
    assert b"Check the requester" in page.content
    client.post(f"/privacy/staff/requests/{dsar.pk}/verify/", {"method": "id_document"})
    response = client.post(f"/privacy/staff/requests/{dsar.pk}/bundle/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("data.json")
    assert b"Completed" in client.get("/privacy/staff/").content


def test_records_of_processing_are_seeded_listed_and_exported(client, client_for, staff):
    public = client.get("/privacy/")
    assert public.status_code == 200
    assert b"Candidate talent pool" in public.content and b"BAO" in public.content
    staff_client = client_for(staff)
    assert b"Records of processing" in staff_client.get("/privacy/staff/records/").content
    rows = list(
        csv.DictReader(io.StringIO(staff_client.get("/privacy/staff/records.csv").content.decode()))
    )
    assert len(rows) >= 5 and {"purpose", "legal_basis", "retention"} <= rows[0].keys()
    records = staff_client.get("/privacy/staff/records.json").json()
    assert {r["key"] for r in records} >= {"talent-pool", "billing", "accounts-security"}
