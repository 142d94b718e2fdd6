"""The JSON API: public questionnaire and assessments, documented in the OpenAPI."""

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.careers import services
from trainerdesk.careers.models import CareerAssessmentResult
from trainerdesk.careers.questionnaire import QUESTIONS
from trainerdesk.careers.tests.conftest import AFTER_LEARNING, FITS, LOW

pytestmark = pytest.mark.django_db


def _post(client, body):
    return client.post("/api/v1/careers/assessments", body, content_type="application/json")


def test_the_questionnaire_is_public(client):
    response = client.get("/api/v1/careers/questionnaire")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["duration"] == "about 2 minutes"
    assert body["reading_seconds"] <= 120
    assert [q["key"] for q in body["questions"]] == [q.key for q in QUESTIONS]
    assert body["questions"][4]["options"][0] == {"value": "lt3", "label": "Under 3"}
    assert "points" not in body["questions"][0]["options"][0]


def test_with_consent_it_is_kept_and_the_token_returned(client):
    response = _post(client, {"answers": AFTER_LEARNING, "consent": True})

    assert response.status_code == 201
    body = response.json()
    kept = CareerAssessmentResult.objects.get()
    assert body["stored"] is True
    assert body["token"] == kept.token
    assert body["signed_answers"] is None
    assert body["apply_url"] == f"/network/apply/?assessment={kept.token}"
    assert (body["score"], body["max_score"], body["recommendation"]) == (
        14,
        18,
        "fits_after_learning",
    )
    assert [g["code"] for g in body["learn_first"]] == ["sourcing", "gdpr"]
    assert [line["question_key"] for line in body["explanation"]] == [q.key for q in QUESTIONS]
    assert (
        AuditEvent.objects.filter(action="careers.assessment.record", actor_system="public").count()
        == 1
    )


def test_without_consent_nothing_is_kept(client):
    response = _post(client, {"answers": LOW})

    assert response.status_code == 200
    body = response.json()
    assert body["stored"] is False and body["token"] is None
    assert services.answers_from_signed(body["signed_answers"]) == LOW
    assert body["recommendation"] == "probably_not_now"
    assert CareerAssessmentResult.objects.count() == 0
    assert not AuditEvent.objects.filter(action="careers.assessment.record").exists()


def test_bad_answers_are_named(client):
    response = _post(client, {"answers": {**FITS, "hours": "all of them"}, "consent": True})

    assert response.status_code == 400
    assert response.json()["errors"] == ["hours: 'all of them' is not one of lt3, 3to10, gt10"]
    assert CareerAssessmentResult.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [{"answers": FITS, "consent": "yes"}, {"answers": {"hours": 3}}, {"consent": True}, [1]],
)
def test_badly_typed_bodies_are_refused(client, body):
    response = _post(client, body)

    assert response.status_code == 422
    assert CareerAssessmentResult.objects.count() == 0


def test_documented_in_the_openapi(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    post = paths["/api/v1/careers/assessments"]["post"]
    assert set(post["responses"]) >= {"200", "201", "400", "422"}
    assert "401" not in post["responses"]
    assert "security" not in post or post["security"] == [{}] or not post["security"]
    assert "get" in paths["/api/v1/careers/questionnaire"]
