"""rank_opening and the reverse view, on the database with the personas."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.models import (
    Candidate,
    CandidateLanguage,
    Opening,
    Ranking,
    Representation,
    Requirement,
)
from trainerdesk.network.services import matching
from trainerdesk.vetting.models import Evidence

pytestmark = pytest.mark.django_db


def make_opening(client_company, status="open", **kwargs):
    opening = Opening.objects.create(
        client=client_company,
        title="German news raters",
        task_type="text_classification",
        domain="news",
        contract_type="freelance",
        hours_per_week=20,
        pay_cents=3000,
        status=status,
        **kwargs,
    )
    Requirement.objects.create(opening=opening, kind="language", language="de", level="C1")
    Requirement.objects.create(opening=opening, kind="work_authorisation", region="DE")
    Requirement.objects.create(opening=opening, kind="availability", hours=15)
    Requirement.objects.create(opening=opening, kind="accuracy", threshold=0.8, weight=3)
    Requirement.objects.create(opening=opening, kind="lead_time", threshold=30, weight=1)
    return opening


def give_evidence(
    user, *, low, accuracy=None, high=None, lead=20.0, days_valid=300, measured_days_ago=1, **kw
):
    now = timezone.now()
    return Evidence.objects.create(
        user=user,
        task_type=kw.get("task_type", "text_classification"),
        domain=kw.get("domain", "news"),
        source="assessment",
        n=40,
        accuracy=accuracy if accuracy is not None else low + 0.1,
        low=low,
        high=high if high is not None else min(1.0, low + 0.15),
        lead_time_seconds=lead,
        measured_at=now - datetime.timedelta(days=measured_days_ago),
        valid_until=now + datetime.timedelta(days=days_valid),
        inputs_digest="0" * 64,
    )


def person(name, *, member=None, user=None, hours=20, auth=("EU",), de="C2"):
    p = Candidate.objects.create(
        user=user, full_name=name, work_authorisation=list(auth), hours_per_week=hours
    )
    if de:
        CandidateLanguage.objects.create(candidate=p, code="de", level=de)
    if member is not None:
        Representation.objects.create(member=member.network_member, candidate=p)
    return p


@pytest.fixture
def opening(client_company):
    return make_opening(client_company)


def test_member_ranking_orders_explains_and_is_audited(member, other_member, candidate, opening):
    from conftest import _user

    give_evidence(candidate, low=0.85)
    strong = person("Sam Strong", member=member, user=_user("strong"))
    give_evidence(strong.user, low=0.9)
    person("Fay Few Hours", member=member, hours=5)
    person("Olga Other", member=other_member, user=_user("ottos"))  # not member's

    ranking = matching.rank_opening(opening=opening, member=member.network_member, by=member)

    assert ranking.rule == "lower-bound-weighted" and ranking.rule_version == 1
    assert ranking.considered == 3 and ranking.passed_hard == 2
    ranked = [e for e in ranking.results if e["rank"]]
    assert [e["candidate"] for e in ranked] == [strong.pk, candidate.candidate.pk]
    acc = ranked[0]["contributions"][0]
    assert acc["counted"] == 0.9 and acc["low"] == 0.9 and acc["kind"] == "accuracy"
    assert acc["contribution"] == pytest.approx(3 * 0.9 / 4)
    failed = [e for e in ranking.results if e["rank"] is None]
    assert failed[0]["hard_failures"][0]["reason"] == "5 hours per week available < 15 required"
    event = AuditEvent.objects.get(action="network.ranking.create")
    assert event.actor_id == member.pk and event.object_id == str(ranking.pk)
    assert event.changes["inputs_sha256"] == ranking.inputs_digest


def test_staff_ranks_the_whole_network(staff, member, other_member, candidate, opening):
    person("Olga Other", member=other_member)
    ranking = matching.rank_opening(opening=opening, by=staff)
    assert ranking.member is None and ranking.considered == 2 and ranking.passed_hard == 2


def test_stale_evidence_counts_as_missing(member, candidate, opening):
    give_evidence(candidate, low=0.95, days_valid=-1)
    ranking = matching.rank_opening(opening=opening, member=member.network_member, by=member)
    acc = ranking.results[0]["contributions"][0]
    assert acc["counted"] is None and acc["contribution"] == 0
    assert acc["needs"].startswith("evidence on Text classification / News and media")


def test_digest_is_stable_and_moves_with_the_inputs(member, candidate, opening):
    at = timezone.now()
    _, first = matching.compute_ranking(opening=opening, member=member.network_member, at=at)
    _, again = matching.compute_ranking(opening=opening, member=member.network_member, at=at)
    assert first.digest == again.digest
    give_evidence(candidate, low=0.5)
    _, moved = matching.compute_ranking(opening=opening, member=member.network_member, at=at)
    assert moved.digest != first.digest


def test_four_reads_whatever_the_pool_size(member, opening):
    """One language requirement: the scan (with the count), the speakers, the failing
    sample, the evidence."""
    from conftest import _user

    for k in range(12):
        p = person(f"P{k}", member=member, user=_user(f"p{k}"))
        give_evidence(p.user, low=0.5 + k / 100)
    spec = matching.opening_spec(opening)
    with CaptureQueriesContext(connection) as queries:
        matching.read_inputs(spec, member=member.network_member, at=timezone.now(), scope="m")
    assert len(queries) == 4


def test_ended_representation_is_not_ranked(member, candidate, opening):
    Representation.objects.filter(candidate=candidate.candidate).update(ended_at=timezone.now())
    ranking = matching.rank_opening(opening=opening, member=member.network_member, by=member)
    assert ranking.considered == 0


def test_member_cannot_rank_an_opening_that_is_not_open(member, client_company):
    opening = make_opening(client_company, status="on_hold")
    with pytest.raises(ConflictError, match="only open openings"):
        matching.rank_opening(opening=opening, member=member.network_member, by=member)
    assert not Ranking.objects.exists()


def test_bad_requirement_names_the_field(member, opening):
    bad = Requirement.objects.create(opening=opening, kind="language", language="fr", level="X9")
    with pytest.raises(InvalidInput, match=rf"requirements\[{bad.pk}\]\.level"):
        matching.rank_opening(opening=opening, member=member.network_member, by=member)
    assert not Ranking.objects.exists()
    assert not AuditEvent.objects.filter(action="network.ranking.create").exists()


def test_reverse_view_lists_fitting_open_openings_with_needs(candidate, client_company, opening):
    fitting_no_evidence = opening
    closed = make_opening(client_company, status="closed")
    needs_french = make_opening(client_company)
    Requirement.objects.create(opening=needs_french, kind="language", language="fr", level="B1")
    with_evidence = make_opening(client_company)
    give_evidence(candidate, low=0.71, lead=40.0)

    found = matching.openings_for_candidate(candidate=candidate.candidate)
    ids = [e["opening"].pk for e in found]
    assert closed.pk not in ids and needs_french.pk not in ids
    assert set(ids) == {fitting_no_evidence.pk, with_evidence.pk}
    needs = [p["needs"] for p in found[0]["contributions"]]
    assert needs == ["accuracy lower bound 0.71 < 0.80 required", "lead time 40.0 s > 30 s allowed"]


def test_reverse_view_names_an_expired_result(candidate, opening):
    give_evidence(candidate, low=0.9, days_valid=-3)
    found = matching.openings_for_candidate(candidate=candidate.candidate)
    acc = found[0]["contributions"][0]
    assert acc["counted"] is None and "expired_on" in acc


def test_explanation_shows_hard_failures(candidate, client_company):
    opening = make_opening(client_company)
    Requirement.objects.create(opening=opening, kind="work_authorisation", region="CH")
    entry = matching.explain_for_candidate(candidate=candidate.candidate, opening=opening)
    assert entry["passed"] is False
    assert entry["hard_failures"][0]["reason"] == "not authorised to work in CH"


def test_assessment_title_in_needs(candidate, opening, project, owner):
    from trainerdesk.vetting.models import Assessment

    Assessment.objects.create(
        slug="news",
        title="News topic classification",
        task_type="text_classification",
        domain="news",
        project=project,
        status="active",
        created_by=owner,
    )
    found = matching.openings_for_candidate(candidate=candidate.candidate)
    assert found[0]["contributions"][0]["needs"] == "take the News topic classification assessment"


def test_row_order_from_the_database_does_not_matter(member, candidate, opening, monkeypatch):
    from conftest import _user

    for k in range(3):
        p = person(f"P{k}", member=member, user=_user(f"q{k}"))
        give_evidence(p.user, low=0.6 + k / 10)
    at = timezone.now()
    spec = matching.opening_spec(opening)
    scope = member.network_member
    straight = matching.read_inputs(spec, member=scope, at=at, scope="m")
    real_rows, real_scan = matching._rows, matching._scan

    def reversed_rows(*args, **kwargs):
        return real_rows(*args, **kwargs)[::-1]

    def reversed_scan(*args, **kwargs):
        count, rows = real_scan(*args, **kwargs)
        return count, rows[::-1]

    monkeypatch.setattr(matching, "_rows", reversed_rows)
    monkeypatch.setattr(matching, "_scan", reversed_scan)
    flipped = matching.read_inputs(spec, member=scope, at=at, scope="m")
    assert flipped.digest == straight.digest
    assert flipped.pool.ids.tolist() == straight.pool.ids.tolist()
    a = core_rank(spec, straight)
    b = core_rank(spec, flipped)
    assert a.order.tolist() == b.order.tolist() and a.score.tolist() == b.score.tolist()


def core_rank(spec, inputs):
    from trainerdesk.network import matching as core

    return core.rank(inputs.pool, spec.hard, spec.measured, inputs.evidence)


def test_database_hard_filter_agrees_with_the_core(member, client_company):
    """The SQL filter in read_inputs and core.hard_filter decide alike for each person."""
    import itertools

    opening = make_opening(client_company)
    Requirement.objects.create(opening=opening, kind="work_authorisation", region="EU")
    levels = [None, "B2", "C1", "native"]
    auths = [[], ["EU"], ["DE"], ["de"], ["DEU"], ["EU", "CH"]]
    people = []
    for k, (level, auth, hours) in enumerate(itertools.product(levels, auths, [None, 10, 15])):
        people.append(person(f"C{k}", member=member, hours=hours, auth=auth, de=level))
    spec = matching.opening_spec(opening)
    scope = member.network_member
    inputs = matching.read_inputs(spec, member=scope, at=timezone.now(), scope="m", keep=1000)
    assert inputs.considered == len(people)
    from trainerdesk.network import matching as core

    by_sql = core.rank(inputs.pool, spec.hard, [], core.EvidenceRows.empty())
    sql_pass = {int(inputs.pool.ids[i]) for i in by_sql.order}
    expected = set()
    for p in people:
        one = matching._one_candidate_pool(p, spec)
        if core.rank(one, spec.hard, [], core.EvidenceRows.empty()).passed[0]:
            expected.add(p.pk)
    assert sql_pass == expected and expected  # some pass, some fail
    assert len(expected) < len(people)


@pytest.mark.parametrize("kinds", [(), ("language",), ("availability",), ("work_authorisation",)])
def test_openings_asking_for_some_hard_requirements_or_none(member, client_company, kinds):
    """The scan reads the rows the candidate's own columns pass; with no hours or
    authorisation asked (or nothing hard at all) everyone in scope is read."""
    from conftest import _user

    opening = Opening.objects.create(
        client=client_company,
        title="Raters",
        task_type="text_classification",
        domain="news",
        contract_type="freelance",
        hours_per_week=20,
        pay_cents=3000,
        status="open",
    )
    given = {
        "language": {"language": "de", "level": "C1"},
        "availability": {"hours": 15},
        "work_authorisation": {"region": "DE"},
    }
    for kind in kinds:
        Requirement.objects.create(opening=opening, kind=kind, **given[kind])
    Requirement.objects.create(opening=opening, kind="accuracy", threshold=0.8, weight=1)
    fits = person("Fit", member=member, user=_user("fit"))
    give_evidence(fits.user, low=0.9)
    person("Unfit", member=member, hours=5, auth=("US",), de="B1")
    ranking = matching.rank_opening(opening=opening, member=member.network_member, by=member)
    assert ranking.considered == 2
    assert ranking.passed_hard == (2 if not kinds else 1)
    assert ranking.results[0]["candidate"] == fits.pk
    assert ranking.results[0]["contributions"][0]["counted"] == 0.9
