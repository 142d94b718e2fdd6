import dataclasses

import pytest

from trainerdesk.lib.errors import ConflictError
from trainerdesk.network import services
from trainerdesk.network.services import onboarding


def test_four_guides_with_their_topics():
    slugs = [g.slug for g in services.guides()]
    assert slugs == [
        "sourcing-ai-trainers",
        "reading-a-scorecard",
        "consent-and-gdpr",
        "network-rules",
    ]
    scorecard = services.guide("reading-a-scorecard").html()
    for word in ("Accuracy", "Wilson", "Agreement", "Lead time"):
        assert word in scorecard
    rules = services.guide("network-rules").body
    assert "12 months" in rules and "50 %" in rules and "Pending cap" in rules


def test_completion_per_version(member, other_member, events, monkeypatch):
    m = member.network_member
    assert services.onboarding_progress(m) == (0, 4)
    services.complete_guide(member=m, slug="network-rules", by=member)
    services.complete_guide(member=m, slug="network-rules", by=member)  # twice: one row
    assert services.onboarding_progress(m) == (1, 4)
    assert events() == ["network.guide.complete"]
    with pytest.raises(ConflictError):
        services.complete_guide(member=m, slug="network-rules", by=other_member)
    bumped = tuple(
        dataclasses.replace(g, version=g.version + 1) if g.slug == "network-rules" else g
        for g in services.guides()
    )
    monkeypatch.setattr(onboarding, "guides", lambda: bumped)
    assert services.onboarding_progress(m) == (0, 4)  # a rewritten guide is unread


def test_guide_pages(client_for, member, candidate):
    c = client_for(member)
    page = c.get("/network/onboarding/reading-a-scorecard/")
    assert page.status_code == 200 and b"Wilson lower bound" in page.content
    c.post("/network/onboarding/reading-a-scorecard/")
    assert b"\xe2\x9c\x93" in c.get("/network/onboarding/").content
    assert c.get("/network/onboarding/nope/").status_code == 404
    assert client_for(candidate).get("/network/onboarding/").status_code == 404
