"""The vetting API's writes and the audit actions each must leave (gathered by
trainerdesk/tests/test_audit_api_coverage.py with every other app's registry).

Drivers run as the `project` fixture's owner, made platform staff here: the project's
three items become the gold pool of an assessment drawing two of them."""

WRITES = {
    ("POST", "/api/v1/vetting/assessments"): ("vetting.assessment.create",),
    ("PATCH", "/api/v1/vetting/assessments/{assessment_id}"): ("vetting.assessment.update",),
    ("POST", "/api/v1/vetting/assessments/{assessment_id}/activate"): (
        "vetting.assessment.activate",
    ),
    ("POST", "/api/v1/vetting/assessments/{assessment_id}/retire"): ("vetting.assessment.retire",),
    ("POST", "/api/v1/vetting/assessments/{assessment_id}/attempts"): ("vetting.attempt.start",),
    ("POST", "/api/v1/vetting/attempts/{attempt_id}/abandon"): ("vetting.attempt.abandon",),
    ("POST", "/api/v1/vetting/attempts/{attempt_id}/score"): (
        "vetting.attempt.score",
        "vetting.evidence.create",
    ),
}


def _json(client, method, url, body=None):
    response = getattr(client, method)(url, body or {}, content_type="application/json")
    assert response.status_code in (200, 201), (url, response.status_code, response.content)
    return response.json()


def _assessment(client, *, project, active=False) -> dict:
    owner = project.created_by
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    topics = ("business", "sport", "tech")
    for item, topic in zip(project.items.order_by("pk"), topics, strict=True):
        body = {"is_gold": True, "reference": {"topic": topic}}
        _json(client, "put", f"/api/v1/projects/{project.pk}/items/{item.pk}/gold", body)
    body = {
        "project": project.pk,
        "slug": "topics",
        "title": "Topics",
        "task_type": "text_classification",
        "domain": "news",
        "items_per_attempt": 2,
    }
    made = _json(client, "post", "/api/v1/vetting/assessments", body)
    if active:
        _json(client, "post", f"/api/v1/vetting/assessments/{made['id']}/activate")
    return made


def _create(client, *, project, **_) -> None:
    _assessment(client, project=project)


def _patch(client, *, project, **_) -> None:
    made = _assessment(client, project=project)
    _json(client, "patch", f"/api/v1/vetting/assessments/{made['id']}", {"pass_threshold": 0.5})


def _activate(client, *, project, **_) -> None:
    _assessment(client, project=project, active=True)


def _retire(client, *, project, **_) -> None:
    made = _assessment(client, project=project)
    _json(client, "post", f"/api/v1/vetting/assessments/{made['id']}/retire")


def _start(client, *, project, **_) -> dict:
    made = _assessment(client, project=project, active=True)
    return _json(client, "post", f"/api/v1/vetting/assessments/{made['id']}/attempts")


def _score(client, *, project, **_) -> None:
    attempt = _start(client, project=project)
    workspace = attempt["project"]
    for _n in range(attempt["items"]):
        item = _json(client, "get", f"/api/v1/projects/{workspace}/next")["item"]
        body = {"item": item["id"], "answer": {"topic": "sport"}}
        _json(client, "post", f"/api/v1/projects/{workspace}/annotations", body)
    _json(client, "post", f"/api/v1/vetting/attempts/{attempt['id']}/score")


def _abandon(client, *, project, **_) -> None:
    attempt = _start(client, project=project)
    _json(client, "post", f"/api/v1/vetting/attempts/{attempt['id']}/abandon")


DRIVERS = {
    ("POST", "/api/v1/vetting/assessments"): _create,
    ("PATCH", "/api/v1/vetting/assessments/{assessment_id}"): _patch,
    ("POST", "/api/v1/vetting/assessments/{assessment_id}/activate"): _activate,
    ("POST", "/api/v1/vetting/assessments/{assessment_id}/retire"): _retire,
    ("POST", "/api/v1/vetting/assessments/{assessment_id}/attempts"): _start,
    ("POST", "/api/v1/vetting/attempts/{attempt_id}/score"): _score,
    ("POST", "/api/v1/vetting/attempts/{attempt_id}/abandon"): _abandon,
}
