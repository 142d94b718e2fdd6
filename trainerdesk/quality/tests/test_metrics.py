"""The quality metrics against their reference implementations (scikit-learn, statsmodels,
NLTK — test-only dependencies), Krippendorff's published worked example, a loop-based
transcription of Krippendorff's definition, and hand-made examples. Pure Python: no
database."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from nltk.metrics import agreement as nltk_agreement
from nltk.metrics.distance import interval_distance
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from trainerdesk.quality import metrics as qm
from trainerdesk.quality.metrics import Ratings

TOL = 1e-9
nan = math.nan

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania (Departmental Papers ASC, 43). Section C,
# "Nominal data, any number of observers, missing values": 4 observers (rows) x 12 units
# (columns), "." = missing. The paper reports alpha = 0.743 (nominal), and for the same
# data in its later sections 0.815 (ordinal), 0.849 (interval) and 0.797 (ratio), to three
# decimals. Unit 12 has a single value and is unpairable.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def nltk_task(r: Ratings, distance=None):
    data = [
        (f"c{int(c)}", f"i{int(i)}", r.categories[int(v)])
        for c, i, v in zip(r.rater, r.item, r.code, strict=True)
    ]
    if distance is None:
        return nltk_agreement.AnnotationTask(data=data)
    return nltk_agreement.AnnotationTask(data=data, distance=distance)


def alpha_by_definition(r: Ratings, level: str) -> float:
    """Krippendorff (2011) transcribed literally with Python loops: every ordered pair of
    values within a unit, weighted 1/(m_u - 1); expected disagreement over all pairs of
    pairable values. Independent of the coincidence-matrix code under test."""
    units: dict[int, list[int]] = {}
    for i, v in zip(r.item.tolist(), r.code.tolist(), strict=True):
        units.setdefault(i, []).append(v)
    units = {u: vs for u, vs in units.items() if len(vs) >= 2}
    k = r.n_categories
    freq = [0] * k
    for vs in units.values():
        for v in vs:
            freq[v] += 1
    values = [float(c) for c in r.categories] if level in ("interval", "ratio") else None

    def delta(c: int, d: int) -> float:
        if level == "nominal":
            return 0.0 if c == d else 1.0
        if level == "ordinal":
            lo, hi = min(c, d), max(c, d)
            return (sum(freq[lo : hi + 1]) - (freq[c] + freq[d]) / 2) ** 2
        x, y = values[c], values[d]
        if level == "interval":
            return (x - y) ** 2
        return 0.0 if x + y == 0 else ((x - y) / (x + y)) ** 2

    n = sum(freq)
    observed = 0.0
    for vs in units.values():
        for a, b in itertools.permutations(range(len(vs)), 2):
            observed += delta(vs[a], vs[b]) / (len(vs) - 1)
    expected = sum(freq[c] * freq[d] * delta(c, d) for c in range(k) for d in range(k))
    return 1 - (n - 1) * observed / expected


def random_ratings(rng, n_items, n_raters, k, missing, *, values=None) -> Ratings:
    codes = rng.integers(0, k, size=(n_raters, n_items)).astype(float)
    # Agreement above chance: a share of the raters copy a per-item "true" label.
    truth = rng.integers(0, k, size=n_items)
    copy = rng.random((n_raters, n_items)) < 0.5
    codes[copy] = np.broadcast_to(truth, codes.shape)[copy]
    codes[rng.random(codes.shape) < missing] = nan
    if values is not None:
        codes = np.where(np.isnan(codes), nan, np.asarray(values)[np.nan_to_num(codes).astype(int)])
    return Ratings.from_matrix(codes, categories=values if values is not None else range(k))


# --- Krippendorff's alpha -------------------------------------------------------------------


@pytest.mark.parametrize("level", qm.LEVELS)
def test_alpha_reproduces_krippendorff_2011(level):
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    result = qm.krippendorff_alpha(r, level)
    assert round(result.value, 3) == PUBLISHED[level]
    assert abs(result.value - alpha_by_definition(r, level)) < TOL
    assert result.n_items == 11 and result.n_values == 40  # unit 12 is unpairable


def test_alpha_matches_nltk_on_published_example():
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    assert abs(qm.krippendorff_alpha(r).value - nltk_task(r).alpha()) < TOL
    interval = nltk_task(r, interval_distance).alpha()
    assert abs(qm.krippendorff_alpha(r, "interval").value - interval) < TOL


def test_nominal_alpha_published_fraction():
    # The paper's nominal result as an exact fraction: 1 - 39 * 10/(40*40 - sum n_c^2).
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    assert abs(qm.krippendorff_alpha(r).value - 0.743421052631579) < 1e-12


def test_alpha_random_data_with_missing_values_matches_nltk():
    rng = np.random.default_rng(20261128)
    checked = 0
    for _ in range(40):
        k = int(rng.integers(2, 7))
        r = random_ratings(
            rng, int(rng.integers(2, 60)), int(rng.integers(2, 6)), k, rng.uniform(0, 0.5)
        )
        ours = qm.krippendorff_alpha(r)
        if not ours.ok:
            continue
        assert abs(ours.value - nltk_task(r).alpha()) < TOL
        num = Ratings.from_matrix(
            np.where(np.isnan(m := _matrix(r)), nan, np.asarray(r.categories, float)[_codes(m)])
        )
        theirs = nltk_task(num, interval_distance).alpha()
        assert abs(qm.krippendorff_alpha(num, "interval").value - theirs) < TOL
        checked += 1
    assert checked >= 30


def _matrix(r: Ratings) -> np.ndarray:
    m = np.full((r.n_raters, r.n_items), nan)
    m[r.rater, r.item] = r.code
    return m


def _codes(m: np.ndarray) -> np.ndarray:
    return np.nan_to_num(m).astype(int)


@pytest.mark.parametrize("level", qm.LEVELS)
def test_alpha_random_data_matches_definition(level):
    rng = np.random.default_rng(7)
    for _ in range(25):
        k = int(rng.integers(2, 8))
        values = np.sort(rng.choice(np.arange(0, 40), size=k, replace=False)).astype(float)
        r = random_ratings(rng, int(rng.integers(3, 40)), int(rng.integers(2, 7)), k, 0.3,
                           values=values)  # fmt: skip
        ours = qm.krippendorff_alpha(r, level)
        if ours.ok:
            assert abs(ours.value - alpha_by_definition(r, level)) < TOL


def test_alpha_unused_label_does_not_change_nominal_ordinal_interval():
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    wider = Ratings.from_matrix(KRIPPENDORFF_2011, categories=[0, 1, 2, 3, 4, 5, 6])
    for level in ("nominal", "ordinal", "interval"):
        a = qm.krippendorff_alpha(r, level).value
        assert abs(a - qm.krippendorff_alpha(wider, level).value) < TOL


def test_alpha_with_custom_distance_equals_nominal_for_the_nominal_matrix():
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    d = 1 - np.eye(r.n_categories)
    assert abs(qm.krippendorff_alpha(r, distance=d).value - 0.743421052631579) < 1e-12


# --- edge cases -----------------------------------------------------------------------------


def test_edge_cases_give_reasons_not_nan():
    one_rater = Ratings.from_tuples([(i, "ann", i % 3) for i in range(10)])
    everyone_agrees = Ratings.from_tuples([(i, a, "x") for i in range(5) for a in "abc"])
    empty = Ratings.from_tuples([(0, "a", None), (0, "b", None)])
    single_item = Ratings.from_tuples([(0, "a", "x"), (0, "b", "y")])
    cases = {
        "one annotator": one_rater,
        "everyone agrees": everyone_agrees,
        "all missing": empty,
    }
    for name, r in cases.items():
        for fn in (
            qm.krippendorff_alpha,
            lambda r: qm.krippendorff_alpha(r, "ordinal"),
            qm.fleiss_kappa,
            qm.percent_agreement,
        ):
            res = fn(r)
            assert res.value is None or math.isfinite(res.value), name
            if res.value is None:
                assert res.reason.startswith(("not enough data", "undefined")), (name, res)
    assert qm.krippendorff_alpha(one_rater).reason.startswith("not enough data")
    assert qm.fleiss_kappa(one_rater).reason.startswith("not enough data")
    assert qm.percent_agreement(one_rater).reason.startswith("not enough data")
    assert qm.krippendorff_alpha(empty).reason == "not enough data: no annotations"
    agree = qm.krippendorff_alpha(everyone_agrees)
    assert agree.value is None and agree.reason.startswith("undefined: no variation")
    assert qm.fleiss_kappa(everyone_agrees).reason.startswith("undefined: no variation")
    assert qm.percent_agreement(everyone_agrees).value == 1.0
    # A single item with two different answers: alpha is defined (n = 2: 1 - 1 * 2 / 2 = 0).
    assert qm.krippendorff_alpha(single_item).value == 0.0
    assert qm.krippendorff_alpha(single_item).value == pytest.approx(nltk_task(single_item).alpha())
    assert qm.percent_agreement(single_item).value == 0.0
    # A single annotation of a single item.
    lone = Ratings.from_tuples([(0, "a", "x")])
    assert qm.krippendorff_alpha(lone).reason.startswith("not enough data")
    assert qm.per_item(lone).rows(lone.categories)[0]["pair_share"] is None


def test_cohen_edge_cases():
    assert qm.cohen_kappa_codes([], [], 3).reason.startswith("not enough data")
    same = qm.cohen_kappa_codes([1, 1, 1], [1, 1, 1], 3)
    assert same.value is None and same.reason.startswith("undefined: no variation")
    r = Ratings.from_tuples([(0, "a", "x"), (1, "b", "y")])
    pm = qm.pair_matrix(r)
    assert pm.n_items == [[0, 0], [0, 0]] and pm.kappa[0][1] is None
    assert pm.reasons[(0, 1)].startswith("not enough data")


def test_fleiss_unequal_raters_is_refused_unless_chosen():
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    refused = qm.fleiss_kappa(r)
    assert refused.value is None and "different numbers of annotations" in refused.reason
    four = qm.fleiss_kappa(r, raters=4)
    counts = r.counts()[r.counts().sum(axis=1) == 4]
    assert abs(four.value - sm_fleiss_kappa(counts)) < TOL
    assert four.n_items == counts.shape[0] == 8  # units 2-9


def test_label_nobody_used():
    r = Ratings.from_tuples(
        [(i, a, "x" if (i + j) % 3 else "y") for i in range(6) for j, a in enumerate("ab")],
        categories=("x", "y", "z"),
    )
    labels = {la.label: la for la in qm.per_label(r)}
    assert labels["z"].n_values == 0 and labels["z"].specific_agreement is None
    assert labels["z"].alpha.reason == "not enough data: nobody used 'z'"
    assert qm.krippendorff_alpha(r).ok
    assert (
        abs(
            qm.fleiss_kappa(r, method="randolph").value
            - sm_fleiss_kappa(r.counts(), method="randolph")
        )
        < TOL
    )


# --- Cohen's and Fleiss' kappa against their references -------------------------------------


@pytest.mark.parametrize("weights", qm.WEIGHTS)
def test_cohen_kappa_matches_sklearn(weights):
    rng = np.random.default_rng(11)
    for _ in range(50):
        k = int(rng.integers(2, 7))
        n = int(rng.integers(2, 300))
        a = rng.integers(0, k, n)
        b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, n))
        if k > 2:
            b[b == 1] = 0  # a label rater b never uses (weights still use schema order)
        ours = qm.cohen_kappa_codes(a, b, k, weights=weights)
        theirs = cohen_kappa_score(a, b, labels=list(range(k)), weights=weights)
        if np.isnan(theirs):
            assert ours.value is None
        else:
            assert abs(ours.value - theirs) < TOL


def test_pair_matrix_matches_sklearn_on_co_annotated_items():
    rng = np.random.default_rng(3)
    r = random_ratings(rng, 200, 4, 4, 0.2)
    m = _matrix(r)
    for weights in qm.WEIGHTS:
        pm = qm.pair_matrix(r, weights=weights)
        for a, b in itertools.combinations(range(4), 2):
            both = ~np.isnan(m[a]) & ~np.isnan(m[b])
            ref = cohen_kappa_score(m[a, both], m[b, both], labels=[0, 1, 2, 3], weights=weights)
            assert abs(pm.kappa[a][b] - ref) < TOL and pm.kappa[b][a] == pm.kappa[a][b]
            assert pm.n_items[a][b] == both.sum()
            assert abs(pm.percent[a][b] - (m[a, both] == m[b, both]).mean()) < TOL
            assert abs(qm.cohen_kappa(r, a, b, weights=weights).value - ref) < TOL


@pytest.mark.parametrize("method", ["fleiss", "randolph"])
def test_fleiss_kappa_matches_statsmodels(method):
    rng = np.random.default_rng(5)
    for _ in range(30):
        k = int(rng.integers(2, 6))
        r = random_ratings(rng, int(rng.integers(2, 100)), int(rng.integers(2, 7)), k, 0.0)
        ours = qm.fleiss_kappa(r, method=method)
        theirs = sm_fleiss_kappa(r.counts(), method=method)
        if np.isnan(theirs):
            assert ours.value is None
        else:
            assert abs(ours.value - theirs) < TOL


def test_complete_data_matches_nltk_pi_s_kappa_and_observed_agreement():
    rng = np.random.default_rng(9)
    for _ in range(10):
        r = random_ratings(rng, int(rng.integers(5, 60)), int(rng.integers(2, 5)), 3, 0.0)
        if len(set(r.code.tolist())) < 3:
            continue  # NLTK's S counts only labels in the data; ours counts the schema's
        task = nltk_task(r)
        assert abs(qm.fleiss_kappa(r).value - task.pi()) < TOL
        assert abs(qm.fleiss_kappa(r, method="randolph").value - task.S()) < TOL
        assert abs(qm.percent_agreement(r).value - task.avg_Ao()) < TOL
        pm = qm.pair_matrix(r)
        pairs = list(itertools.combinations(range(r.n_raters), 2))
        mean_kappa = sum(pm.kappa[a][b] for a, b in pairs) / len(pairs)
        assert abs(mean_kappa - task.kappa()) < TOL


# --- breakdowns -----------------------------------------------------------------------------


def test_per_label_alpha_equals_alpha_of_the_binary_recoding():
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    for j, la in enumerate(qm.per_label(r)):
        binary = Ratings.from_arrays(
            r.item, r.rater, (r.code == j).astype(int), categories=(False, True),
            n_items=r.n_items, n_raters=r.n_raters,
        )  # fmt: skip
        assert abs(la.alpha.value - qm.krippendorff_alpha(binary).value) < TOL
    by_label = {la.label: la for la in qm.per_label(r)}
    # Label 5 only ever co-occurs with itself (units 10): full specific agreement.
    assert by_label[5.0].specific_agreement == 1.0 and by_label[5.0].n_values == 3


def test_per_item_shares_and_low_agreement_filter():
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    items = qm.per_item(r)
    # Unit 6 has 1, 2, 3, 4: no agreeing pair; unit 2 has 2, 2, 3, 2: 6 of 12 ordered pairs.
    assert items.pair_share[5] == 0.0 and items.majority_share[5] == 0.25
    assert items.pair_share[1] == 0.5 and items.majority_share[1] == 0.75
    assert r.categories[items.majority_code[1]] == 2.0
    assert list(items.low(0.6)) == [1, 5, 7]
    assert not items.pairable[11] and 11 not in items.low(1.1)
    assert abs(items.pair_share[items.pairable].mean() - qm.percent_agreement(r).value) < TOL


def test_multilabel_per_label_presence_and_jaccard_alpha():
    rows = [
        (1, "a", ["x", "y"]),
        (1, "b", ["x"]),
        (2, "a", ["y"]),
        (2, "b", ["y"]),
        (3, "a", []),
        (3, "b", ["x"]),
        (4, "a", None),
        (4, "b", ["x", "y"]),
    ]
    per = qm.label_presence(rows, ["x", "y"])
    x = per["x"]
    assert x.categories == (False, True) and len(x) == 7
    # Label x present/absent by a: T F F ; by b: T F T over items 1-3.
    assert qm.cohen_kappa(x, 0, 1).value == pytest.approx(cohen_kappa_score([1, 0, 0], [1, 0, 1]))
    r, d = qm.set_ratings(rows)
    assert d.shape == (r.n_categories, r.n_categories) and np.allclose(np.diag(d), 0)
    assert qm.krippendorff_alpha(r, distance=d).ok
    assert qm.jaccard(["x", "y"], ["x"]) == 0.5 and qm.jaccard([], []) == 1.0
    per_item = qm.item_jaccard(rows + [(1, "c", ["y"])])
    assert per_item[1] == pytest.approx((0.5 + 0.5 + 0.0) / 3)
    assert per_item[2] == 1.0 and per_item[3] == 0.0 and per_item[4] is None


# --- input adapter --------------------------------------------------------------------------


def test_from_tuples_adapter_and_its_errors():
    r = Ratings.from_tuples([("doc1", "ann", "b"), ("doc1", "bob", "a"), ("doc2", "ann", "a")])
    assert r.categories == ("a", "b") and r.item_ids == ("doc1", "doc2")
    assert r.rater_ids == ("ann", "bob")
    with pytest.raises(ValueError, match="annotation twice: rater 0 on item 0"):
        Ratings.from_tuples([(1, "a", "x"), (1, "a", "y")])
    with pytest.raises(ValueError, match="row 1: answer 'q' is not one of"):
        Ratings.from_tuples([(1, "a", "x"), (1, "b", "q")], categories=("x", "y"))
    with pytest.raises(ValueError, match="code\\[0\\]: 3 is outside 0..1"):
        Ratings.from_arrays([0], [0], [3], categories=("x", "y"))
    with pytest.raises(ValueError, match="numeric answers"):
        qm.krippendorff_alpha(Ratings.from_tuples([(1, "a", "x"), (1, "b", "y")]), "interval")


# --- accuracy on gold -----------------------------------------------------------------------


def test_wilson_interval_matches_statsmodels_and_hand_values():
    for k, n in [(0, 1), (1, 1), (0, 10), (7, 10), (19, 20), (20, 20), (95, 100), (3, 1000)]:
        for conf in (0.9, 0.95, 0.99):
            ours = qm.wilson_interval(k, n, confidence=conf)
            lo, hi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
            assert abs(ours.low - lo) < TOL and abs(ours.high - hi) < TOL
    # By hand: with no successes the upper bound is z^2 / (n + z^2), z = 1.959963984540054.
    z2 = 1.959963984540054**2
    assert abs(qm.wilson_interval(0, 10).high - z2 / (10 + z2)) < 1e-12
    assert qm.wilson_interval(0, 10).low == 0.0
    assert abs(qm.wilson_interval(20, 20).low - 20 / (20 + z2)) < 1e-12
    assert qm.wilson_interval(0, 0) is None


def test_gold_verdict_rule():
    few = qm.gold_verdict(19, 19)
    assert few.status == "not_enough_data" and few.reason.startswith("not enough data: 19")
    assert few.interval is not None  # the uncertainty is still shown
    # 20 of 20 right: the lower bound is only 0.839, so it does not pass 0.95 yet.
    assert qm.gold_verdict(20, 20).status == "fail"
    assert qm.gold_verdict(100, 100).status == "pass"  # lower bound 0.963
    assert qm.gold_verdict(96, 100).status == "fail"
    assert qm.gold_verdict([True] * 80, threshold=0.9).status == "pass"
    none = qm.gold_verdict(0, 0)
    assert none.status == "not_enough_data" and none.accuracy is None
    assert none.as_dict()["low"] is None
    assert qm.gold_verdict(np.int64(96), np.int64(100)).status == "fail"  # NumPy counts too


def test_gold_verdict_names_a_mismatched_call():
    with pytest.raises(TypeError, match="needs n"):
        qm.gold_verdict(19)
    with pytest.raises(TypeError, match="not with one flag per item"):
        qm.gold_verdict([True] * 20, 20)


# --- spans, boxes, preferences --------------------------------------------------------------


def test_span_f1_exact_and_overlap():
    a = [
        {"start": 0, "end": 5, "label": "PER"},
        {"start": 10, "end": 15, "label": "ORG"},
        {"start": 20, "end": 25, "label": "LOC"},
    ]
    b = [
        {"start": 0, "end": 5, "label": "PER"},  # exact
        {"start": 12, "end": 18, "label": "ORG"},  # overlaps a's ORG
        {"start": 20, "end": 25, "label": "PER"},  # same offsets, other label
        {"start": 30, "end": 31, "label": "LOC"},  # extra
    ]
    exact = qm.span_f1([(a, b)])
    assert (exact.matched, exact.n_a, exact.n_b) == (1, 3, 4)
    assert exact.f1 == pytest.approx(2 / 7)
    assert exact.precision == pytest.approx(1 / 3) and exact.recall == pytest.approx(1 / 4)
    overlap = qm.span_f1([(a, b)], mode="overlap")
    assert overlap.matched == 2 and overlap.f1 == pytest.approx(4 / 7)
    # Micro-average over items: counts add up before dividing.
    two = qm.span_f1([(a, b), ([(0, 3, "PER")], [(0, 3, "PER")])])
    assert two.f1 == pytest.approx(2 * 2 / (4 + 5))
    # One long span overlapping two short ones matches only one of them.
    assert qm.span_matches([(0, 10, "X")], [(0, 4, "X"), (5, 10, "X")], mode="overlap") == 1
    # Touching is not overlapping ([start, end) offsets).
    assert qm.span_matches([(0, 5, "X")], [(5, 9, "X")], mode="overlap") == 0
    assert qm.span_f1([([], [])]).result().reason.startswith("not enough data")


def test_span_overlap_matching_prefers_more_matches():
    # Greedy by overlap would pair (0,10) with (2,10) and leave (0,3) unmatched.
    a = [(0, 10, "X"), (9, 12, "X")]
    b = [(2, 10, "X"), (0, 3, "X")]
    assert qm.span_matches(a, b, mode="overlap") == 2


def test_iou_and_box_matching():
    box = {"x": 0, "y": 0, "width": 10, "height": 10, "label": "car"}
    half = {"x": 5, "y": 0, "width": 10, "height": 10, "label": "car"}
    assert qm.iou(box, box) == 1.0
    assert qm.iou(box, half) == pytest.approx(50 / 150)
    assert qm.iou(box, {**box, "x": 50}) == 0.0
    a = [box, {"x": 50, "y": 50, "width": 20, "height": 20, "label": "dog"}]
    b = [
        {"x": 1, "y": 1, "width": 10, "height": 10, "label": "car"},
        {"x": 50, "y": 50, "width": 20, "height": 20, "label": "cat"},  # other label
    ]
    m = qm.match_boxes(a, b, threshold=0.5)
    assert (m.matched, m.n_a, m.n_b) == (1, 2, 2)
    assert m.mean_iou == pytest.approx(81 / 119)
    assert qm.match_boxes(a, b, threshold=0.9).matched == 0
    agg = qm.box_agreement([(a, b), ([box], [box])])
    assert agg.matched == 2 and agg.mean_iou == pytest.approx((81 / 119 + 1) / 2)
    assert agg.f1 == pytest.approx(4 / 6)


def test_preference_agreement():
    rows = [
        (1, "a", {"preferred": 0, "strength": 3}),
        (1, "b", {"preferred": 0, "strength": 2}),
        (2, "a", {"preferred": "tie"}),
        (2, "b", {"preferred": 1, "strength": 1}),
        (3, "a", {"preferred": 1, "strength": 2}),
        (3, "b", {"preferred": 1, "strength": 2}),
    ]
    plain = qm.preference_ratings(rows)
    assert plain.categories == (0, "tie", 1)
    assert qm.percent_agreement(plain).value == pytest.approx(2 / 3)
    graded = qm.preference_ratings(rows, strength=True)
    assert qm.percent_agreement(graded).value == pytest.approx(1 / 3)
    codes = [graded.categories[c] for c in graded.code]
    assert codes == [-3, -2, 0, 1, 2, 2]
    assert qm.krippendorff_alpha(graded, "interval").ok


# --- correctness per task type --------------------------------------------------------------


def test_score_answer_per_task_type():
    s = qm.score_answer
    assert s("choice", "spam", "spam") == qm.Correctness(1.0, True)
    assert s("choice", "ham", "spam") == qm.Correctness(0.0, False)
    assert s("choice", ["a", "b"], ["a"]) == qm.Correctness(0.5, False)
    assert s("choice", ["a", "b"], ["a"], jaccard_threshold=0.5).correct
    assert s("choice", [], []).correct
    spans = [{"start": 0, "end": 4, "label": "PER"}]
    assert s("spans", spans, spans).correct
    shifted = [{"start": 1, "end": 4, "label": "PER"}]
    assert not s("spans", shifted, spans).correct
    assert s("spans", shifted, spans, span_mode="overlap").correct
    assert s("spans", [], []).correct
    box = {"x": 0, "y": 0, "width": 10, "height": 10, "label": "car"}
    near = {**box, "x": 1}
    assert s("boxes", [near], [box]).correct
    assert not s("boxes", [near], [box], iou_threshold=0.9).correct
    extra = s("boxes", [near, {**box, "x": 50}], [box])
    assert not extra.correct and extra.score == pytest.approx(2 / 3)
    pref = {"preferred": 1, "strength": 2}
    assert s("pairwise", {"preferred": 1, "strength": 3}, pref).correct
    graded = s("pairwise", {"preferred": 1, "strength": 3}, pref, strength=True)
    assert not graded.correct and graded.score == pytest.approx(5 / 6)
    assert not s("pairwise", None, pref).correct
    assert s("rating", {"q": 4, "f": 2}, {"q": 5, "f": 2}) == qm.Correctness(0.5, False)
    assert s("rating", {"q": 4, "f": 2}, {"q": 5, "f": 2}, tolerance=1).correct
    assert s("rating", [{"q": 3}, {"q": 1}], [{"q": 3}, {"q": 2}]).score == 0.5
    assert s("ranking", [0, 1, 2], [0, 1, 2]).correct
    assert s("ranking", [1, 0, 2], [0, 1, 2]).score == pytest.approx(2 / 3)
    assert s("text", " ok ", "ok").correct
    with pytest.raises(ValueError, match="no notion of correct"):
        s("relations", [], [])
    whole = qm.score_answers(
        {"topic": "choice", "ents": "spans"},
        {"topic": "a", "ents": shifted},
        {"topic": "a", "ents": spans},
    )
    assert not whole.correct and whole.score == pytest.approx(0.5)


def test_structured_agreement_per_pair_and_item():
    span = {"start": 0, "end": 4, "label": "PER"}
    other = {"start": 6, "end": 9, "label": "ORG"}
    rows = [
        (1, "a", [span, other]),
        (1, "b", [span]),
        (1, "c", [span, other]),
        (2, "a", []),
        (2, "b", []),
        (3, "a", [other]),
        (3, "c", None),
    ]
    sa = qm.structured_agreement(rows, "spans")
    assert sa.raters == ("a", "b", "c")
    # a-b: item 1 matched 1 of 2 + 1 spans; item 2 nothing marked.
    assert sa.f1[0][1] == pytest.approx(2 / 3) and sa.n_items[0][1] == 2
    assert sa.f1[0][2] == 1.0 and sa.f1[1][0] == sa.f1[0][1] and sa.f1[0][0] is None
    assert sa.overall.value == pytest.approx(2 * (1 + 2 + 1) / (3 + 4 + 3))
    assert sa.per_item[1] == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert sa.per_item[2] is None and sa.per_item[3] is None
    assert sa.mean_iou is None
    box = {"x": 0, "y": 0, "width": 10, "height": 10, "label": "car"}
    boxes = qm.structured_agreement(
        [(1, "a", [box]), (1, "b", [{**box, "x": 1}])], "boxes", threshold=0.5
    )
    assert boxes.f1[0][1] == 1.0 and boxes.mean_iou[0][1] == pytest.approx(90 / 110)
    empty = qm.structured_agreement([(1, "a", [])], "spans")
    assert empty.overall.reason.startswith("not enough data")


def test_from_tuples_refuses_multilabel_lists():
    with pytest.raises(ValueError, match="label_presence or set_ratings"):
        Ratings.from_tuples([(1, "a", ["x", "y"])])


def test_ordinal_level_and_weighted_kappa_follow_the_schema_order():
    names = ("low", "mid", "high")  # alphabetical order would be high, low, mid
    r = Ratings.from_matrix(KRIPPENDORFF_2011)
    matrix = np.asarray(KRIPPENDORFF_2011)
    rows = [
        (u, c, names[min(int(matrix[c, u]), 3) - 1])
        for c in range(4)
        for u in range(12)
        if not np.isnan(matrix[c, u])
    ]
    by_name = Ratings.from_tuples(rows, categories=names)
    numeric = Ratings.from_matrix(np.minimum(matrix, 3))
    ordinal = qm.krippendorff_alpha(by_name, "ordinal").value
    assert abs(ordinal - qm.krippendorff_alpha(numeric, "ordinal").value) < TOL
    assert abs(ordinal - alpha_by_definition(by_name, "ordinal")) < TOL
    kappa = qm.cohen_kappa(by_name, 0, 3, weights="quadratic").value
    assert abs(kappa - qm.cohen_kappa(numeric, 0, 3, weights="quadratic").value) < TOL
    assert r.categories == (1.0, 2.0, 3.0, 4.0, 5.0)


# --- bad input gets a clear answer (issue 8, section 4) ---------------------------------------


def test_nan_answers_are_missing_not_categories():
    # Every answer NaN: nothing to compare, so "not enough data" (it was alpha 0.0).
    r = Ratings.from_tuples([(0, "a", nan), (0, "b", float("nan")), (1, "a", np.float64(nan))])
    assert len(r) == 0
    alpha = qm.krippendorff_alpha(r)
    assert alpha.value is None and alpha.reason.startswith("not enough data")
    # NaN among real answers is left out like None.
    mixed = Ratings.from_tuples([(0, "a", 1), (0, "b", 1), (1, "a", 2), (1, "b", nan)])
    assert mixed.categories == (1, 2) and len(mixed) == 3


def test_cohen_kappa_codes_checks_code_bounds():
    with pytest.raises(ValueError, match=r"b\[1\]: code 3 is outside 0..2"):
        qm.cohen_kappa_codes([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match=r"a\[0\]: code -1 is outside 0..1"):
        qm.cohen_kappa_codes([-1, 1], [0, 1], 2)


def test_iou_refuses_nan_coordinates():
    good = {"x": 0, "y": 0, "width": 10, "height": 10}
    with pytest.raises(ValueError, match=r"b\[0\]: x is nan, not a finite number"):
        qm.iou(good, good | {"x": nan})
    with pytest.raises(ValueError, match="height is inf"):
        qm.match_boxes([good | {"label": "c", "height": math.inf}], [good | {"label": "c"}])
    assert qm.iou(good, good) == 1.0
