"""Privacy fixtures on the root personas: `zelda`, a candidate added through the network's
services (so the audit log holds what they hold), with a login, a language, consents, a
representation request, a submission that went through an interview and an offer to a
placement, and free-text notes on the way. PERSONAL lists every personal value seeded."""

import datetime

import pytest
from django.utils import timezone

RATING = "meets"

PERSONAL = {
    "full_name": "Zelda Quistmarlowe",
    "email": "zelda.quist@example.org",
    "phone": "+436601234567",
    "profile_url": "linkedin.com/in/zeldaquistmarlowe",
    "location": "Hallstatt am See",
    "new_location": "Obertraun Seeblick",
    "interview_note": "Zelda mentioned her tortoise Bartholomew",
    "feedback_text": "Quistmarlowe explained the tagging brilliantly",
    "stage_reason": "Strong portfolio, Quistmarlowe shortlisted",
    "request_message": "Hello Zelda, may I represent you for Contoso",
    "username": "zeldaquist",
}


def add_zelda(member, **extra):
    from trainerdesk.network import services as network

    profile = {
        "full_name": PERSONAL["full_name"],
        "email": PERSONAL["email"],
        "phone": "+43 660 1234567",
        "profile_url": "https://www." + PERSONAL["profile_url"] + "/",
        "country": "AT",
        "location": PERSONAL["location"],
        "domains": ["news"],
        **extra,
    }
    person = network.add_candidate(
        member=member.network_member,
        profile=profile,
        languages=[("de", "native")],
        consent_held=True,
        by=member,
    )
    # An edit the audit log keeps the before/after of (location is not masked there).
    network.update_candidate(
        candidate=person, profile={"location": PERSONAL["new_location"]}, by=member
    )
    return person


@pytest.fixture
def zelda(member, other_member, client_company, staff):
    from trainerdesk.network import services as network
    from trainerdesk.network.models import Consent, RepresentationRequest

    person = add_zelda(member)
    network.create_candidate_login(
        candidate=person, username=PERSONAL["username"], password="x-Very-long-pass-1",
        check_password=False, by=member,
    )  # fmt: skip
    person.refresh_from_db()
    Consent.objects.create(
        candidate=person, purpose="submit_to_client", client=client_company,
        method="member_recorded", recorded_by=member,
    )  # fmt: skip
    RepresentationRequest.objects.create(
        member=other_member.network_member, candidate=person, message=PERSONAL["request_message"]
    )
    return person


def place(person, *, member, client_user, opening, start=None):
    """Submit `person` to `opening`, interview with notes, offer, accept, place: the
    placement (pending start)."""
    from trainerdesk.placements import services as pipeline
    from trainerdesk.placements.models import Placement

    sub = pipeline.submit_candidate(
        candidate=person, opening=opening, member=member.network_member, by=member
    )
    pipeline.move_submission(
        submission=sub, to_stage="client_review", by=client_user, reason=PERSONAL["stage_reason"]
    )
    interview = pipeline.schedule_interview(
        submission=sub, scheduled_at=timezone.now() + datetime.timedelta(days=1), by=client_user
    )
    pipeline.record_interview_feedback(
        interview=interview,
        feedback={str(r.pk): {"rating": RATING, "note": PERSONAL["feedback_text"]}
                  for r in opening.requirements.all()[:1]},
        outcome="advance",
        notes=PERSONAL["interview_note"], by=client_user,
    )  # fmt: skip
    start = start or timezone.localdate() + datetime.timedelta(days=1)
    offer = pipeline.make_offer(
        submission=sub, pay_cents=2000, currency="EUR", unit="hour", start_date=start,
        hours_per_week=20, by=client_user,
    )  # fmt: skip
    pipeline.answer_offer(offer=offer, accepted=True, by=member)
    pipeline.move_submission(submission=sub, to_stage="placed", by=client_user)
    return Placement.objects.get(submission=sub)


@pytest.fixture
def role(client_company):
    from trainerdesk.network.models import Requirement
    from trainerdesk.placements.tests.conftest import make_opening

    opening = make_opening(client_company)
    Requirement.objects.create(opening=opening, kind="language", language="de", level="C1")
    return opening
