"""The governance API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the project's owner (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/versions"
BIAS = "/api/v1/projects/{project_id}/bias-audits"
DOCS = "/api/v1/projects/{project_id}/documents"

WRITES = {
    ("POST", BASE): ("governance.dataset_version.create",),
    ("PATCH", f"{BASE}/{{version_id}}"): ("governance.dataset_version.update",),
    ("POST", BIAS): ("governance.bias_audit.run",),
    ("POST", DOCS): ("governance.document.generate",),
    ("POST", f"{DOCS}/{{document_id}}/approve"): ("governance.document.approve",),
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


def _bias(client, *, project, request, **_):
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
    r = client.post(
        BIAS.format(project_id=project.pk),
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


DRIVERS = {
    ("POST", BASE): _create,
    ("PATCH", f"{BASE}/{{version_id}}"): _patch,
    ("POST", BIAS): _bias,
    ("POST", DOCS): _generate,
    ("POST", f"{DOCS}/{{document_id}}/approve"): _approve,
}
