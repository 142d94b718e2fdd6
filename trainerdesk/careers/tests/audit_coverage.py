"""The career assessment's API writes and the audit action each must leave (gathered by
trainerdesk/tests/test_audit_api_coverage.py with every other app's registry)."""

from trainerdesk.careers.tests.conftest import FITS

WRITES = {
    # Public: recorded (as system "public") only when the visitor consents to keep it.
    ("POST", "/api/v1/careers/assessments"): ("careers.assessment.record",),
}


def _career_assessment(client, **_):
    response = client.post(
        "/api/v1/careers/assessments",
        {"answers": FITS, "consent": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]


DRIVERS = {("POST", "/api/v1/careers/assessments"): _career_assessment}
