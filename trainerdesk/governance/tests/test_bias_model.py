"""Model fairness and annotator parity as stored bias audits: the numbers are
fairlearn's / fairness.py's on the project's rows, AIF360's sign by hand, a clear message
for an attribute with one group, pages and API for owners/managers only."""

import pytest

from trainerdesk.evaluation import services as evaluation
from trainerdesk.governance import fairness, services
from trainerdesk.governance.models import BiasAudit
from trainerdesk.governance.tests.conftest import AUDIT_ROWS
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Item

# The model's guess per AUDIT_ROWS row (F rows first, then M).
PREDICTIONS = ["sport", "sport", "tech", "tech", "sport", "tech"] + ["sport"] * 4 + ["tech"] * 2


@pytest.fixture
def predicted(audited, owner):
    items = list(Item.objects.filter(project=audited, data__has_key="sex").order_by("id"))
    for item, guess in zip(items, PREDICTIONS, strict=True):
        workbench.add_prediction(
            project=audited, item=item, answer={"topic": guess}, model_version="m1", by=owner
        )
    return evaluation.version_for(project=audited, model_version="m1", by=owner)


def _fairlearn(y_true, y_pred, groups):
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        selection_rate,
        true_positive_rate,
    )

    t = [int(x == "sport") for x in y_true]
    p = [int(x == "sport") for x in y_pred]
    frame = MetricFrame(
        metrics={"sr": selection_rate, "tpr": true_positive_rate},
        y_true=t,
        y_pred=p,
        sensitive_features=groups,
    )
    return frame, {
        "demographic_parity_difference": demographic_parity_difference(
            t, p, sensitive_features=groups
        ),
        "demographic_parity_ratio": demographic_parity_ratio(t, p, sensitive_features=groups),
        "equalized_odds_difference": equalized_odds_difference(t, p, sensitive_features=groups),
    }


def test_model_fairness_equals_fairlearn_and_aif360_by_hand(predicted, audited, owner):
    a = services.run_model_fairness_audit(
        project=audited, model_version=predicted, attribute="sex", positive="sport",
        n_boot=200, by=owner,
    )  # fmt: skip
    assert a.kind == "model_fairness" and a.model_version == predicted
    report = a.model_fairness
    y_true = [t for *_x, t in AUDIT_ROWS]
    groups = [s for s, *_x in AUDIT_ROWS]
    frame, aggregates = _fairlearn(y_true, PREDICTIONS, groups)
    by = {g["group"]: g for g in report["groups"]}
    for g in ("F", "M"):
        assert by[g]["selection_rate"]["value"] == pytest.approx(frame.by_group.loc[g, "sr"])
        assert by[g]["true_positive_rate"]["value"] == pytest.approx(frame.by_group.loc[g, "tpr"])
        low, high = by[g]["selection_rate"]["low"], by[g]["selection_rate"]["high"]
        assert low <= by[g]["selection_rate"]["value"] <= high
    for name, value in aggregates.items():
        assert report["fairlearn"][name]["value"] == pytest.approx(value)
    # By hand: F predicted sport 3/6, M 4/6 -> M privileged (highest selection rate);
    # AIF360 SPD = 0.5 − 0.6667 (unprivileged − privileged), DI = 0.75 (< 0.8: flagged).
    assert report["privileged"] == "M"
    (f,) = report["aif360"]
    assert f["group"] == "F"
    assert f["statistical_parity_difference"]["value"] == pytest.approx(0.5 - 4 / 6)
    assert f["disparate_impact"]["value"] == pytest.approx(0.75)
    assert f["four_fifths_flag"] is True
    # TPR: F 2 of its 2 sport labels predicted sport (rows 0, 4) = 1.0; M 3 of 5 = 0.6
    # (rows 6-8; rows 10, 11 predicted tech). AIF360 signs it F − M, fairlearn max − min.
    assert f["equal_opportunity_difference"]["value"] == pytest.approx(1.0 - 0.6)
    assert report["fairlearn"]["equal_opportunity_difference"]["value"] == pytest.approx(0.4)
    assert a.item_count == 12 and a.results["left_out"]["no_prediction"] == 0


def test_model_fairness_on_a_dataset_versions_finals(
    predicted, audited, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        v = services.create_version(project=audited, name="v1", by=owner)
    v.refresh_from_db()
    live = services.run_model_fairness_audit(
        project=audited, model_version=predicted, attribute="sex", positive="sport",
        n_boot=0, by=owner,
    )  # fmt: skip
    frozen = services.run_model_fairness_audit(
        project=audited, model_version=predicted, attribute="sex", positive="sport",
        dataset_version=v, n_boot=0, by=owner,
    )  # fmt: skip
    assert frozen.dataset_version == v
    assert frozen.model_fairness == live.model_fairness
    assert frozen.inputs_digest == live.inputs_digest


def test_one_group_and_bad_input_say_so(predicted, audited, owner, project):
    for item in Item.objects.filter(project=audited):
        item.data = {**item.data, "lang": "en"}
        item.save(update_fields=["data"])
    with pytest.raises(InvalidInput, match=r"every row is in one group \(en\)"):
        services.run_model_fairness_audit(
            project=audited, model_version=predicted, attribute="lang", positive="sport",
            by=owner,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match=r"every row is in one group \(en\)"):
        services.run_annotator_parity_audit(
            project=audited, attribute="lang", positive="sport", by=owner
        )
    with pytest.raises(InvalidInput, match="no audited item has 'age'"):
        services.run_model_fairness_audit(
            project=audited, model_version=predicted, attribute="age", positive="sport",
            by=owner,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="positive"):
        services.run_annotator_parity_audit(project=audited, attribute="sex", by=owner)


def test_annotator_parity_equals_fairness(audited, owner, teammate):
    items = list(Item.objects.filter(project=audited, data__has_key="sex").order_by("id"))
    workbench.set_project_member(project=audited, user=owner, role="manager", by=owner)
    audited.overlap = 2  # a second annotation per item
    audited.save(update_fields=["overlap"])
    for item in items:
        workbench.submit_annotation(
            project=audited, item=item, user=owner, answer={"topic": "sport"}
        )
    a = services.run_annotator_parity_audit(
        project=audited, attribute="sex", positive="sport", by=owner
    )
    assert a.kind == "annotator_parity" and a.results["annotations"] == 24
    who = [f"user:{teammate.pk}"] * 12 + [f"user:{owner.pk}"] * 12
    labels = [t for *_x, t in AUDIT_ROWS] + ["sport"] * 12
    sexes = [s for s, *_x in AUDIT_ROWS] * 2
    # The service reads annotations in item order; fairness does not depend on row order.
    expected = fairness.annotator_parity(who, labels, {"sex": sexes}, positive="sport")
    assert a.annotators == expected.as_dict()


def test_pages_and_api(client, predicted, audited, owner, teammate, outsider):
    workbench.set_project_member(project=audited, user=owner, role="manager", by=owner)
    client.force_login(owner)
    base = f"/projects/{audited.pk}/bias/"
    r = client.post(
        base + "model-fairness/",
        {"model_version": predicted.pk, "attribute": "sex", "positive": "sport"},
    )
    assert r.status_code == 302
    a = BiasAudit.objects.get(kind="model_fairness")
    page = client.get(r["Location"]).content.decode()
    assert "Model fairness: m1" in page and "demographic_parity_difference" in page
    assert "0.750" in page  # the disparate impact
    listing = client.get(base).content.decode()
    assert "Model fairness (predictions vs final labels)" in listing and "F fails" in listing
    one = client.post(base + "annotator-parity/", {"attribute": "split", "positive": "sport"})
    assert one.status_code == 302
    assert "Annotator parity" in client.get(one["Location"]).content.decode()
    bad = client.post(
        base + "model-fairness/",
        {"model_version": predicted.pk, "attribute": "", "positive": "sport"},
    )
    assert bad.status_code == 302 and bad["Location"] == base

    api = f"/api/v1/projects/{audited.pk}"
    r = client.post(
        f"{api}/model-fairness-audits",
        {"model_version": predicted.pk, "attribute": "sex", "positive": "sport", "n_boot": 100},
        "application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "model_fairness" and body["model_version"] == predicted.pk
    assert body["results"]["model_fairness"]["aif360"][0]["group"] == "F"
    r = client.post(
        f"{api}/annotator-parity-audits", {"attribute": "sex", "positive": "sport"},
        "application/json",
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["kind"] == "annotator_parity"
    assert {x["kind"] for x in client.get(f"{api}/bias-audits").json()} >= {
        "model_fairness",
        "annotator_parity",
    }
    missing = client.post(
        f"{api}/model-fairness-audits",
        {"model_version": 999999, "attribute": "sex", "positive": "sport"},
        "application/json",
    )
    assert missing.status_code == 404
    for user in (teammate, outsider):
        client.force_login(user)
        assert client.get(f"{base}{a.pk}/").status_code == 404
        assert client.post(base + "annotator-parity/", {"attribute": "sex"}).status_code == 404
        r = client.post(
            f"{api}/annotator-parity-audits", {"attribute": "sex", "positive": "sport"},
            "application/json",
        )  # fmt: skip
        assert r.status_code == 404
