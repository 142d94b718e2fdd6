"""The bias audit's computations (governance/fairness.py), without a database.

The fixed 20-row example, worked by hand (privileged M, unprivileged F):

    M: labels 1 1 1 1 1 1 0 0 0 0   predictions 1 1 1 1 1 0 1 0 0 0
       TP 5  FN 1  FP 1  TN 3  -> selection 6/10, TPR 5/6, FPR 1/4, accuracy 8/10
    F: labels 1 1 1 1 0 0 0 0 0 0   predictions 1 1 0 0 1 0 0 0 0 0
       TP 2  FN 2  FP 1  TN 5  -> selection 3/10, TPR 1/2, FPR 1/6, accuracy 7/10
"""

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as fm
from fairlearn.metrics import MetricFrame
from scipy.stats import binomtest, fisher_exact

from trainerdesk.governance import fairness, fairness_model
from trainerdesk.governance.fairness import FairnessInputError

SEX = ["M"] * 10 + ["F"] * 10
Y_TRUE = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0] + [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
Y_PRED = [1, 1, 1, 1, 1, 0, 1, 0, 0, 0] + [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]
# A second attribute, crossing sex, for the intersections.
AGE = ["young", "old"] * 10


def model(**kw):
    kw.setdefault("n_boot", 200)
    return fairness_model.model_fairness(Y_TRUE, Y_PRED, {"sex": SEX}, positive=1, **kw)


# --- model fairness against fairlearn ---------------------------------------------------------


def test_group_metrics_equal_fairlearn_metricframe():
    report = model(n_boot=0)
    frame = MetricFrame(
        metrics={
            "selection_rate": fm.selection_rate,
            "true_positive_rate": fm.true_positive_rate,
            "false_positive_rate": fm.false_positive_rate,
            "accuracy": lambda t, p: float(np.mean(np.asarray(t) == np.asarray(p))),
        },
        y_true=Y_TRUE,
        y_pred=Y_PRED,
        sensitive_features=SEX,
    )
    for g in report.groups:
        for m in fairness_model.GROUP_METRICS:
            assert g.metrics[m].value == pytest.approx(frame.by_group.loc[g.group, m])
    by = {g.group: g for g in report.groups}
    assert by["M"].metrics["true_positive_rate"].value == pytest.approx(5 / 6)
    assert by["F"].metrics["false_positive_rate"].value == pytest.approx(1 / 6)
    assert (by["M"].n, by["M"].label_positives, by["M"].predicted_positives) == (10, 6, 6)
    assert report.overall["accuracy"] == pytest.approx(15 / 20)


def test_aggregates_equal_fairlearn_functions():
    report = model(n_boot=0)
    kw = {"sensitive_features": SEX}
    expected = {
        "demographic_parity_difference": fm.demographic_parity_difference(Y_TRUE, Y_PRED, **kw),
        "demographic_parity_ratio": fm.demographic_parity_ratio(Y_TRUE, Y_PRED, **kw),
        "equalized_odds_difference": fm.equalized_odds_difference(Y_TRUE, Y_PRED, **kw),
        "equalized_odds_ratio": fm.equalized_odds_ratio(Y_TRUE, Y_PRED, **kw),
        "equal_opportunity_difference": fm.equal_opportunity_difference(Y_TRUE, Y_PRED, **kw),
        "equal_opportunity_ratio": fm.equal_opportunity_ratio(Y_TRUE, Y_PRED, **kw),
    }
    assert {k: v.value for k, v in report.fairlearn.items()} == pytest.approx(expected)
    # and the hand-worked values
    assert report.fairlearn["demographic_parity_difference"].value == pytest.approx(0.3)
    assert report.fairlearn["demographic_parity_ratio"].value == pytest.approx(0.5)
    assert report.fairlearn["equalized_odds_difference"].value == pytest.approx(1 / 3)
    assert report.fairlearn["equalized_odds_ratio"].value == pytest.approx(0.6)
    assert report.fairlearn["equal_opportunity_difference"].value == pytest.approx(1 / 3)


def test_aif360_signed_convention_by_hand():
    report = model(n_boot=0)
    assert report.privileged == "M"
    assert report.privileged_source == "highest rate"
    (f,) = report.aif360
    assert f.group == "F"
    values = {k: v.value for k, v in f.metrics.items()}
    assert values == pytest.approx(
        {
            "statistical_parity_difference": 0.3 - 0.6,
            "disparate_impact": 0.3 / 0.6,
            "equal_opportunity_difference": 1 / 2 - 5 / 6,
            "false_positive_rate_difference": 1 / 6 - 1 / 4,
            "average_odds_difference": 0.5 * ((1 / 6 - 1 / 4) + (1 / 2 - 5 / 6)),
            "average_abs_odds_difference": 0.5 * (1 / 12 + 1 / 3),
            "accuracy_difference": 0.7 - 0.8,
        }
    )
    assert f.four_fifths_flag  # 0.5 < 0.8


def test_signed_convention_flips_with_the_privileged_group():
    report = model(n_boot=0, privileged="F")
    assert report.privileged_source == "given"
    (m,) = report.aif360
    assert m.group == "M"
    assert m.metrics["statistical_parity_difference"].value == pytest.approx(0.3)
    assert m.metrics["disparate_impact"].value == pytest.approx(2.0)
    assert m.metrics["equal_opportunity_difference"].value == pytest.approx(5 / 6 - 1 / 2)
    assert not m.four_fifths_flag
    # fairlearn's unsigned aggregates do not depend on which group is privileged
    assert report.fairlearn["demographic_parity_difference"].value == pytest.approx(0.3)


def test_intersections_equal_fairlearn_with_two_sensitive_features():
    report = fairness_model.model_fairness(
        Y_TRUE * 2, Y_PRED * 2, {"sex": SEX * 2, "age": AGE * 2}, positive=1, n_boot=0
    )
    frame = MetricFrame(
        metrics=fm.selection_rate,
        y_true=Y_TRUE * 2,
        y_pred=Y_PRED * 2,
        sensitive_features=pd.DataFrame({"sex": SEX * 2, "age": AGE * 2}),
    )
    assert len(report.groups) == 4
    for (sex, age), value in frame.by_group.items():
        (g,) = [g for g in report.groups if g.group == f"sex={sex}, age={age}"]
        assert g.metrics["selection_rate"].value == pytest.approx(value)
    assert report.fairlearn["demographic_parity_difference"].value == pytest.approx(
        fm.demographic_parity_difference(
            Y_TRUE * 2, Y_PRED * 2, sensitive_features=pd.DataFrame({"s": SEX * 2, "a": AGE * 2})
        )
    )


def test_labels_other_than_zero_one_use_the_positive_label():
    t = ["hire" if v else "reject" for v in Y_TRUE]
    p = ["hire" if v else "reject" for v in Y_PRED]
    report = fairness_model.model_fairness(t, p, {"sex": SEX}, positive="hire", n_boot=0)
    assert report.fairlearn["equalized_odds_difference"].value == pytest.approx(1 / 3)


# --- bootstrap --------------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_brackets_the_replicates():
    a, b, c = model(seed=7), model(seed=7), model(seed=8)
    assert a.as_dict() == b.as_dict()
    assert a.as_dict() != c.as_dict()
    for e in [*a.fairlearn.values(), *a.aif360[0].metrics.values()]:
        assert e.low is not None and e.high is not None and e.low <= e.high
    assert a.n_boot == 200 and a.seed == 7
    assert model(n_boot=0).fairlearn["demographic_parity_difference"].low is None


def test_each_bootstrap_replicate_equals_fairlearn_with_its_counts_as_weights():
    cells = fairness_model.confusion_cells(np.array(Y_TRUE), np.array(Y_PRED), SEX)
    assert cells == {
        ("M", 1, 1): 5,
        ("M", 1, 0): 1,
        ("M", 0, 1): 1,
        ("M", 0, 0): 3,
        ("F", 1, 1): 2,
        ("F", 1, 0): 2,
        ("F", 0, 1): 1,
        ("F", 0, 0): 5,
    }
    groups = ["M", "F"]
    counts = fairness_model.bootstrap_counts(cells, groups, n_boot=20, seed=3)
    values = fairness_model.replicate_values(counts, groups, priv="M", others=["F"])
    # A cell keeps its size: each group keeps its positives and negatives.
    assert (counts["tp"][0] + counts["fn"][0] == 6).all()
    assert (counts["fp"][1] + counts["tn"][1] == 6).all()
    for r in range(20):
        t, p, s, w = [], [], [], []
        for i, g in enumerate(groups):
            for key, (ti, pi) in {"tp": (1, 1), "fn": (1, 0), "fp": (0, 1), "tn": (0, 0)}.items():
                t.append(ti)
                p.append(pi)
                s.append(g)
                w.append(int(counts[key][i, r]))
        kw = {"sensitive_features": s, "sample_weight": w}
        assert values["demographic_parity_difference"][r] == pytest.approx(
            fm.demographic_parity_difference(t, p, **kw)
        )
        assert values["equalized_odds_difference"][r] == pytest.approx(
            fm.equalized_odds_difference(t, p, **kw)
        )
        assert values["equalized_odds_ratio"][r] == pytest.approx(
            fm.equalized_odds_ratio(t, p, **kw)
        )
        assert values["equal_opportunity_difference"][r] == pytest.approx(
            fm.equal_opportunity_difference(t, p, **kw)
        )
        frame = MetricFrame(
            metrics={"tpr": fm.true_positive_rate, "sr": fm.selection_rate},
            y_true=t,
            y_pred=p,
            sensitive_features=s,
            sample_params={"tpr": {"sample_weight": w}, "sr": {"sample_weight": w}},
        )
        assert values["F|true_positive_rate"][r] == pytest.approx(frame.by_group.loc["F", "tpr"])
        assert values["aif360|F|statistical_parity_difference"][r] == pytest.approx(
            frame.by_group.loc["F", "sr"] - frame.by_group.loc["M", "sr"]
        )


# --- label parity -----------------------------------------------------------------------------


def test_label_parity_rates_differences_and_four_fifths():
    report = fairness.label_parity(Y_TRUE, {"sex": SEX}, positive=1)
    by = {g.group: g for g in report.groups}
    assert (by["M"].n, by["M"].positives, by["M"].rate) == (10, 6, 0.6)
    assert (by["F"].positives, by["F"].rate, by["F"].share) == (4, 0.4, 0.5)
    assert report.privileged == "M"
    (c,) = report.comparisons
    assert c.group == "F"
    assert c.statistical_parity_difference == pytest.approx(0.4 - 0.6)
    assert c.disparate_impact == pytest.approx(0.4 / 0.6)
    assert c.four_fifths_flag  # 2/3 < 4/5
    assert report.max_difference == pytest.approx(0.2)
    assert report.min_ratio == pytest.approx(2 / 3)
    assert report.four_fifths_flag
    # 10 rows < 30: both groups warned of
    assert len(report.warnings) == 2 and "fewer than 30" in report.warnings[0]


def test_label_parity_wilson_intervals_equal_scipy():
    report = fairness.label_parity(Y_TRUE, {"sex": SEX}, positive=1)
    for g in report.groups:
        ci = binomtest(g.positives, g.n).proportion_ci(confidence_level=0.95, method="wilson")
        assert (g.interval.low, g.interval.high) == pytest.approx((ci.low, ci.high))
    # the textbook 6/10: [0.313, 0.832]
    m = next(g for g in report.groups if g.group == "M")
    assert (round(m.interval.low, 3), round(m.interval.high, 3)) == (0.313, 0.832)


def test_label_parity_within_four_fifths_is_not_flagged():
    labels = [1] * 5 + [0] * 5 + [1] * 9 + [0] * 1
    report = fairness.label_parity(labels, {"g": ["a"] * 10 + ["b"] * 10}, positive=1)
    assert report.four_fifths_flag  # 0.5 / 0.9
    labels = [1] * 8 + [0] * 2 + [1] * 9 + [0] * 1
    report = fairness.label_parity(
        labels, {"g": ["a"] * 10 + ["b"] * 10}, positive=1, small_group_min=5
    )
    assert not report.four_fifths_flag  # 0.8 / 0.9 = 0.89
    assert report.warnings == ()


def test_label_parity_intersections_and_set_of_positive_labels():
    labels = ["yes", "maybe", "no", "no"] * 5
    report = fairness.label_parity(
        labels, {"sex": SEX, "age": AGE}, positive={"yes", "maybe"}, privileged=("M", "young")
    )
    assert report.attributes == ("sex", "age")
    assert {g.group for g in report.groups} == {
        "sex=M, age=young",
        "sex=M, age=old",
        "sex=F, age=young",
        "sex=F, age=old",
    }
    assert report.privileged == "sex=M, age=young"
    young = [g for g in report.groups if g.group.endswith("young")]
    # yes/no alternate on the young (even) rows, maybe/no on the old (odd) ones
    assert sum(g.positives for g in young) == 5
    assert sum(g.positives for g in report.groups) == 10
    assert report.as_dict()["positive"] == ["maybe", "yes"]


def test_missing_attribute_values_form_their_own_group():
    report = fairness.label_parity([1, 0, 1, 1], {"sex": ["M", None, "", "F"]}, positive=1)
    by = {g.group: g for g in report.groups}
    assert by[fairness.MISSING].n == 2


# --- annotator parity -------------------------------------------------------------------------


def test_holm_adjustment():
    assert fairness.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert fairness.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_annotator_who_labels_a_group_differently_from_peers_is_flagged():
    # Three annotators label 40 items each, 20 per group. Fair ones give 50% positive on
    # both groups; "skewed" gives F positive 2 times in 20 (peers: 20 in 40).
    annotators, labels, groups = [], [], []
    for who in ("fair1", "fair2", "skewed"):
        for g in ("F", "M"):
            k = 2 if (who == "skewed" and g == "F") else 10
            annotators += [who] * 20
            labels += [1] * k + [0] * (20 - k)
            groups += [g] * 20
    report = fairness.annotator_parity(annotators, labels, {"sex": groups}, positive=1)
    assert report.flagged == ["skewed"]
    skewed = next(a for a in report.annotators if a.annotator == "skewed")
    test = next(t for t in skewed.tests if t.group == "F")
    assert (test.n, test.positives, test.peers_n, test.peers_positives) == (20, 2, 40, 20)
    assert test.p_value == pytest.approx(fisher_exact([[2, 18], [20, 20]]).pvalue)
    assert test.p_adjusted >= test.p_value
    assert test.flagged and test.status == "tested"
    assert "Fisher" in report.method and "Holm" in report.method
    own = {r.group: r.rate for r in skewed.rates}
    assert own == {"F": 0.1, "M": 0.5}


def test_annotator_with_few_labels_is_not_tested():
    report = fairness.annotator_parity(
        ["a"] * 4 + ["b"] * 20,
        [1, 1, 0, 0] + [1, 0] * 10,
        {"g": ["x", "y"] * 12},
        positive=1,
    )
    a = next(x for x in report.annotators if x.annotator == "a")
    assert {t.status for t in a.tests} == {"too_few_labels"}
    assert report.flagged == []


# --- representation ---------------------------------------------------------------------------


def test_representation_counts_shares_and_warnings():
    splits = ["train"] * 14 + ["test"] * 6
    groups = ["a"] * 10 + ["b"] * 4 + ["a"] * 6
    table = fairness.representation(splits, {"g": groups}, small_group_min=5)
    assert table.splits == ("train", "test")
    assert table.groups == ("a", "b")
    assert table.cell("train", "a").count == 10
    assert table.cell("train", "b").share == pytest.approx(4 / 14)
    assert table.cell("test", "b").count == 0
    assert table.group_totals == {"a": 16, "b": 4}
    assert table.warnings == (
        "split train has 4 rows of group b, fewer than 5",
        "split test has no rows of group b",
    )
    assert math.fsum(c.share for c in table.cells if c.split == "test") == pytest.approx(1.0)


# --- errors -----------------------------------------------------------------------------------


def test_one_group_is_a_clear_error():
    with pytest.raises(FairnessInputError, match="one group") as e:
        fairness.label_parity([1, 0, 1], {"sex": ["F", "F", "F"]}, positive=1)
    assert e.value.field == "sex"
    with pytest.raises(FairnessInputError, match="one group"):
        fairness_model.model_fairness([1, 0], [1, 1], {"sex": ["F", "F"]}, positive=1)


def test_mismatched_lengths_name_the_field():
    with pytest.raises(FairnessInputError, match=r"^y_pred: 19 values but y_true has 20") as e:
        fairness_model.model_fairness(Y_TRUE, Y_PRED[:-1], {"sex": SEX}, positive=1)
    assert e.value.field == "y_pred"
    with pytest.raises(FairnessInputError, match=r"^sex: 19 values") as e:
        fairness.label_parity(Y_TRUE, {"sex": SEX[:-1]}, positive=1)
    assert e.value.errors == ["sex: 19 values but labels has 20: they must pair up row by row"]
    with pytest.raises(FairnessInputError, match="^annotators:"):
        fairness.annotator_parity(["a"], Y_TRUE, {"sex": SEX}, positive=1)
    with pytest.raises(FairnessInputError, match="^splits:|^g:"):
        fairness.representation(["train"], {"g": ["a", "b"]})


def test_empty_input_and_empty_or_unknown_groups():
    with pytest.raises(FairnessInputError, match="no rows"):
        fairness.label_parity([], {"sex": []}, positive=1)
    with pytest.raises(FairnessInputError, match="at least one attribute"):
        fairness.label_parity([1], {}, positive=1)
    with pytest.raises(FairnessInputError, match="no row is in group 'X'") as e:
        fairness.label_parity(Y_TRUE, {"sex": SEX}, positive=1, privileged="X")
    assert e.value.field == "privileged"
    with pytest.raises(FairnessInputError, match="needs one value for each"):
        fairness.label_parity(Y_TRUE, {"sex": SEX, "age": AGE}, positive=1, privileged="M")


def test_group_without_a_favourable_label_is_named():
    y_true = [1, 0, 0, 0]
    with pytest.raises(FairnessInputError, match="group F has no favourable final label") as e:
        fairness_model.model_fairness(
            y_true, [1, 0, 1, 0], {"sex": ["M", "M", "F", "F"]}, positive=1
        )
    assert e.value.field == "y_true"


def test_missing_label_and_missing_field_are_named():
    with pytest.raises(FairnessInputError, match="^labels: row 1 has no value"):
        fairness.label_parity([1, None], {"g": ["a", "b"]}, positive=1)
    with pytest.raises(FairnessInputError, match="^sex: row 1 has no such field"):
        fairness.column([{"sex": "F"}, {"age": 3}], "sex")
    assert fairness.column([{"sex": "F"}], "sex") == ["F"]


# --- demo data (fairness_data) ----------------------------------------------------------------

ARRESTS_CSV = (
    "released,colour,year,age,sex,employed,citizen,checks\n"
    "Yes,White,2002,21,Male,Yes,Yes,3\n"
    "No,Black,1999,17,Male,Yes,Yes,3\n"
    "Yes,Black,2000,24,Female,No,Yes,0\n"
)
ADULT_TRAIN = (
    "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White,"
    " Male, 2174, 0, 40, United-States, <=50K\n"
    "50, ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male,"
    " 0, 0, 13, United-States, >50K\n\n"
)
ADULT_TEST = (
    "|1x3 Cross validator\n"
    "25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Female,"
    " 0, 0, 40, United-States, >50K.\n\n"
)


def test_load_arrests_reads_the_zip_into_rows(tmp_path):
    import zipfile

    from trainerdesk.governance import fairness_data

    path = tmp_path / "arrests.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("sklego/data/arrests.zip", ARRESTS_CSV)  # the member name scikit-lego uses
    rows = fairness_data.load_arrests(path)
    assert [r["label"] for r in rows] == ["released", "held", "released"]
    assert rows[2] == {
        "id": "arrests-0003",
        "colour": "Black",
        "sex": "Female",
        "age": 24,
        "year": 2000,
        "employed": "No",
        "citizen": "Yes",
        "checks": 0,
        "label": "released",
        "split": fairness_data.split_of("arrests-0003"),
    }


def test_load_adult_reads_both_files(tmp_path):
    from trainerdesk.governance import fairness_data

    (tmp_path / "adult.data").write_text(ADULT_TRAIN)
    (tmp_path / "adult.test").write_text(ADULT_TEST)
    rows = fairness_data.load_adult(tmp_path)
    assert [(r["id"], r["split"], r["label"]) for r in rows] == [
        ("adult-00001", "train", "<=50K"),
        ("adult-00002", "train", ">50K"),
        ("adult-00003", "test", ">50K"),  # the test file's trailing "." dropped
    ]
    assert rows[1]["workclass"] is None  # "?" is missing
    assert rows[0]["capital_gain"] == 2174
    assert (rows[2]["sex"], rows[2]["race"]) == ("Female", "Black")


def test_split_is_fixed_and_about_one_fifth():
    from trainerdesk.governance.fairness_data import split_of

    splits = [split_of(f"arrests-{i:04d}") for i in range(1, 5001)]
    assert splits == [split_of(f"arrests-{i:04d}") for i in range(1, 5001)]
    assert 0.17 < splits.count("test") / 5000 < 0.23


def test_installed_arrests_data_audits_like_fairlearn():
    """With scikit-lego installed: the real data, and fairlearn's numbers on it; without
    it: the error says what to install."""
    from trainerdesk.governance import fairness_data

    try:
        rows = fairness_data.load_arrests()
    except fairness_data.DatasetUnavailable as e:
        assert "pip install scikit-lego" in str(e)
        return
    assert len(rows) == fairness_data.ARRESTS.rows
    y = fairness.column(rows, "label")
    colour = fairness.column(rows, "colour")
    # a fixed rule as the "model": released when the person appears in at most 2 databases
    pred = ["released" if r["checks"] <= 2 else "held" for r in rows]
    report = fairness_model.model_fairness(
        y, pred, {"colour": colour}, positive="released", n_boot=0
    )
    yt = [int(v == "released") for v in y]
    yp = [int(v == "released") for v in pred]
    assert report.fairlearn["equalized_odds_difference"].value == pytest.approx(
        fm.equalized_odds_difference(yt, yp, sensitive_features=colour)
    )
    parity = fairness.label_parity(y, {"colour": colour}, positive="released")
    assert parity.privileged == "White"
    assert parity.comparisons[0].statistical_parity_difference < 0


@pytest.mark.process
def test_importing_the_audit_loads_no_django_and_no_heavy_library():
    import subprocess
    import sys

    code = (
        "import sys, trainerdesk.governance.fairness, trainerdesk.governance.fairness_data;"
        "print(sorted(m for m in ('django', 'fairlearn', 'pandas', 'scipy.stats', 'sklearn')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
