"""Bias audits: the stored numbers are fairness.py's on the project's final labels; clear
errors naming the field; owners/managers only (404 for the rest); the pages render."""

import pytest
from django.urls import reverse

from trainerdesk.governance import fairness, services
from trainerdesk.governance.models import BiasAudit
from trainerdesk.governance.tests.conftest import AUDIT_ROWS
from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench.models import Item

API = "/api/v1/projects/{}/bias-audits"


def test_service_numbers_equal_fairness_on_a_fixed_project(audited, owner):
    from trainerdesk.accounts.models import AuditEvent

    a = services.run_label_parity_audit(
        project=audited, attribute="sex", positive="sport", by=owner
    )
    labels = [t for _s, _sp, t in AUDIT_ROWS]
    sexes = [s for s, _sp, _t in AUDIT_ROWS]
    expected = fairness.label_parity(labels, {"sex": sexes}, positive="sport")
    assert a.parity == expected.as_dict()
    rep = fairness.representation([sp for _s, sp, _t in AUDIT_ROWS], {"sex": sexes})
    assert a.representation == rep.as_dict()
    # By hand: F 2/6, M 5/6; SPD −0.5, DI 0.4, so the four-fifths rule fails.
    (f_vs_m,) = a.parity["comparisons"]
    assert a.parity["privileged"] == "M" and f_vs_m["group"] == "F"
    assert f_vs_m["statistical_parity_difference"] == pytest.approx(-0.5)
    assert f_vs_m["disparate_impact"] == pytest.approx(0.4)
    assert f_vs_m["four_fifths_flag"] and a.parity["four_fifths_flag"]
    assert a.item_count == 12 and a.results["unlabelled"] == 0
    ids = list(Item.objects.filter(data__has_key="sex").order_by("id").values_list("id", flat=True))
    assert a.inputs_digest == lines_digest(
        (i, f'["{s}"]', int(t == "sport")) for i, (s, _sp, t) in zip(ids, AUDIT_ROWS, strict=True)
    )
    assert AuditEvent.objects.filter(
        action="governance.bias_audit.run", object_id=str(a.pk)
    ).exists()


def test_intersection_and_given_privileged_group(audited, owner):
    a = services.run_label_parity_audit(
        project=audited,
        attribute="sex",
        second_attribute="split",
        privileged=["F", "train"],
        positive="sport",
        by=owner,
    )
    rows = AUDIT_ROWS
    expected = fairness.label_parity(
        [t for *_x, t in rows],
        {"sex": [s for s, *_x in rows], "split": [sp for _s, sp, _t in rows]},
        positive="sport",
        privileged=("F", "train"),
    )
    assert a.parity == expected.as_dict()
    assert a.parity["privileged_source"] == "given"
    assert any("fewer than 30" in w for w in a.parity["warnings"])


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"attribute": "age", "positive": "sport"}, "attribute", "'age'"),
        ({"attribute": "sex", "positive": ""}, "positive", "'topic'"),
        ({"attribute": "sex", "positive": "weather"}, "positive", "'topic'"),
        ({"attribute": "sex", "positive": "sport", "field": "mood"}, "field", "'mood'"),
    ],
)
def test_errors_name_the_field(audited, owner, kwargs, field, text):
    with pytest.raises(InvalidInput) as exc:
        services.run_label_parity_audit(project=audited, by=owner, **kwargs)
    assert str(exc.value).startswith(f"{field}:") or f"{field}:" in str(exc.value)
    assert text in str(exc.value)
    assert not BiasAudit.objects.exists()


def test_one_group_and_no_favourable_label_are_clear_errors(audited, owner):
    Item.objects.filter(data__has_key="sex").update(data={"text": "x", "sex": "F"})
    with pytest.raises(InvalidInput, match="one group"):
        services.run_label_parity_audit(
            project=audited, attribute="sex", positive="sport", by=owner
        )
    with pytest.raises(InvalidInput, match="no final label in field 'topic' is 'business'") as exc:
        audited.annotations.filter(answer__topic="business").update(answer={"topic": "tech"})
        services.run_label_parity_audit(
            project=audited, attribute="sex", positive="business", by=owner
        )
    assert str(exc.value).count("positive:") == 1


def test_dataset_version_finals_are_audited(
    audited, owner, teammate, django_capture_on_commit_callbacks
):
    from trainerdesk.workbench import services as wb

    with django_capture_on_commit_callbacks(execute=True):
        v = services.create_version(project=audited, name="v1", by=owner)
    v.refresh_from_db()
    # A later label does not reach the version's audit, but does reach the live one.
    extra = wb.add_items(project=audited, items=[{"text": "late", "sex": "F"}], by=owner)
    item = audited.items.get(data__text="late")
    wb.submit_annotation(project=audited, item=item, user=teammate, answer={"topic": "sport"})
    del extra
    old = services.run_label_parity_audit(
        project=audited, attribute="sex", positive="sport", dataset_version=v, by=owner
    )
    live = services.run_label_parity_audit(
        project=audited, attribute="sex", positive="sport", by=owner
    )
    assert old.item_count == 12 and live.item_count == 13
    assert old.inputs_digest != live.inputs_digest


def test_owner_runs_and_reads_an_audit_on_the_pages(audited, owner, client_for):
    c = client_for(owner)
    page = c.get(reverse("governance:bias_audits", args=[audited.pk]))
    assert page.status_code == 200 and b"Run an audit" in page.content
    assert b"Bias audit" in page.content  # the project bar link
    r = c.post(
        reverse("governance:bias_audits", args=[audited.pk]),
        {"attribute": "sex", "field": "topic", "positive": "sport"},
    )
    a = BiasAudit.objects.get(project=audited)
    assert r.status_code == 302 and r["Location"].endswith(f"/bias/{a.pk}/")
    detail = c.get(r["Location"])
    body = detail.content.decode()
    assert detail.status_code == 200
    assert "fails the four-fifths rule" in body and "below 0.8" in body
    assert "0.400" in body and "-0.500" in body  # DI and SPD of F
    assert "fewer than 30" in body  # small-group warning
    assert 'id="representation"' in body and "train" in body
    listing = c.get(reverse("governance:bias_audits", args=[audited.pk])).content.decode()
    assert "sex" in listing and "fails" in listing


def test_page_error_is_shown(audited, owner, client_for):
    c = client_for(owner)
    r = c.post(
        reverse("governance:bias_audits", args=[audited.pk]),
        {"attribute": "age", "positive": "sport"},
        follow=True,
    )
    assert "attribute: no labelled item has &#x27;age&#x27;" in r.content.decode()
    assert not BiasAudit.objects.exists()


def test_annotator_and_outsider_get_404(audited, owner, teammate, outsider, client_for):
    a = services.run_label_parity_audit(
        project=audited, attribute="sex", positive="sport", by=owner
    )
    for user in (teammate, outsider):
        c = client_for(user)
        assert c.get(reverse("governance:bias_audits", args=[audited.pk])).status_code == 404
        assert c.get(reverse("governance:bias_audit", args=[audited.pk, a.pk])).status_code == 404
        r = c.post(
            reverse("governance:bias_audits", args=[audited.pk]),
            {"attribute": "sex", "positive": "sport"},
        )
        assert r.status_code == 404
    assert BiasAudit.objects.count() == 1
    # The annotator's project bar has no link to it.
    bar = client_for(teammate).get(reverse("workbench:project_detail", args=[audited.pk]))
    assert b"Bias audit" not in bar.content


def test_api_runs_lists_and_reads(audited, owner, teammate, outsider, client_for):
    c = client_for(owner)
    r = c.post(
        API.format(audited.pk), {"attribute": "sex", "positive": "sport"}, "application/json"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["results"]["parity"]["four_fifths_flag"] is True and body["item_count"] == 12
    assert c.get(API.format(audited.pk)).json()[0]["id"] == body["id"]
    one = c.get(f"{API.format(audited.pk)}/{body['id']}")
    assert one.status_code == 200 and one.json()["inputs_digest"] == body["inputs_digest"]
    bad = c.post(
        API.format(audited.pk), {"attribute": "age", "positive": "sport"}, "application/json"
    )
    assert bad.status_code == 400 and "attribute" in bad.content.decode()
    for user in (teammate, outsider):
        other = client_for(user)
        assert other.get(API.format(audited.pk)).status_code == 404
        assert other.get(f"{API.format(audited.pk)}/{body['id']}").status_code == 404
        assert (
            other.post(
                API.format(audited.pk),
                {"attribute": "sex", "positive": "sport"},
                "application/json",
            ).status_code
            == 404
        )
