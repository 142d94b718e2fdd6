"""The feedback loop's API writes (api_loop.py) and their audit actions, merged into
audit_coverage.py's WRITES and DRIVERS (a file of their own, so the app's other areas add
theirs without touching these lines)."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/evaluation"

WRITES = {
    ("PUT", f"{BASE}/active-learning"): ("evaluation.active_learning.update",),
    ("POST", f"{BASE}/active-learning/reorder"): ("evaluation.queue_reorder.create",),
    ("POST", f"{BASE}/disagreement-queue"): ("evaluation.feedback.review",),
    ("POST", f"{BASE}/feedback"): ("evaluation.feedback.review",),
    ("POST", f"{BASE}/iterations"): ("evaluation.iteration.create",),
}


def _call(client, method, url, body):
    response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code in (200, 201, 202), (url, response.status_code, response.content)
    return response.json()


def _version(client, project):
    """A version with a prediction and a probability vector on every item."""
    from trainerdesk.workbench.models import Prediction

    base = BASE.format(project_id=project.pk)
    version = _call(client, "post", f"{base}/versions", {"model": "m", "name": "loop-1"})
    items = list(project.items.order_by("pk"))
    Prediction.objects.bulk_create(
        Prediction(item=i, model_version="loop-1", answer={"topic": "tech"}, score=0.6)
        for i in items
    )
    rows = [{"item": i.pk, "probabilities": [0.2, 0.2, 0.6]} for i in items]
    _call(client, "post", f"{base}/versions/{version['id']}/probabilities", {"rows": rows})
    return base, version


def _active(client, *, project, request):
    base, version = _version(client, project)
    body = {"strategy": "entropy", "random_share": 0.1, "version": version["id"]}
    _call(client, "put", f"{base}/active-learning", body)
    return base


def _reorder(client, *, project, request):
    base = _active(client, project=project, request=request)
    _call(client, "post", f"{base}/active-learning/reorder", {})


def _disagreements(client, *, project, request):
    from trainerdesk.workbench import services

    owner = request.getfixturevalue("owner")
    item = project.items.order_by("pk").first()
    services.submit_annotation(project=project, item=item, user=owner, answer={"topic": "sport"})
    base, version = _version(client, project)
    _call(client, "post", f"{base}/disagreement-queue", {"version": version["id"]})


def _feedback(client, *, project, request):
    item = project.items.order_by("pk").first()
    base = BASE.format(project_id=project.pk)
    _call(client, "post", f"{base}/feedback", {"kind": "review", "items": [item.pk]})


def _iteration(client, *, project, request):
    from trainerdesk.evaluation import services

    owner = request.getfixturevalue("owner")
    from trainerdesk.workbench import services as workbench

    # Three items with different labels, so every metric of the run is defined.
    for item, topic in zip(
        project.items.order_by("pk"), ("business", "sport", "tech"), strict=False
    ):
        workbench.submit_annotation(project=project, item=item, user=owner, answer={"topic": topic})
    base, version = _version(client, project)
    run = services.start_evaluation(
        version=services.version_for(project=project, model_version="loop-1", by=owner),
        scope="all",
        resamples=100,
        by=owner,
    )
    services.run_evaluation(run_id=run.pk)
    _call(client, "post", f"{base}/iterations", {"run": run.pk})


DRIVERS = {
    ("PUT", f"{BASE}/active-learning"): _active,
    ("POST", f"{BASE}/active-learning/reorder"): _reorder,
    ("POST", f"{BASE}/disagreement-queue"): _disagreements,
    ("POST", f"{BASE}/feedback"): _feedback,
    ("POST", f"{BASE}/iterations"): _iteration,
}
