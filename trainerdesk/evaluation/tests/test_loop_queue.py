"""Active learning wired to the annotation queue (issue 12): the setting, the re-order job,
and what the workbench queue serves afterwards."""

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.evaluation import services
from trainerdesk.evaluation.models import PredictedProbabilities, QueueReorder
from trainerdesk.evaluation.services import active_queue
from trainerdesk.evaluation.tests.conftest import TOPIC_WORDS, add_labelled
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench.models import Item
from trainerdesk.workbench.services import InvalidInput

pytestmark = pytest.mark.django_db


def api(project, rest=""):
    return f"/api/v1/projects/{project.pk}/evaluation{rest}"


@pytest.fixture
def trained(project, owner):
    """12 labelled items per topic, a 25% split, 40 unlabelled items with mixed words,
    one gold item among them, and a baseline version that predicted every item."""
    add_labelled(project, owner, 12)
    words = [w for ws in TOPIC_WORDS.values() for w in ws]
    workbench.add_items(
        project=project,
        items=[
            {"text": " ".join(words[(i * 7 + j) % len(words)] for j in range(i % 4 + 1)) + f" u{i}"}
            for i in range(40)
        ],
        by=owner,
    )
    services.create_split(project=project, fraction=0.25, seed=1, by=owner)
    run = services.train_baseline(project=project, name="b1", by=owner)
    run = services.run_training(run_id=run.pk)
    assert run.status == "done", run.message
    project.version = run.version
    return project


def _reorder(project, owner, **setting):
    active_queue.update_settings(
        project=project,
        version=project.version,
        by=owner,
        **({"strategy": "least_confidence", "random_share": 0.1, "seed": 7} | setting),
    )
    run = active_queue.start_reorder(project=project, by=owner)
    return active_queue.run_reorder(run_id=run.pk)


def _queue(project):
    return list(
        Item.objects.filter(project=project, available=True, assignee__isnull=True)
        .order_by("queue_rank", "id")
        .values_list("pk", flat=True)
    )


def test_reorder_is_reproducible_from_its_seed(trained, owner):
    first = _reorder(trained, owner)
    assert first.status == "done", first.message
    order = _queue(trained)
    again = _reorder(trained, owner)
    assert again.order_digest == first.order_digest
    assert _queue(trained) == order
    other = _reorder(trained, owner, seed=8)
    assert other.order_digest != first.order_digest
    # The log: version, strategy, seed, share and digest, in the run and the audit event.
    event = AuditEvent.objects.filter(action="evaluation.queue_reorder.finish").last()
    assert event.changes["seed"] == 8 and event.changes["version"] == "b1"
    assert event.changes["strategy"] == "least_confidence"
    assert event.changes["order_sha256"] == other.order_digest


def test_random_share_is_honoured_and_uncertain_items_lead(trained, owner):
    run = _reorder(trained, owner, random_share=0.25)
    result, _kept = active_queue.compute_order(run)
    n = len(result.item_ids)
    assert run.items_ordered == n and run.random_items == round(n * 0.25)
    assert int(result.is_random.sum()) == run.random_items
    # Every prefix holds its share of random items (floor(m k / n)).
    for m in range(1, n + 1):
        assert int(result.is_random[:m].sum()) == m * run.random_items // n
    queue = _queue(trained)
    assert queue[:n] == result.item_ids
    scores = [s for s, r in zip(result.scores, result.is_random, strict=True) if not r]
    assert scores == sorted(scores, reverse=True)


def test_next_item_follows_the_new_order(trained, owner, teammate):
    run = _reorder(trained, owner, random_share=0.0)
    result, _ = active_queue.compute_order(run)
    served = [workbench.next_item(project=trained, user=teammate) for _ in range(1)]
    assert served[0].pk == result.item_ids[0]
    workbench.submit_annotation(
        project=trained, item=served[0], user=teammate, answer={"topic": "tech"}
    )
    assert workbench.next_item(project=trained, user=teammate).pk == result.item_ids[1]


def test_gold_and_held_out_items_keep_their_place(trained, owner):
    held = services.held_out_ids(trained)
    gold_item = Item.objects.filter(project=trained, done_count=0).exclude(pk__in=held).first()
    workbench.set_gold(
        project=trained, item=gold_item, reference={"topic": "tech"}, is_gold=True, by=owner
    )
    before = dict(Item.objects.filter(pk__in=held | {gold_item.pk}).values_list("pk", "queue_rank"))
    run = _reorder(trained, owner)
    result, kept = active_queue.compute_order(run)
    assert not (set(result.item_ids) & (held | {gold_item.pk}))
    after = dict(Item.objects.filter(pk__in=before).values_list("pk", "queue_rank"))
    assert after == before
    assert run.items_kept == kept > 0
    # Gold stays out of the shared queue; the re-ordered items come before held-out ones.
    gold_item.refresh_from_db()
    assert gold_item.available is False
    queue = _queue(trained)
    last_ordered = max(queue.index(pk) for pk in result.item_ids)
    assert all(queue.index(pk) > last_ordered for pk in held if pk in queue)


def test_setting_and_start_refuse_bad_input(trained, owner):
    with pytest.raises(InvalidInput, match="strategy: must be one of"):
        active_queue.update_settings(project=trained, strategy="vibes", by=owner)
    with pytest.raises(InvalidInput, match="random_share: must be from 0 to 1"):
        active_queue.update_settings(
            project=trained, strategy="margin", random_share=1.5, version=trained.version, by=owner
        )
    with pytest.raises(InvalidInput, match="active learning is off"):
        active_queue.start_reorder(project=trained, by=owner)
    PredictedProbabilities.objects.all().delete()
    active_queue.update_settings(
        project=trained, strategy="entropy", version=trained.version, by=owner
    )
    with pytest.raises(InvalidInput, match="no probability vectors"):
        active_queue.start_reorder(project=trained, by=owner)
    assert not QueueReorder.objects.exists()


def test_api_sets_and_reorders(trained, owner, client_for, django_capture_on_commit_callbacks):
    client = client_for(owner)
    body = {"strategy": "margin", "random_share": 0.2, "version": trained.version.pk, "seed": 3}
    response = client.put(api(trained, "/active-learning"), body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert client.get(api(trained, "/active-learning")).json()["strategy"] == "margin"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(api(trained, "/active-learning/reorder"))
    assert response.status_code == 202, response.content
    got = client.get(api(trained, f"/active-learning/reorder/{response.json()['id']}")).json()
    assert got["status"] == "done" and got["seed"] == 3 and got["order_digest"]


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_annotators_cannot_reorder(trained, who, request, client_for):
    client = client_for(request.getfixturevalue(who))
    assert client.get(api(trained, "/active-learning")).status_code == 404
    assert client.post(api(trained, "/active-learning/reorder")).status_code == 404


def test_model_page_sets_reorders_and_shows_progress(
    trained, owner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    url = f"/projects/{trained.pk}/models/"
    response = client.post(
        url,
        {"action": "active", "strategy": "entropy", "version": trained.version.pk,
         "random_share": "0.2", "seed": "5"},
    )  # fmt: skip
    assert response.status_code == 302
    setting = active_queue.settings_of(trained)
    assert (setting.strategy, setting.random_share, setting.seed) == ("entropy", 0.2, 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "reorder"}).status_code == 302
    run = QueueReorder.objects.get()
    page = client.get(url).content.decode()
    assert f"Queue re-ordering {run.pk}" in page and run.order_digest[:10] in page
    poll = client.get(
        f"{url}reorders/{run.pk}/progress/", {"was": "running"}, headers={"HX-Request": "true"}
    )
    assert poll.status_code == 200 and poll.headers.get("HX-Redirect")
    bad = client.post(url, {"action": "active", "strategy": "margin", "random_share": "x"})
    assert bad.status_code == 302 and active_queue.settings_of(trained).strategy == "entropy"
