"""The governance API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the project's owner (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/versions"

WRITES = {
    ("POST", BASE): ("governance.dataset_version.create",),
    ("PATCH", f"{BASE}/{{version_id}}"): ("governance.dataset_version.update",),
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


DRIVERS = {
    ("POST", BASE): _create,
    ("PATCH", f"{BASE}/{{version_id}}"): _patch,
}
