import pytest

from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services
from trainerdesk.network.models import Candidate, Consent, Representation


def _add(user, **profile):
    values = {"full_name": "Dana Dup", "country": "AT"} | profile
    return services.add_candidate(
        member=user.network_member,
        profile=values,
        languages=[{"code": "EN", "level": "c1"}],
        consent_held=True,
        by=user,
    )


def test_add_normalises_and_represents(member, events):
    person = _add(
        member,
        email=" Dana@Example.ORG",
        phone="0664 1234567",
        profile_url="https://www.linkedin.com/in/dana/",
        work_authorisation="at, eu",
        domains=["news"],
        tools=["Python"],
        hours_per_week=10,
    )
    assert (person.email, person.phone, person.profile_url) == (
        "dana@example.org",
        "+436641234567",
        "linkedin.com/in/dana",
    )
    assert person.work_authorisation == ["AT", "EU"]
    assert list(person.languages.values_list("code", "level")) == [("en", "C1")]
    assert Representation.objects.get(candidate=person).member.user == member
    assert person.consents.get().method == "member_recorded"
    assert events() == ["network.candidate.create"]


def test_bad_input_names_every_field_and_writes_nothing(member):
    with pytest.raises(InvalidInput) as exc:
        _add(member, email="nope", phone="12", tools=["Hammer"], hours_per_week=200)
    text = str(exc.value)
    for field in ("email", "phone", "tools", "hours_per_week"):
        assert field in text
    with pytest.raises(InvalidInput, match="give an e-mail"):
        _add(member)
    assert not Candidate.objects.filter(full_name="Dana Dup").exists()


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("email", "Cara@Example.org", "cara@example.org"),
        ("phone", "+43 664 1234567", "0664/1234567"),
        ("profile_url", "https://linkedin.com/in/cara", "www.linkedin.com/in/cara/"),
    ],
)
def test_duplicate_refused_naming_the_field_only(member, other_member, field, first, second):
    _add(member, **{field: first})
    with pytest.raises(services.DuplicateCandidate) as exc:
        _add(other_member, full_name="Someone", **{field: second})
    message = str(exc.value)
    assert exc.value.field == field and message.startswith(f"{field}:")
    assert "Mira" not in message and "Dana" not in message  # nothing about the record
    assert Candidate.objects.count() == 1


def test_second_member_represents_only_after_the_candidate_grants(
    candidate, other_member, member, events
):
    person = candidate.candidate
    with pytest.raises(services.DuplicateCandidate):
        _add(other_member, email="CANDIDATE@example.org")
    request = services.request_representation(
        member=other_member.network_member,
        field="email",
        value="candidate@example.org",
        by=other_member,
    )
    assert not person.representations.filter(member__user=other_member).exists()
    with pytest.raises(ConflictError, match="only the candidate"):
        services.answer_representation_request(request=request, grant=True, by=member)
    services.answer_representation_request(request=request, grant=True, by=candidate)
    assert person.representations.filter(member__user=other_member, ended_at__isnull=True).exists()
    with pytest.raises(ConflictError, match="already"):
        services.answer_representation_request(request=request, grant=False, by=candidate)
    assert events()[-2:] == ["network.representation.request", "network.representation.grant"]


def test_request_for_nobody_is_refused(other_member, db):
    with pytest.raises(InvalidInput, match="no candidate"):
        services.request_representation(
            member=other_member.network_member,
            field="email",
            value="ghost@example.org",
            by=other_member,
        )


def test_update_checks_duplicates_but_not_itself(member, candidate, events):
    person = candidate.candidate
    other = _add(member, email="dana@example.org")
    services.update_candidate(candidate=person, profile={"location": "Graz"}, by=member)
    with pytest.raises(services.DuplicateCandidate, match="email"):
        services.update_candidate(
            candidate=other, profile={"email": "candidate@example.org"}, by=member
        )
    updated = services.update_candidate(
        candidate=person, profile={}, languages=[("fr", "B2")], by=candidate
    )
    assert list(updated.languages.values_list("code", flat=True)) == ["fr"]
    assert events().count("network.candidate.update") == 2


def test_merge_moves_languages_consents_representations_and_login(
    staff, member, other_member, candidate, events
):
    keep = _add(other_member, email="cara.c@example.org", full_name="Cara C.")
    duplicate = candidate.candidate  # has the login, a representation by member, languages
    Consent.objects.create(candidate=duplicate, purpose="profile", method="candidate_portal")
    with pytest.raises(services.NotAllowed):
        services.merge_candidates(keep=keep, duplicate=duplicate, by=member)
    services.merge_candidates(keep=keep, duplicate=duplicate, by=staff)
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep and keep.user == candidate
    assert dict(keep.languages.values_list("code", "level")) == {"en": "C1", "de": "native"}
    assert keep.consents.count() == 2 and not duplicate.consents.exists()
    assert set(keep.representations.values_list("member__user__username", flat=True)) == {
        "member",
        "othermember",
    }
    assert not Candidate.objects.live().filter(pk=duplicate.pk).exists()
    assert events()[-1] == "network.candidate.merge"
    with pytest.raises(ConflictError, match="already merged"):
        services.merge_candidates(keep=keep, duplicate=duplicate, by=staff)
    # The duplicate's e-mail no longer blocks anyone: the kept record holds it only if it had none.
    assert keep.email == "cara.c@example.org"


def test_candidate_login(member, other_member, staff):
    person = _add(member, email="dana@example.org")
    with pytest.raises(ConflictError):
        services.create_candidate_login(
            candidate=person, username="dana", password="x" * 12, by=other_member
        )
    services.create_candidate_login(
        candidate=person, username="dana", password="long-enough-pass-1", by=member
    )
    person.refresh_from_db()
    assert person.user.username == "dana" and person.user.email == "dana@example.org"


def test_race_past_the_check_is_still_refused_by_the_constraint(member, other_member, monkeypatch):
    from trainerdesk.network.services import candidates

    _add(member, email="race@example.org")
    real = candidates._refuse_duplicates
    calls = []

    def late(clean, exclude=None):
        calls.append(1)
        if len(calls) > 1:  # the check after the failed insert is the real one
            real(clean, exclude)

    monkeypatch.setattr(candidates, "_refuse_duplicates", late)
    with pytest.raises(services.DuplicateCandidate, match="email"):
        _add(other_member, email="race@example.org")
    assert Candidate.objects.filter(email="race@example.org").count() == 1
