"""The evaluation API's writes and the audit action each must leave, with a driver that
calls it over HTTP as the project's manager (gathered by
trainerdesk/tests/test_audit_api_coverage.py)."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/evaluation"

WRITES = {
    ("POST", f"{BASE}/versions"): ("evaluation.model_version.create",),
    ("POST", f"{BASE}/versions/{{version_id}}/probabilities"): (
        "evaluation.probabilities.bulk_create",
    ),
    ("POST", f"{BASE}/split"): ("evaluation.split.create",),
    ("POST", f"{BASE}/runs"): ("evaluation.run.create",),
    ("POST", f"{BASE}/train"): ("evaluation.training.create",),
}


def _post(client, url, body):
    response = client.post(url, body, content_type="application/json")
    assert response.status_code in (200, 201, 202), (url, response.status_code, response.content)
    return response.json()


def _base(project) -> str:
    return BASE.format(project_id=project.pk)


def _version(client, *, project, request):
    return _post(client, f"{_base(project)}/versions", {"model": "m", "name": "m-1"})


def _probabilities(client, *, project, request):
    version = _version(client, project=project, request=request)
    item = project.items.order_by("pk").first()
    body = {"rows": [{"item": item.pk, "probabilities": [0.7, 0.2, 0.1]}]}
    _post(client, f"{_base(project)}/versions/{version['id']}/probabilities", body)


def _split(client, *, project, request):
    _post(client, f"{_base(project)}/split", {"fraction": 0.5})


def _run(client, *, project, request):
    from trainerdesk.evaluation.services import version_for
    from trainerdesk.workbench.services import add_prediction

    owner = request.getfixturevalue("owner")
    item = project.items.order_by("pk").first()
    add_prediction(project=project, item=item, answer={"topic": "tech"}, model_version="m-2",
                   by=owner)  # fmt: skip
    version = version_for(project=project, model_version="m-2", by=owner)
    _post(client, f"{_base(project)}/runs", {"version": version.pk, "scope": "all"})


def _train(client, *, project, request):
    from trainerdesk.evaluation.tests.conftest import add_labelled

    add_labelled(project, request.getfixturevalue("owner"), 15)
    _split(client, project=project, request=request)
    _post(client, f"{_base(project)}/train", {"name": "baseline-1"})


DRIVERS = {
    ("POST", f"{BASE}/versions"): _version,
    ("POST", f"{BASE}/versions/{{version_id}}/probabilities"): _probabilities,
    ("POST", f"{BASE}/split"): _split,
    ("POST", f"{BASE}/runs"): _run,
    ("POST", f"{BASE}/train"): _train,
}


# Behavioural test suites list theirs in their own module.
from trainerdesk.evaluation.tests.audit_coverage_suites import (  # noqa: E402
    DRIVERS as _SUITE_DRIVERS,
)
from trainerdesk.evaluation.tests.audit_coverage_suites import (  # noqa: E402
    WRITES as _SUITE_WRITES,
)

WRITES.update(_SUITE_WRITES)
DRIVERS.update(_SUITE_DRIVERS)

# The feedback loop's writes (audit_coverage_loop.py).
from trainerdesk.evaluation.tests import audit_coverage_loop  # noqa: E402

WRITES |= audit_coverage_loop.WRITES
DRIVERS |= audit_coverage_loop.DRIVERS
