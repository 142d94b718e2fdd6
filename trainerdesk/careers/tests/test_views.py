"""The public pages: no login, consent decides whether anything is stored, the result
explains itself and links to the membership application carrying the answers."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.careers import services
from trainerdesk.careers.models import CareerAssessmentResult
from trainerdesk.careers.questionnaire import QUESTIONS
from trainerdesk.careers.tests.conftest import AFTER_LEARNING, FITS, NO_TIME

pytestmark = pytest.mark.django_db

URL = "/careers/assessment/"


def _post(client, answers, *, consent):
    data = dict(answers)
    if consent:
        data["consent"] = "yes"
    return client.post(URL, data)


def test_the_page_needs_no_login_and_shows_every_question(client):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="viewport" content="width=device-width' in html
    assert "Takes about 2 minutes." in html
    for question in QUESTIONS:
        assert question.text in html
        for option in question.options:
            assert f'name="{question.key}" value="{option.value}"' in html
    assert 'name="consent"' in html
    assert "checked" not in html  # nothing pre-ticked, consent least of all


def test_the_login_page_links_to_the_assessment(client):
    response = client.get("/accounts/login/")

    assert 'href="/careers/assessment/"' in response.content.decode()


def test_with_consent_the_result_is_stored_and_audited_as_public(client):
    response = _post(client, AFTER_LEARNING, consent=True)

    assert CareerAssessmentResult.objects.count() == 1
    kept = CareerAssessmentResult.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/careers/assessment/result/{kept.token}/"
    assert kept.answers == AFTER_LEARNING
    assert (kept.questionnaire_version, kept.score, kept.recommendation) == (
        1,
        14,
        "fits_after_learning",
    )
    assert kept.consented_at is not None and kept.consented_at.tzinfo is not None
    assert len(kept.token) >= 40
    event = AuditEvent.objects.get(action="careers.assessment.record")
    assert (event.actor_id, event.actor_system) == (None, "public")
    assert event.object_id == str(kept.pk)
    assert event.changes == {
        "questionnaire_version": 1,
        "score": 14,
        "recommendation": "fits_after_learning",
    }
    assert event.ip == ""


def test_the_stored_result_page_explains_and_links_to_apply_with_the_token(client):
    kept_url = _post(client, AFTER_LEARNING, consent=True)["Location"]
    token = CareerAssessmentResult.objects.get().token

    response = client.get(kept_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "It can fit you, after some learning first" in html
    assert "14 <span" in html
    for question in QUESTIONS:
        option = question.option(AFTER_LEARNING[question.key])
        assert option.note in html
    assert "Sourcing AI trainers" in html and "Consent and GDPR basics" in html
    assert f'href="/network/apply/?assessment={token}"' in html
    assert "Your answers are kept" in html
    assert "not a decision" in html


def test_without_consent_nothing_is_stored_and_the_link_carries_signed_answers(client):
    before = AuditEvent.objects.count()

    response = _post(client, NO_TIME, consent=False)

    assert CareerAssessmentResult.objects.count() == 0
    assert AuditEvent.objects.count() == before
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/careers/assessment/result/"
    signed = parse_qs(location.query)["answers"][0]
    assert services.answers_from_signed(signed) == NO_TIME

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Probably not right now" in html
    assert "Nothing was stored" in html
    apply = urlsplit(page.context["apply_url"])
    assert apply.path == "/network/apply/"
    assert services.answers_from_signed(parse_qs(apply.query)["answers"][0]) == NO_TIME
    assert CareerAssessmentResult.objects.count() == 0


def test_missing_answers_are_named_and_nothing_is_stored(client):
    answers = {k: v for k, v in FITS.items() if k not in ("hours", "privacy")}
    answers["languages"] = "klingon"

    response = _post(client, answers, consent=True)

    assert response.status_code == 400
    html = response.content.decode()
    assert "3 still open or not valid" in html
    assert "please answer “Hours a week you could give it?”" in html
    assert "please answer “Handling CVs and personal data with consent?”" in html
    assert "&#x27;klingon&#x27; is not one of one, two, more" in html
    # What was chosen stays chosen; consent too.
    assert 'name="background" value="recruiting" required checked' in html
    assert 'name="consent" value="yes" checked' in html
    assert CareerAssessmentResult.objects.count() == 0


def test_a_signed_in_user_is_the_actor(client_for, owner):
    _post(client_for(owner), FITS, consent=True)

    event = AuditEvent.objects.get(action="careers.assessment.record")
    assert (event.actor_id, event.actor_system) == (owner.pk, "")


@pytest.mark.parametrize("persona", ["anonymous", "owner", "outsider"])
def test_a_result_is_reached_only_by_its_token(persona, client, client_for, request):
    _post(client, FITS, consent=True)
    token = CareerAssessmentResult.objects.get().token
    visitor = client if persona == "anonymous" else client_for(request.getfixturevalue(persona))

    assert visitor.get(f"/careers/assessment/result/{token}/").status_code == 200
    assert visitor.get(f"/careers/assessment/result/{token[:-1]}x/").status_code == 404
    assert visitor.get("/careers/assessment/result/?answers=nope").status_code == 404
    assert visitor.get("/careers/assessment/result/").status_code == 404


def test_result_for_token():
    recorded = services.record_career_assessment(answers=FITS, consent=True)

    assert services.result_for_token(recorded.result.token) == recorded.result
    assert services.result_for_token(recorded.result.token.upper()) is None
    for bad in ["", "x" * 65, None, 5]:
        assert services.result_for_token(bad) is None


def test_signed_answers_cannot_be_altered_or_carried_across_versions():
    signed = services.sign_answers(FITS)
    assert services.answers_from_signed(signed) == FITS

    assert services.answers_from_signed(signed[:-2] + "xx") is None
    assert services.answers_from_signed("") is None
    forged = signing.dumps({"v": 1, "a": FITS}, salt="another.salt", compress=True)
    assert services.answers_from_signed(forged) is None
    old = signing.dumps({"v": 0, "a": FITS}, salt=services.SIGNING_SALT, compress=True)
    assert services.answers_from_signed(old) is None
    bad = signing.dumps({"v": 1, "a": {"hours": "lt3"}}, salt=services.SIGNING_SALT)
    assert services.answers_from_signed(bad) is None


def test_the_service_refuses_bad_input_and_stores_nothing():
    from trainerdesk.lib.errors import InvalidInput

    with pytest.raises(InvalidInput, match="hours: please answer"):
        services.record_career_assessment(answers={**FITS, "hours": ""}, consent=True)
    with pytest.raises(InvalidInput, match="consent: must be true or false"):
        services.record_career_assessment(answers=FITS, consent="yes")
    assert CareerAssessmentResult.objects.count() == 0


def test_the_apply_link_uses_the_network_url_once_it_exists(monkeypatch):
    monkeypatch.setattr(services, "reverse", lambda name: "/members/apply/")

    assert services.apply_url(token="abc") == "/members/apply/?assessment=abc"
    assert services.apply_url(signed_answers="a:b") == "/members/apply/?answers=a%3Ab"


def test_a_result_from_an_older_version_sends_the_visitor_to_the_questions(client):
    recorded = services.record_career_assessment(answers=FITS, consent=True)
    CareerAssessmentResult.objects.filter(pk=recorded.result.pk).update(questionnaire_version=0)

    response = client.get(f"/careers/assessment/result/{recorded.result.token}/")

    assert response.status_code == 302 and response["Location"] == URL
    assert services.result_for_token(recorded.result.token).score == 18
