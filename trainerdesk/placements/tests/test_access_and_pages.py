"""Who sees what, through the pages: every denial is a 404 with the personas."""

import pytest

from trainerdesk.placements.models import Submission


@pytest.fixture
def sourced(submit):
    return submit(stage="sourced")


def test_client_never_sees_a_sourced_submission(sourced, client_user, client_for, opening):
    client = client_for(client_user)
    assert client.get(f"/placements/submissions/{sourced.pk}/").status_code == 404
    page = client.get(f"/placements/client/roles/{opening.pk}/")
    assert page.status_code == 200 and "Cara Candidate" not in page.content.decode()
    r = client.post(f"/placements/submissions/{sourced.pk}/move/", {"to_stage": "client_review"})
    assert r.status_code == 404
    assert Submission.objects.get().stage == "sourced"


def test_client_sees_a_submitted_one(submit, consent, client_user, client_for, opening):
    sub = submit()
    client = client_for(client_user)
    page = client.get(f"/placements/client/roles/{opening.pk}/")
    assert "Cara Candidate" in page.content.decode()
    detail = client.get(f"/placements/submissions/{sub.pk}/").content.decode()
    assert "Client review" in detail and "Withdrawn" not in detail.split('id="move"')[1][:600]


def test_another_client_sees_nothing(submit, consent, other_client_user, client_for, opening):
    sub = submit()
    client = client_for(other_client_user)
    assert client.get(f"/placements/submissions/{sub.pk}/").status_code == 404
    assert client.get(f"/placements/client/roles/{opening.pk}/").status_code == 404
    assert client.post(f"/placements/submissions/{sub.pk}/offers/", {}).status_code == 404


def test_other_member_never_sees_a_members_submission(submit, consent, other_member, client_for):
    sub = submit()
    client = client_for(other_member)
    assert client.get(f"/placements/submissions/{sub.pk}/").status_code == 404
    assert "Cara" not in client.get("/placements/pipeline/").content.decode()
    r = client.post(f"/placements/submissions/{sub.pk}/move/", {"to_stage": "withdrawn"})
    assert r.status_code == 404


def test_pages_for_the_wrong_persona_are_404(member, client_user, candidate, client_for):
    assert client_for(client_user).get("/placements/pipeline/").status_code == 404
    assert client_for(member).get("/placements/client/").status_code == 404
    assert client_for(member).get("/placements/staff/").status_code == 404
    assert client_for(candidate).get("/placements/").status_code == 404


def test_member_submits_through_the_page_and_sees_refusals(member, candidate, opening, client_for):
    client = client_for(member)
    body = {"candidate": candidate.candidate.pk, "opening": opening.pk, "stage": "submitted"}
    page = client.post("/placements/submit/", body, follow=True).content.decode()
    assert "no valid consent to be submitted to Northwind AI" in page
    body["stage"] = "sourced"
    page = client.post("/placements/submit/", body, follow=True).content.decode()
    assert "Saved." in page and Submission.objects.get().stage == "sourced"


def test_member_cannot_submit_someone_they_do_not_represent(
    other_member, candidate, opening, client_for
):
    client = client_for(other_member)
    body = {"candidate": candidate.candidate.pk, "opening": opening.pk, "stage": "sourced"}
    assert client.post("/placements/submit/", body).status_code == 404


def test_staff_dashboard_shows_funnel_and_resolves_disputes(
    submit, consent, candidate, other_member, staff, client_for, client_company
):
    from trainerdesk.placements.tests.conftest import represent

    submit()
    represent(other_member, candidate)
    claim = {"candidate": candidate.candidate.pk, "client": client_company.pk,
             "reason": "Met them first"}  # fmt: skip
    page = client_for(other_member).post("/placements/disputes/new/", claim, follow=True)
    assert "Saved." in page.content.decode()
    staff_client = client_for(staff)
    page = staff_client.get("/placements/staff/").content.decode()
    assert "Met them first" in page and 'id="funnel"' in page
    from trainerdesk.placements.models import OwnershipDispute

    dispute = OwnershipDispute.objects.get()
    url = f"/placements/disputes/{dispute.pk}/resolve/"
    assert (
        client_for(other_member).post(url, {"decision": "keep", "reason": "x"}).status_code == 404
    )
    staff_client = client_for(staff)
    staff_client.post(url, {"decision": "keep", "reason": "No proof"})
    dispute.refresh_from_db()
    assert dispute.status == "kept" and dispute.resolution == "No proof"


def test_placement_shows_fee_and_member_share(placed, member, client_for):
    sub = placed()
    page = client_for(member).get(f"/placements/submissions/{sub.pk}/").content.decode()
    assert "€\xa06.240,00" in page and "€\xa03.120,00" in page
    pipeline = client_for(member).get("/placements/pipeline/").content.decode()
    assert "€\xa03.120,00" in pipeline


def test_an_offer_is_typed_in_euros_not_cents(submit, consent, client_user, client_for):
    from trainerdesk.placements import services
    from trainerdesk.placements.models import Offer

    sub = submit()
    services.move_submission(submission=sub, to_stage="client_review", by=client_user)
    client = client_for(client_user)
    url = f"/placements/submissions/{sub.pk}/offers/"
    body = {"currency": "EUR", "unit": "hour", "start_date": "2027-01-04"}
    page = client.post(url, body | {"pay": "30.555"}, follow=True).content.decode()
    assert "pay: " in page and "ambiguous" in page and not Offer.objects.exists()
    page = client.post(url, body | {"pay": "30", "currency": "XXX"}, follow=True).content.decode()
    assert "currency: " in page and not Offer.objects.exists()
    client.post(url, body | {"pay": "30,50"})
    assert Offer.objects.get().pay_cents == 3050
    assert 'name="pay"' in client.get(f"/placements/submissions/{sub.pk}/").content.decode()
