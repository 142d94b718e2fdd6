"""The core apps' API writes (accounts, workbench, quality) and the audit actions each
must leave: the registry that trainerdesk/tests/test_audit_api_coverage.py gathers with
every other app's `tests/audit_coverage.py`.

WRITES maps (method, path) to the action(s) it must leave, or to `NotAudited(reason)`;
DRIVERS maps each audited one to a function `driver(client, *, project, request)` that
calls it as the persona logged in on `client` (the project's owner; a driver may log in
someone else, and `request.getfixturevalue` gives any other persona).
"""

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from conftest import TOPIC_SCHEMA as TOPIC
from trainerdesk.lib.audit_coverage import NotAudited

WRITES = {
    ("POST", "/api/v1/tokens"): ("accounts.apitoken.create",),
    ("DELETE", "/api/v1/tokens/{token_id}"): ("accounts.apitoken.revoke",),
    ("POST", "/api/v1/projects"): ("workbench.project.create",),
    # Quality's settings (final label rule, gold pass rule) ride on the project PATCH and
    # are recorded by quality's own service (quality/services/settings.py).
    ("PATCH", "/api/v1/projects/{project_id}"): (
        "workbench.project.update",
        "quality.settings.update",
    ),
    ("PUT", "/api/v1/projects/{project_id}/schema"): ("workbench.project.schema_change",),
    ("PUT", "/api/v1/projects/{project_id}/members"): ("workbench.projectmember.create",),
    ("DELETE", "/api/v1/projects/{project_id}/members/{username}"): (
        "workbench.projectmember.delete",
    ),
    ("POST", "/api/v1/projects/{project_id}/items"): ("workbench.item.bulk_create",),
    ("POST", "/api/v1/projects/{project_id}/items/{item_id}/predictions"): (
        "workbench.prediction.create",
    ),
    ("POST", "/api/v1/projects/{project_id}/imports"): ("workbench.import.create",),
    ("POST", "/api/v1/projects/{project_id}/images"): ("workbench.image.bulk_create",),
    ("POST", "/api/v1/projects/{project_id}/annotations"): NotAudited(
        "the annotation row is itself the record (annotator, answer, time); the submit "
        "path must stay within its latency target"
    ),
    ("POST", "/api/v1/projects/{project_id}/assign"): ("workbench.item.bulk_assign",),
    ("POST", "/api/v1/projects/{project_id}/queue/share"): ("workbench.queue.share",),
    ("PUT", "/api/v1/projects/{project_id}/items/{item_id}/gold"): ("workbench.item.gold_mark",),
    ("POST", "/api/v1/projects/{project_id}/gold/items"): ("workbench.item.gold_mark",),
    ("POST", "/api/v1/projects/{project_id}/items/{item_id}/comments"): NotAudited(
        "a comment keeps its author and time itself; deleting one is audited"
    ),
    ("POST", "/api/v1/projects/{project_id}/comments/{comment_id}/replies"): NotAudited(
        "a reply keeps its author and time itself"
    ),
    ("PATCH", "/api/v1/projects/{project_id}/comments/{comment_id}"): NotAudited(
        "only the author edits their comment, which records when it was edited"
    ),
    ("DELETE", "/api/v1/projects/{project_id}/comments/{comment_id}"): (
        "workbench.comment.delete",
    ),
    ("POST", "/api/v1/inbox/read"): NotAudited("marks one's own notifications read"),
    ("POST", "/api/v1/projects/{project_id}/webhooks"): ("workbench.webhook.create",),
    ("PATCH", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): ("workbench.webhook.update",),
    ("DELETE", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): (
        "workbench.webhook.delete",
    ),
    ("POST", "/api/v1/projects/{project_id}/webhooks/{webhook_id}/test"): (
        "workbench.webhook.test",
    ),
    ("POST", "/api/v1/projects/{project_id}/label-errors/runs"): (
        "quality.label_error_run.create",
    ),
    ("POST", "/api/v1/projects/{project_id}/label-errors/findings/{finding_id}/decision"): (
        "quality.label_error.decide",
    ),
    ("POST", "/api/v1/projects/{project_id}/reviews"): (
        "quality.review.accept",
        "quality.review.reject",
        "quality.review.fix",
        "quality.review.send_back",
    ),
    ("POST", "/api/v1/projects/{project_id}/gold/snapshots"): ("quality.gold_snapshot.create",),
    ("POST", "/api/v1/projects/{project_id}/quality/report"): ("quality.agreement_report.create",),
    ("POST", "/api/v1/projects/{project_id}/annotators/{username}/scorecard"): (
        "quality.scorecard.create",
    ),
}

# -- drivers: call one operation as a persona and return nothing; the test checks the log.


def _create_token(client, **_):
    response = client.post("/api/v1/tokens", {"name": "ci"}, content_type="application/json")
    assert response.status_code == 201


def _revoke_token(client, **_):
    created = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 200


def _patch_quality_settings(client, *, project, **_):
    response = client.patch(
        f"/api/v1/projects/{project.pk}",
        {"final_label_rule": "majority", "gold_min_items": 5},
        content_type="application/json",
    )
    assert response.status_code == 200


def _json(client, method, url, body=None, status=(200, 201, 202, 204)):
    response = getattr(client, method)(url, body or {}, content_type="application/json")
    assert response.status_code in status, (url, response.status_code, response.content[:300])
    return response


def _annotator(project):
    return project.members.get(role="annotator").user


def _answered(client, project):
    """An annotation by the project's annotator (for reviews and scorecards), through the
    API as they would give it: accounts' tests reach the apps above only over HTTP."""
    annotator = _annotator(project)
    client.force_login(annotator)
    item = _json(client, "get", f"/api/v1/projects/{project.pk}/next").json()["item"]
    body = {"item": item["id"], "answer": {"topic": "sport"}}
    annotation = _json(client, "post", f"/api/v1/projects/{project.pk}/annotations", body).json()
    client.force_login(project.created_by)
    return annotation


def _create_project(client, *, project, **_):
    body = {"organization": project.organization_id, "name": "New", "label_schema": TOPIC}
    _json(client, "post", "/api/v1/projects", body)


def _put_schema(client, *, project, **_):
    schema = {"fields": [{**TOPIC["fields"][0], "labels": ["business", "sport", "tech", "other"]}]}
    _json(client, "put", f"/api/v1/projects/{project.pk}/schema", schema)


def _put_member(client, *, project, **_):
    from trainerdesk.accounts.services import add_member, create_user

    newcomer = create_user(username="newcomer", password="x", check_password=False)
    add_member(organization=project.organization, user=newcomer)
    body = {"username": "newcomer", "role": "annotator"}
    _json(client, "put", f"/api/v1/projects/{project.pk}/members", body)


def _delete_member(client, *, project, **_):
    username = _annotator(project).username
    _json(client, "delete", f"/api/v1/projects/{project.pk}/members/{username}")


def _post_items(client, *, project, **_):
    _json(client, "post", f"/api/v1/projects/{project.pk}/items", [{"text": "Fresh."}])


def _post_prediction(client, *, project, **_):
    item = project.items.first()
    url = f"/api/v1/projects/{project.pk}/items/{item.pk}/predictions"
    _json(client, "post", url, {"answer": {"topic": "tech"}, "model_version": "m1"})


def _post_import(client, *, project, **_):
    upload = SimpleUploadedFile("more.jsonl", b'{"text": "Imported."}\n')
    response = client.post(f"/api/v1/projects/{project.pk}/imports", {"file": upload})
    assert response.status_code == 202, response.content


def _post_images(client, *, project, **_):
    import io

    from PIL import Image

    boxes = {"name": "objects", "type": "boxes", "source": "image", "labels": ["cat"]}
    body = {
        "organization": project.organization_id,
        "name": "Pets",
        "label_schema": {"fields": [boxes]},
    }
    pets = _json(client, "post", "/api/v1/projects", body).json()
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, "PNG")
    upload = SimpleUploadedFile("one.png", buf.getvalue())
    response = client.post(f"/api/v1/projects/{pets['id']}/images", {"files": [upload]})
    assert response.status_code == 200, response.content


def _assign(client, *, project, **_):
    body = {"items": [project.items.first().pk], "assignee": _annotator(project).username}
    _json(client, "post", f"/api/v1/projects/{project.pk}/assign", body)


def _queue_share(client, *, project, **_):
    body = {"assignees": [_annotator(project).username], "count": 1}
    _json(client, "post", f"/api/v1/projects/{project.pk}/queue/share", body)


def _put_gold(client, *, project, **_):
    item = project.items.first()
    body = {"is_gold": True, "reference": {"topic": "sport"}}
    _json(client, "put", f"/api/v1/projects/{project.pk}/items/{item.pk}/gold", body)


def _mark_gold(client, *, project, **_):
    item_id = _answered(client, project)["item"]
    body = {"items": [item_id], "gold": True}
    _json(client, "post", f"/api/v1/projects/{project.pk}/gold/items", body)


def _delete_comment(client, *, project, **_):
    item = project.items.first()
    url = f"/api/v1/projects/{project.pk}/items/{item.pk}/comments"
    comment = _json(client, "post", url, {"body": "Typo here."}).json()["comment"]
    _json(client, "delete", f"/api/v1/projects/{project.pk}/comments/{comment['id']}")


def _webhook(client, project):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["item.commented"]}
    return _json(client, "post", f"/api/v1/projects/{project.pk}/webhooks", body).json()


def _create_webhook(client, *, project, **_):
    _webhook(client, project)


def _patch_webhook(client, *, project, **_):
    hook = _webhook(client, project)
    url = f"/api/v1/projects/{project.pk}/webhooks/{hook['id']}"
    _json(client, "patch", url, {"active": False})


def _delete_webhook(client, *, project, **_):
    hook = _webhook(client, project)
    _json(client, "delete", f"/api/v1/projects/{project.pk}/webhooks/{hook['id']}")


def _test_webhook(client, *, project, **_):
    hook = _webhook(client, project)
    # The delivery runs at once (immediate task backend) against a closed port: one try.
    with override_settings(WEBHOOK_MAX_ATTEMPTS=1, WEBHOOK_RETRY_SECONDS=0):
        _json(client, "post", f"/api/v1/projects/{project.pk}/webhooks/{hook['id']}/test")


def _label_error_run(client, *, project, **_):
    _json(client, "post", f"/api/v1/projects/{project.pk}/label-errors/runs", {"folds": 2})


def _label_error_decision(client, *, project, **_):
    # Looked up by name, not imported: accounts sits below quality (import-linter).
    LabelErrorRun = apps.get_model("quality", "LabelErrorRun")
    LabelErrorFinding = apps.get_model("quality", "LabelErrorFinding")
    run = LabelErrorRun.objects.create(
        project=project, field_name="topic", created_by=project.created_by, classes=["sport"]
    )
    finding = LabelErrorFinding.objects.create(
        run=run, item=project.items.first(), given_label="sport", likely_label="tech",
        confidence_given=0.1, quality_score=0.1, rank=1,
    )  # fmt: skip
    url = f"/api/v1/projects/{project.pk}/label-errors/findings/{finding.pk}/decision"
    _json(client, "post", url, {"decision": "not_an_error"})


def _review(client, *, project, **_):
    body = {"annotation": _answered(client, project)["id"], "decision": "accepted"}
    _json(client, "post", f"/api/v1/projects/{project.pk}/reviews", body)


def _gold_snapshot(client, *, project, **_):
    _json(client, "post", f"/api/v1/projects/{project.pk}/gold/snapshots")


def _agreement_report(client, *, project, **_):
    _json(client, "post", f"/api/v1/projects/{project.pk}/quality/report")


def _scorecard(client, *, project, **_):
    username = _answered(client, project)["annotator"]
    _json(client, "post", f"/api/v1/projects/{project.pk}/annotators/{username}/scorecard")


DRIVERS = {
    ("POST", "/api/v1/tokens"): _create_token,
    ("DELETE", "/api/v1/tokens/{token_id}"): _revoke_token,
    ("POST", "/api/v1/projects"): _create_project,
    ("PATCH", "/api/v1/projects/{project_id}"): _patch_quality_settings,
    ("PUT", "/api/v1/projects/{project_id}/schema"): _put_schema,
    ("PUT", "/api/v1/projects/{project_id}/members"): _put_member,
    ("DELETE", "/api/v1/projects/{project_id}/members/{username}"): _delete_member,
    ("POST", "/api/v1/projects/{project_id}/items"): _post_items,
    ("POST", "/api/v1/projects/{project_id}/items/{item_id}/predictions"): _post_prediction,
    ("POST", "/api/v1/projects/{project_id}/imports"): _post_import,
    ("POST", "/api/v1/projects/{project_id}/images"): _post_images,
    ("POST", "/api/v1/projects/{project_id}/assign"): _assign,
    ("POST", "/api/v1/projects/{project_id}/queue/share"): _queue_share,
    ("PUT", "/api/v1/projects/{project_id}/items/{item_id}/gold"): _put_gold,
    ("POST", "/api/v1/projects/{project_id}/gold/items"): _mark_gold,
    ("DELETE", "/api/v1/projects/{project_id}/comments/{comment_id}"): _delete_comment,
    ("POST", "/api/v1/projects/{project_id}/webhooks"): _create_webhook,
    ("PATCH", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): _patch_webhook,
    ("DELETE", "/api/v1/projects/{project_id}/webhooks/{webhook_id}"): _delete_webhook,
    ("POST", "/api/v1/projects/{project_id}/webhooks/{webhook_id}/test"): _test_webhook,
    ("POST", "/api/v1/projects/{project_id}/label-errors/runs"): _label_error_run,
    ("POST", "/api/v1/projects/{project_id}/label-errors/findings/{finding_id}/decision"): (
        _label_error_decision
    ),
    ("POST", "/api/v1/projects/{project_id}/reviews"): _review,
    ("POST", "/api/v1/projects/{project_id}/gold/snapshots"): _gold_snapshot,
    ("POST", "/api/v1/projects/{project_id}/quality/report"): _agreement_report,
    ("POST", "/api/v1/projects/{project_id}/annotators/{username}/scorecard"): _scorecard,
}
