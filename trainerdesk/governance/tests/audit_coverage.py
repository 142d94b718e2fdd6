"""The governance API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the project's owner (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/versions"
BIAS = "/api/v1/projects/{project_id}/bias-audits"

WRITES = {
    ("POST", BASE): ("governance.dataset_version.create",),
    ("PATCH", f"{BASE}/{{version_id}}"): ("governance.dataset_version.update",),
    ("POST", BIAS): ("governance.bias_audit.run",),
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


DRIVERS = {
    ("POST", BASE): _create,
    ("PATCH", f"{BASE}/{{version_id}}"): _patch,
    ("POST", BIAS): _bias,
}
