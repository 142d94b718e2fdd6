"""The pure matching rule on hand-built cases and random pools (no database)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainerdesk.network import matching as core

NAN = float("nan")


def pool(ids, hours, de=None, de_auth=None):
    ids = np.array(ids, dtype=np.int64)
    n = len(ids)
    return core.Pool(
        ids=ids,
        hours=np.array(hours, dtype=np.float64),
        language_rank={"de": np.array(de if de is not None else [7] * n, dtype=np.int8)},
        authorised={"DE": np.array(de_auth if de_auth is not None else [True] * n)},
    )


def evidence(owner, low=None, accuracy=None, high=None, agreement=None, lead=None, skill=None):
    n = len(owner)

    def col(values):
        return np.array(values if values is not None else [NAN] * n, dtype=np.float64)

    return core.EvidenceRows(
        owner=np.array(owner, dtype=np.int64),
        skill=np.array(skill if skill is not None else [0] * n, dtype=np.int64),
        accuracy=col(accuracy),
        low=col(low),
        high=col(high),
        agreement=col(agreement),
        lead_time=col(lead),
    )


ACC = core.MeasuredRequirement(
    "r1", "accuracy", 0, 0.8, 1, "Text classification / News", "News topics"
)
HARD = [
    core.HardRequirement("h1", "language", language="de", level="C1"),
    core.HardRequirement("h2", "work_authorisation", region="DE"),
    core.HardRequirement("h3", "availability", hours=20),
]


def test_lower_bound_beats_higher_point_estimate_with_fewer_items():
    # Candidate 1: 19/20 correct (point 0.95, Wilson low 0.764); candidate 2: 90/100
    # (point 0.90, low 0.826). The lower bound orders: 2 before 1.
    p = pool([1, 2], [20, 20])
    ev = evidence([0, 1], accuracy=[0.95, 0.90], low=[0.764, 0.826], high=[0.991, 0.945])
    result = core.rank(p, HARD, [ACC], ev)
    assert [int(p.ids[i]) for i in result.order] == [2, 1]
    first = result.explain(int(result.order[0]))
    part = first["contributions"][0]
    assert part["counted"] == 0.826 and part["low"] == 0.826 and part["high"] == 0.945
    assert part["basis"] == "lower bound of the 95% interval"
    assert part["meets"] is True and part["needs"] is None
    second = result.explain(int(result.order[1]))["contributions"][0]
    assert second["meets"] is False
    assert second["needs"] == "accuracy lower bound 0.76 < 0.80 required"


def test_point_value_counts_only_without_an_interval_and_says_so():
    result = core.rank(pool([1], [20]), [], [ACC], evidence([0], accuracy=[0.9]))
    part = result.explain(0)["contributions"][0]
    assert part["counted"] == 0.9 and part["basis"] == "point value (no interval stored)"


def test_missing_evidence_contributes_zero_and_names_the_assessment():
    result = core.rank(pool([1, 2], [20, 20]), [], [ACC], evidence([0], low=[0.5], accuracy=[0.6]))
    missing = result.explain(1)["contributions"][0]
    assert missing["counted"] is None and missing["contribution"] == 0.0
    assert missing["needs"] == "take the News topics assessment"
    assert [int(i) for i in result.order] == [0, 1]  # ranked, not rejected


def test_no_assessment_for_the_skill_is_said():
    req = core.MeasuredRequirement("r", "accuracy", 0, 0.8, 1, "NER / Law", None)
    result = core.rank(pool([1], [20]), [], [req], core.EvidenceRows.empty())
    assert result.explain(0)["contributions"][0]["needs"] == (
        "evidence on NER / Law (no assessment offers it yet)"
    )


def test_newest_row_counts_and_other_skills_are_ignored():
    # Rows newest first: the retake (0.70) replaces the older 0.9; the skill-1 row is
    # another skill.
    ev = evidence([0, 0, 0], low=[0.99, 0.70, 0.9], skill=[1, 0, 0])
    result = core.rank(pool([1], [20]), [], [ACC], ev)
    assert result.explain(0)["contributions"][0]["counted"] == 0.7


def test_hard_filter_reasons():
    p = pool([1, 2, 3, 4], [20, 10, NAN, 40], de=[5, 4, 0, 7], de_auth=[True, True, True, False])
    result = core.rank(p, HARD, [], core.EvidenceRows.empty())
    assert [int(i) for i in result.order] == [0]
    reasons = {
        int(p.ids[i]): [f["reason"] for f in result.explain(i)["hard_failures"]] for i in (1, 2, 3)
    }
    assert reasons[2] == [
        "de at C1 or above required (has B2)",
        "10 hours per week available < 20 required",
    ]
    assert reasons[3] == [
        "de at C1 or above required (not listed)",
        "hours per week available not given (20 required)",
    ]
    assert reasons[4] == ["not authorised to work in DE"]
    assert result.considered == 4 and result.passed_hard == 1


def test_native_ranks_above_c2():
    req = core.HardRequirement("h", "language", language="de", level="C2")
    result = core.rank(pool([1, 2], [1, 1], de=[6, 7]), [req], [], core.EvidenceRows.empty())
    assert result.passed.tolist() == [True, True]
    req = core.HardRequirement("h", "language", language="de", level="native")
    result = core.rank(pool([1, 2], [1, 1], de=[6, 7]), [req], [], core.EvidenceRows.empty())
    assert result.passed.tolist() == [False, True]


def test_eu_authorisation_covers_member_states_only():
    assert core.authorised(["EU"], "DE") and core.authorised(["eu"], "at")
    assert not core.authorised(["EU"], "CH") and not core.authorised(["EU"], "GB")
    assert core.authorised(["EU"], "EU") and not core.authorised(["DE"], "EU")
    assert len(core.EU_MEMBERS) == 27


def test_eu_members_are_real_country_codes():
    import pycountry

    for code in core.EU_MEMBERS:
        assert pycountry.countries.get(alpha_2=code) is not None, code


def test_ties_break_by_candidate_id():
    p = pool([30, 10, 20], [20, 20, 20])
    ev = evidence([0, 1, 2], low=[0.9, 0.9, 0.9])
    assert [int(p.ids[i]) for i in core.rank(p, [], [ACC], ev).order] == [10, 20, 30]


def test_weights_and_lead_time_upper_point_value():
    lead = core.MeasuredRequirement(
        "r2", "lead_time", 0, 30.0, 3, "Text classification / News", "News topics"
    )
    # Candidate 0: accuracy 0.9, 60 s per item (half credit on the limit); 1: 0.6, 20 s.
    ev = evidence([0, 1], low=[0.9, 0.6], lead=[60.0, 20.0])
    result = core.rank(pool([1, 2], [20, 20]), [], [ACC, lead], ev)
    assert result.score.round(6).tolist() == [
        round((0.9 + 3 * 0.5) / 4, 6),
        round((0.6 + 3) / 4, 6),
    ]
    assert [int(i) for i in result.order] == [1, 0]
    slow = result.explain(0)["contributions"][1]
    assert slow["needs"] == "lead time 60.0 s > 30 s allowed"
    assert slow["basis"].startswith("point value")


def test_lead_time_needs_a_limit():
    bad = core.MeasuredRequirement("r", "lead_time", 0, None, 1, "x", None)
    with pytest.raises(ValueError, match="needs a limit"):
        core.rank(pool([1], [1]), [], [bad], core.EvidenceRows.empty())


def test_empty_pool():
    result = core.rank(pool([], []), HARD, [ACC], core.EvidenceRows.empty())
    assert result.considered == 0 and result.order.tolist() == []


# -- properties -------------------------------------------------------------------------

bounds = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    lows=st.lists(bounds, min_size=1, max_size=20),
    who=st.integers(min_value=0, max_value=19),
    bump=st.floats(min_value=0.0, max_value=1.0),
)
def test_score_is_monotone_in_the_lower_bound(lows, who, bump):
    who %= len(lows)
    ids = list(range(1, len(lows) + 1))
    p = pool(ids, [20] * len(ids))
    before = core.rank(p, [], [ACC], evidence(list(range(len(lows))), low=lows))
    raised = list(lows)
    raised[who] = min(1.0, raised[who] + bump)
    after = core.rank(p, [], [ACC], evidence(list(range(len(lows))), low=raised))
    assert after.score[who] >= before.score[who]
    # ...and nobody they were ahead of gets ahead of them.
    place = {int(c): k for k, c in enumerate(before.order)}
    place_after = {int(c): k for k, c in enumerate(after.order)}
    for other, k in place.items():
        if k > place[who]:
            assert place_after[other] > place_after[who]


candidate = st.tuples(
    st.one_of(st.none(), st.integers(min_value=0, max_value=60)),  # hours
    st.integers(min_value=0, max_value=7),  # de level rank
    st.lists(st.sampled_from(["DE", "AT", "CH", "EU", "US"]), max_size=3),  # authorisation
)
hard_req = st.one_of(
    st.builds(
        lambda lv: core.HardRequirement("l", "language", language="de", level=lv),
        st.sampled_from(core.CEFR),
    ),
    st.builds(
        lambda r: core.HardRequirement("w", "work_authorisation", region=r),
        st.sampled_from(["DE", "CH", "EU"]),
    ),
    st.builds(lambda h: core.HardRequirement("a", "availability", hours=h), st.integers(0, 60)),
)


@settings(max_examples=200, deadline=None)
@given(people=st.lists(candidate, max_size=25), reqs=st.lists(hard_req, max_size=4))
def test_filtering_never_admits_a_candidate_failing_a_hard_requirement(people, reqs):
    regions = {r.region for r in reqs if r.kind == "work_authorisation"}
    p = core.Pool(
        ids=np.arange(1, len(people) + 1, dtype=np.int64),
        hours=np.array([NAN if h is None else h for h, _, _ in people], dtype=np.float64),
        language_rank={"de": np.array([lv for _, lv, _ in people], dtype=np.int8)},
        authorised={
            r: np.array([core.authorised(a, r) for _, _, a in people], dtype=bool) for r in regions
        },
    )
    result = core.rank(p, reqs, [], core.EvidenceRows.empty())

    def fits(person, req):
        hours, level, auth = person
        if req.kind == "language":
            return level >= core.LEVEL_RANK[req.level]
        if req.kind == "work_authorisation":
            return req.region in auth or ("EU" in auth and req.region in core.EU_MEMBERS)
        return hours is not None and hours >= req.hours

    admitted = {int(p.ids[i]) for i in result.order}
    for k, person in enumerate(people, start=1):
        assert (k in admitted) == all(fits(person, r) for r in reqs)


def explain_one_by_one(result, position):
    """The explanation as first written (each value read from the arrays on its own):
    the reference explain_many must agree with."""
    failures = [
        core.hard_reason(req, result.pool, position)
        for j, req in enumerate(result.hard)
        if result.hard_fail[position, j]
    ]
    candidate_id = int(result.pool.ids[position])
    if failures:
        return {"candidate": candidate_id, "passed": False, "hard_failures": failures}
    total = sum(req.weight for req in result.measured) or 1

    def opt(v):
        return None if np.isnan(v) else round(float(v), 6)

    parts = []
    for j, req in enumerate(result.measured):
        value = result.counted[position, j]
        missing = bool(np.isnan(value))
        parts.append(
            {
                "requirement": req.key,
                "kind": req.kind,
                "skill": req.skill_label,
                "weight": req.weight,
                "threshold": req.threshold,
                "counted": None if missing else round(float(value), 6),
                "basis": None
                if missing
                else core.counted_basis(req.kind, bool(result.point[position, j])),
                "low": opt(result.low[position, j]),
                "high": opt(result.high[position, j]),
                "contribution": round(float(result.part[position, j]) * req.weight / total, 6),
                "meets": bool(result.meets[position, j]),
                "needs": core.need_text(req, None if missing else float(value)),
            }
        )
    return {
        "candidate": candidate_id,
        "passed": True,
        "score": round(float(result.score[position]), 6),
        "contributions": parts,
    }


measured_req = st.builds(
    lambda kind, threshold, weight: core.MeasuredRequirement(
        f"m-{kind}", kind, 0, threshold, weight, "Text classification / News", None
    ),
    st.sampled_from(["accuracy", "agreement", "lead_time"]),
    st.floats(min_value=0.1, max_value=60, allow_nan=False),
    st.integers(min_value=0, max_value=5),
)
maybe = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(candidate, min_size=1, max_size=20),
    reqs=st.lists(hard_req, max_size=3),
    measured=st.lists(measured_req, max_size=3),
    rows=st.lists(
        st.tuples(st.integers(0, 19), maybe, maybe, maybe, st.floats(1, 120)), max_size=30
    ),
)
def test_explain_many_says_what_one_by_one_reading_says(people, reqs, measured, rows):
    regions = {r.region for r in reqs if r.kind == "work_authorisation"}
    p = core.Pool(
        ids=np.arange(1, len(people) + 1, dtype=np.int64),
        hours=np.array([NAN if h is None else h for h, _, _ in people], dtype=np.float64),
        language_rank={"de": np.array([lv for _, lv, _ in people], dtype=np.int8)},
        authorised={
            r: np.array([core.authorised(a, r) for _, _, a in people], dtype=bool) for r in regions
        },
    )
    rows = [r for r in rows if r[0] < len(people)]

    def col(k):
        return [NAN if r[k] is None else r[k] for r in rows]

    ev = evidence([r[0] for r in rows], low=col(1), accuracy=col(2), agreement=col(3), lead=col(4))
    result = core.rank(p, reqs, measured, ev)
    positions = list(range(len(people)))
    assert result.explain_many(positions) == [explain_one_by_one(result, k) for k in positions]
    assert result.explain(positions[-1]) == explain_one_by_one(result, positions[-1])
