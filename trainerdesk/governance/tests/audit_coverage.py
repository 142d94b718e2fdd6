"""The governance API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the project's owner (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/versions"
BIAS = "/api/v1/projects/{project_id}/bias-audits"
DOCS = "/api/v1/projects/{project_id}/documents"
GAPS = "/api/v1/projects/{project_id}/data-gaps"

PROJECT = "/api/v1/projects/{project_id}"
LINEAGE = f"{BASE}/{{version_id}}/lineage"
MODEL_FAIRNESS = f"{PROJECT}/model-fairness-audits"
ANNOTATOR_PARITY = f"{PROJECT}/annotator-parity-audits"

WRITES = {
    ("POST", BASE): ("governance.dataset_version.create",),
    ("PATCH", f"{BASE}/{{version_id}}"): ("governance.dataset_version.update",),
    ("POST", BIAS): ("governance.bias_audit.run",),
    ("POST", LINEAGE): ("governance.lineage.record",),
    ("POST", MODEL_FAIRNESS): ("governance.bias_audit.run",),
    ("POST", ANNOTATOR_PARITY): ("governance.bias_audit.run",),
    ("POST", DOCS): ("governance.document.generate",),
    ("POST", f"{DOCS}/{{document_id}}/approve"): ("governance.document.approve",),
    ("POST", GAPS): ("governance.data_gap.create",),
    ("POST", f"{GAPS}/{{gap_id}}/close"): ("governance.data_gap.close",),
}


def _create(client, *, project, **_):
    r = client.post(BASE.format(project_id=project.pk), {"name": "v1"}, "application/json")
    assert r.status_code == 202, r.content[:300]


def _patch(client, *, project, request, **_):
    from trainerdesk.governance import services

    v = services.create_version(project=project, name="v1", by=request.getfixturevalue("owner"))
    r = client.patch(
        f"{BASE.format(project_id=project.pk)}/{v.pk}", {"tags": ["x"]}, "application/json"
    )
    assert r.status_code == 200, r.content[:300]


def _label_by_sex(project, request):
    from trainerdesk.workbench import services

    teammate = request.getfixturevalue("teammate")
    items = list(project.items.order_by("id"))
    rows = [("sport", "F"), ("tech", "M"), ("sport", "M")]
    for item, (topic, sex) in zip(items, rows, strict=True):
        item.data = {**item.data, "sex": sex}
        item.save(update_fields=["data"])
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )


def _bias(client, *, project, request, **_):
    _label_by_sex(project, request)
    r = client.post(
        BIAS.format(project_id=project.pk),
        {"attribute": "sex", "positive": "sport"},
        "application/json",
    )
    assert r.status_code == 201, r.content[:300]


def _lineage(client, *, project, request, **_):
    from trainerdesk.evaluation.services import version_for
    from trainerdesk.governance import services

    owner = request.getfixturevalue("owner")
    v = services.create_version(project=project, name="v1", by=owner)
    mv = version_for(project=project, model_version="m1", by=owner)
    r = client.post(
        LINEAGE.format(project_id=project.pk, version_id=v.pk),
        {"run_type": "model_version", "run_id": mv.pk},
        "application/json",
    )
    assert r.status_code == 201, r.content[:300]


def _model_fairness(client, *, project, request, **_):
    from trainerdesk.evaluation.services import version_for
    from trainerdesk.workbench import services

    owner = request.getfixturevalue("owner")
    # Both groups need a favourable and an unfavourable final label.
    services.add_items(project=project, items=[{"text": "extra", "sex": "F"}], by=owner)
    items = list(project.items.order_by("id"))
    teammate = request.getfixturevalue("teammate")
    rows = [("sport", "F"), ("tech", "F"), ("sport", "M"), ("tech", "M")]
    for item, (topic, sex) in zip(items, rows, strict=True):
        item.data = {**item.data, "sex": sex}
        item.save(update_fields=["data"])
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": topic}
        )
        services.add_prediction(
            project=project, item=item, answer={"topic": "sport"}, model_version="m1", by=owner
        )
    mv = version_for(project=project, model_version="m1", by=owner)
    r = client.post(
        MODEL_FAIRNESS.format(project_id=project.pk),
        {"model_version": mv.pk, "attribute": "sex", "positive": "sport", "n_boot": 0},
        "application/json",
    )
    assert r.status_code == 201, r.content[:300]


def _annotator_parity(client, *, project, request, **_):
    _label_by_sex(project, request)
    r = client.post(
        ANNOTATOR_PARITY.format(project_id=project.pk),
        {"attribute": "sex", "positive": "sport"},
        "application/json",
    )
    assert r.status_code == 201, r.content[:300]


def _datasheet(project, request):
    """A built version of the project (one item labelled by the teammate) and the body
    asking for its datasheet."""
    from trainerdesk.governance import services
    from trainerdesk.workbench import services as wb

    owner, teammate = request.getfixturevalue("owner"), request.getfixturevalue("teammate")
    wb.submit_annotation(
        project=project, item=project.items.first(), user=teammate, answer={"topic": "sport"}
    )
    v = services.create_version(project=project, name="v1", by=owner)
    services.build_version(version_id=v.pk)  # the on-commit task never runs in a test
    return {"kind": "datasheet", "subject_ids": [v.pk]}


def _generate(client, *, project, request, **_):
    body = _datasheet(project, request)
    r = client.post(DOCS.format(project_id=project.pk), body, "application/json")
    assert r.status_code == 201, r.content[:300]


def _approve(client, *, project, request, **_):
    from trainerdesk.governance import services

    body = _datasheet(project, request)
    doc = services.generate_document(
        project=project, by=request.getfixturevalue("owner"), **body
    ).document
    r = client.post(f"{DOCS.format(project_id=project.pk)}/{doc.pk}/approve")
    assert r.status_code == 200, r.content[:300]


def _gap_create(client, *, project, **_):
    r = client.post(GAPS.format(project_id=project.pk), {"title": "No rural speakers"},
                    "application/json")  # fmt: skip
    assert r.status_code == 201, r.content[:300]


def _gap_close(client, *, project, request, **_):
    from trainerdesk.governance.services import documents

    gap = documents.create_data_gap(
        project=project, title="No rural speakers", by=request.getfixturevalue("owner")
    )
    r = client.post(f"{GAPS.format(project_id=project.pk)}/{gap.pk}/close",
                    {"resolution": "Recorded 200 more"}, "application/json")  # fmt: skip
    assert r.status_code == 200, r.content[:300]


DRIVERS = {
    ("POST", LINEAGE): _lineage,
    ("POST", MODEL_FAIRNESS): _model_fairness,
    ("POST", ANNOTATOR_PARITY): _annotator_parity,
    ("POST", BASE): _create,
    ("PATCH", f"{BASE}/{{version_id}}"): _patch,
    ("POST", BIAS): _bias,
    ("POST", DOCS): _generate,
    ("POST", f"{DOCS}/{{document_id}}/approve"): _approve,
    ("POST", GAPS): _gap_create,
    ("POST", f"{GAPS}/{{gap_id}}/close"): _gap_close,
}
