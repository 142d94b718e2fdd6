"""The whole feedback loop through the API (issue 12), driven by examples/feedback_loop.py
on a small fixture: label -> train -> evaluate -> disagreement queue -> relabel ->
retrain -> compare, ending in a comparison that shows both runs."""

import importlib.util
import random
from pathlib import Path

import orjson
import pytest

from trainerdesk.evaluation.models import FeedbackBatch, Iteration
from trainerdesk.evaluation.tests.conftest import TOPIC_WORDS, TOPICS
from trainerdesk.quality.models import Review
from trainerdesk.workbench import services as workbench

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "feedback_loop.py"


def _example():
    spec = importlib.util.spec_from_file_location("feedback_loop", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Api:
    """The example's client interface over Django's test client; each call runs the tasks
    it queues (the test settings' immediate task backend) once its transaction commits."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture

    def _answer(self, response):
        if getattr(response, "streaming", False):
            text = b"".join(response.streaming_content).decode()
            return response.status_code, [orjson.loads(x) for x in text.splitlines() if x]
        return response.status_code, response.json() if response.content else None

    def get(self, path):
        with self.capture(execute=True):
            return self._answer(self.client.get(path))

    def post(self, path, body=None):
        with self.capture(execute=True):
            response = self.client.post(path, body or {}, content_type="application/json")
        return self._answer(response)

    def put(self, path, body):
        with self.capture(execute=True):
            response = self.client.put(path, body, content_type="application/json")
        return self._answer(response)


@pytest.fixture
def news(project, owner):
    """90 items with telling words and a hidden reference topic (as the BBC demo has)."""
    rng = random.Random(5)
    rows = []
    for i in range(90):
        topic = TOPICS[i % 3]
        words = rng.sample(TOPIC_WORDS[topic], 3) + [f"w{i}"]
        rows.append({"data": {"text": " ".join(words)}, "reference": {"topic": topic}})
    workbench.add_items(project=project, items=rows, by=owner)
    return project


def test_the_loop_runs_through_the_api_and_ends_in_a_comparison(
    news, owner, teammate, client, client_for, django_capture_on_commit_callbacks
):
    from django.test import Client

    manager = Api(client_for(owner), django_capture_on_commit_callbacks)
    annotator_client = Client()
    annotator_client.force_login(teammate)
    annotator = Api(annotator_client, django_capture_on_commit_callbacks)
    lines = []
    result = _example().run_loop(
        manager,
        annotator,
        news.pk,
        first_round=60,
        second_round=20,
        error_rate=0.2,
        seed=1,
        say=lines.append,
        wait=lambda: None,
    )
    first, second = result["first"]["run"], result["second"]["run"]
    assert first["status"] == second["status"] == "done"
    # The disagreement queue sent the simulated annotator's mistakes back to relabel.
    batch = FeedbackBatch.objects.get(pk=result["batch"]["id"])
    assert batch.kind == "relabel" and result["batch"]["items"] > 0
    assert Review.objects.filter(sent_back=True).count() >= result["batch"]["items"]
    # Two iterations, the second with its change computed on paired items.
    iterations = list(Iteration.objects.filter(project=news))
    assert [i.number for i in iterations] == [1, 2]
    assert iterations[1].change["paired"] is True and "items" in iterations[1].change
    # The comparison shows both runs, metric by metric.
    comparison = result["comparison"]
    assert [r["id"] for r in comparison["runs"]] == [first["id"], second["id"]]
    error = next(row for row in comparison["metrics"] if row["key"] == "error_rate")
    assert [c["run"] for c in error["cells"]] == [first["id"], second["id"]]
    assert error["cells"][1]["how"].startswith("paired bootstrap")
    print("\n".join(lines))
    assert any("7. compare" in line for line in lines)
    # And the Model page and the comparison page show them to the manager.
    page = client_for(owner).get(f"/projects/{news.pk}/models/").content.decode()
    assert "iterations-chart" in page and "Error rate" in page
    compare = client_for(owner).get(
        f"/projects/{news.pk}/models/compare/?run={first['id']}&run={second['id']}"
    )
    assert compare.status_code == 200
    body = compare.content.decode()
    assert f"Run {first['id']}" in body and f"Run {second['id']}" in body
