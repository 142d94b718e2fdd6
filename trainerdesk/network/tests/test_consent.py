import sys
import types

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


def test_workbench_results_consent_calls_vetting_when_it_exists(candidate, monkeypatch):
    calls = []
    fake = types.ModuleType("trainerdesk.vetting.services")
    fake.record_scorecard_evidence = lambda *, user, by: calls.append((user, by))
    monkeypatch.setitem(sys.modules, "trainerdesk.vetting.services", fake)
    import trainerdesk.vetting as vetting_pkg

    monkeypatch.setattr(vetting_pkg, "services", fake, raising=False)
    services.grant_consent(
        candidate=candidate.candidate, purpose="use_workbench_results", by=candidate
    )
    assert calls == [(candidate, candidate)]


def test_workbench_results_consent_without_vetting_services(candidate, monkeypatch):
    monkeypatch.setitem(sys.modules, "trainerdesk.vetting.services", None)  # import fails
    consent = services.grant_consent(
        candidate=candidate.candidate, purpose="use_workbench_results", by=candidate
    )
    assert consent.pk and not services.record_workbench_evidence(candidate.candidate, by=candidate)
