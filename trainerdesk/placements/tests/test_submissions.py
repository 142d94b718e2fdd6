"""submit_candidate's refusals, each with its message; the ownership rule and the cap."""

import datetime

import pytest
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.network.models import Consent, Membership, Opening, Representation
from trainerdesk.placements import services
from trainerdesk.placements.models import FairPlayPolicy, Ownership, StageChange, Submission
from trainerdesk.placements.tests.conftest import grant_consent, make_opening, represent


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as exc:
        fn(*args, **kwargs)
    return str(exc.value)


def test_submit_records_consent_policy_history_ownership_and_audit(submit, consent, member):
    sub = submit()
    assert sub.stage == "submitted" and sub.consent == consent
    assert sub.policy.version == 1 and sub.submitted_at is not None
    assert list(StageChange.objects.values_list("from_stage", "to_stage")) == [("", "submitted")]
    owner = Ownership.objects.get()
    assert owner.member == member.network_member and owner.client_id == sub.opening.client_id
    assert (owner.ends_at - owner.starts_at).days == 365
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"placements.submission.create", "placements.ownership.create"} <= actions


def test_lapsed_member_is_refused(submit, consent, member):
    Membership.objects.filter(member=member.network_member).update(status="expired")
    assert "your membership is expired; renew it" in refused(submit)
    assert not Submission.objects.exists()


def test_member_in_grace_is_refused_too(submit, consent, member):
    # Grace keeps an overdue member's account, not their right to submit (issue 10: only
    # active members submit).
    Membership.objects.filter(member=member.network_member).update(status="grace")
    assert "renew it to submit candidates again" in refused(submit)
    assert not Submission.objects.exists()


def test_member_who_does_not_represent_the_candidate_is_refused(submit, consent, other_member):
    assert "you do not represent this candidate" in refused(submit, who=other_member)


def test_no_consent_or_withdrawn_consent_is_refused(submit, consent):
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    message = refused(submit)
    assert "no valid consent to be submitted to Northwind AI" in message


def test_consent_for_another_client_does_not_count(submit, candidate, other_client, member):
    grant_consent(candidate, other_client, member)
    assert "no valid consent" in refused(submit)


def test_sourced_needs_no_consent_but_submitting_it_does(submit, candidate, member):
    sub = submit(stage="sourced")
    assert sub.consent is None and not Ownership.objects.exists()
    assert "no valid consent" in refused(
        services.move_submission, submission=sub, to_stage="submitted", by=member
    )
    grant_consent(candidate, sub.opening.client, member)
    services.move_submission(submission=sub, to_stage="submitted", by=member)
    sub.refresh_from_db()
    assert sub.stage == "submitted" and sub.consent is not None
    assert Ownership.objects.count() == 1


def test_opening_not_open_is_refused(submit, consent, opening):
    Opening.objects.filter(pk=opening.pk).update(status="on_hold")
    assert "the role is not open (on hold)" in refused(submit)


def test_duplicate_submission_is_refused(submit, consent):
    first = submit()
    assert f"already submitted to this role (submission {first.pk}" in refused(submit)


def test_resubmission_after_withdrawal_is_allowed(submit, consent, member):
    first = submit()
    services.move_submission(submission=first, to_stage="withdrawn", by=member)
    assert submit().pk != first.pk


def test_pending_cap_names_the_rule_and_version(submit, member, client_company, opening, staff, db):
    from conftest import _user
    from trainerdesk.network.models import Candidate

    services.create_fair_play_policy(
        pending_cap_per_member_per_opening=2, ownership_days=30, by=staff
    )
    people = []
    for i in range(3):
        user = _user(f"person{i}")
        Candidate.objects.create(user=user, full_name=f"P {i}", email=f"p{i}@example.org")
        represent(member, user)
        grant_consent(user, client_company, member)
        people.append(user)
    submit(person=people[0])
    submit(person=people[1])
    message = refused(submit, person=people[2])
    assert "fair-play rule 'pending cap' (policy version 2)" in message
    assert "at most 2 pending submissions per member and role" in message


def test_ownership_refuses_a_second_member_at_the_same_client(
    submit, consent, candidate, other_member, opening, client_company
):
    submit()
    represent(other_member, candidate)
    second_role = make_opening(client_company)
    message = refused(submit, who=other_member, role=second_role)
    owner = Ownership.objects.get()
    assert "fair-play rule 'ownership' (policy version 1)" in message
    assert f"until {timezone.localdate(owner.ends_at).isoformat()}" in message
    # The other member is not named.
    assert "Mira" not in message and "member@" not in message


def test_ownership_allows_another_client(submit, consent, candidate, other_member, other_client):
    submit()
    represent(other_member, candidate)
    grant_consent(candidate, other_client, other_member)
    sub = submit(who=other_member, role=make_opening(other_client))
    assert sub.stage == "submitted"
    assert Ownership.objects.filter(member=other_member.network_member).count() == 1


def test_ownership_allows_after_it_ends(submit, consent, candidate, other_member, client_company):
    submit()
    Ownership.objects.update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    represent(other_member, candidate)
    sub = submit(who=other_member, role=make_opening(client_company))
    assert sub.member == other_member.network_member


def test_policy_version_1_exists_and_new_versions_are_current(staff):
    assert FairPlayPolicy.objects.current().version == 1
    assert FairPlayPolicy.objects.current().pending_cap_per_member_per_opening == 5
    services.create_fair_play_policy(
        pending_cap_per_member_per_opening=3, ownership_days=180, by=staff
    )
    assert FairPlayPolicy.objects.current().version == 2


def test_policy_input_errors_name_the_field(staff):
    message = refused(
        services.create_fair_play_policy,
        pending_cap_per_member_per_opening=0, ownership_days=99999, by=staff,
    )  # fmt: skip
    assert "pending_cap_per_member_per_opening" in message and "ownership_days" in message


def test_ownership_dispute_reassigned_by_staff(
    submit, consent, candidate, other_member, staff, client_company
):
    submit()
    owner = Ownership.objects.get()
    dispute = services.raise_ownership_dispute(
        ownership=owner, claimant=other_member.network_member,
        reason="I introduced them in October", by=other_member,
    )  # fmt: skip
    services.resolve_ownership_dispute(
        dispute=dispute, reassign=True, reason="Email from October shown", by=staff
    )
    current = services.active_ownership(candidate.candidate, client_company.pk)
    assert current.member == other_member.network_member and current.reassigned_from == owner
    owner.refresh_from_db()
    assert owner.ended_early_reason == "Email from October shown"
    assert AuditEvent.objects.filter(action="placements.ownership.reassign").exists()
    represent(other_member, candidate)
    assert submit(who=other_member, role=make_opening(client_company)).stage == "submitted"


def test_representation_ended_is_refused(submit, consent, member):
    Representation.objects.update(ended_at=timezone.now())
    assert "you do not represent" in refused(submit)
