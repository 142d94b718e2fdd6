import pytest

from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import services


def test_grant_and_withdraw(candidate, client_company, events):
    person = candidate.candidate
    consent = services.grant_consent(
        candidate=person, purpose="submit_to_client", client=client_company, by=candidate
    )
    assert services.has_consent(person, "submit_to_client", client_company)
    again = services.grant_consent(
        candidate=person, purpose="submit_to_client", client=client_company, by=candidate
    )
    assert again.pk == consent.pk
    services.withdraw_consent(consent=consent, by=candidate)
    assert not services.has_consent(person, "submit_to_client", client_company)
    consent.refresh_from_db()
    assert consent.withdrawn_at  # kept, not deleted
    with pytest.raises(ConflictError):
        services.withdraw_consent(consent=consent, by=candidate)
    assert events() == ["network.consent.grant", "network.consent.withdraw"]


def test_refusals(candidate, member, client_company):
    person = candidate.candidate
    with pytest.raises(InvalidInput, match="client: required"):
        services.grant_consent(candidate=person, purpose="submit_to_client", by=candidate)
    with pytest.raises(InvalidInput, match="purpose"):
        services.grant_consent(candidate=person, purpose="marketing", by=candidate)
    with pytest.raises(ConflictError, match="only the candidate"):
        services.grant_consent(candidate=person, purpose="profile", by=member)
    with pytest.raises(ConflictError, match="workbench results"):
        services.grant_consent(
            candidate=person, purpose="use_workbench_results", method="member_recorded", by=member
        )
    recorded = services.grant_consent(
        candidate=person, purpose="profile", method="member_recorded", by=member
    )
    assert recorded.recorded_by == member


def test_workbench_evidence_needs_the_live_consent(candidate, member, staff, project, teammate):
    from trainerdesk.vetting.models import Evidence

    person = candidate.candidate
    person.user = teammate  # the person annotates on the client project
    person.save(update_fields=["user"])
    args = {"candidate": person, "project": project, "task_type": "text_classification",
            "domain": "news"}  # fmt: skip
    with pytest.raises(ConflictError, match="consent"):
        services.record_workbench_evidence(**args, by=staff)
    consent = services.grant_consent(candidate=person, purpose="use_workbench_results", by=teammate)
    with pytest.raises(ConflictError, match="only staff or the candidate"):
        services.record_workbench_evidence(**args, by=member)
    evidence = services.record_workbench_evidence(**args, by=teammate)
    assert evidence.user == teammate and Evidence.objects.filter(source="scorecard").count() == 1
    services.withdraw_consent(consent=consent, by=teammate)
    with pytest.raises(ConflictError, match="consent"):
        services.record_workbench_evidence(**args, by=staff)


def test_evidence_api_finds_only_projects_the_candidate_works_on(
    api, candidate, staff, project, teammate
):
    # The id was looked up among all projects, and the conflict message named the project:
    # anyone allowed to call the endpoint could learn other organisations' project names.
    from trainerdesk.workbench.models import ProjectMember

    person = candidate.candidate
    person.user = teammate
    person.save(update_fields=["user"])
    services.grant_consent(candidate=person, purpose="use_workbench_results", by=teammate)
    url = f"/api/v1/network/candidates/{person.pk}/workbench-evidence"
    body = {"project": project.pk, "task_type": "text_classification", "domain": "news"}
    assert api(teammate, "post", url, body).status_code == 201
    ProjectMember.objects.filter(project=project, user=teammate).delete()
    for who in (teammate, staff):
        response = api(who, "post", url, body)
        assert response.status_code == 404
        assert project.name not in response.content.decode()
    assert api(staff, "post", url, {**body, "project": 2**63}).status_code == 404
