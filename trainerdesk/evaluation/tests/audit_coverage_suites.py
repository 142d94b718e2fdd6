"""The suites API's writes (api_suites.py) and the audit action each must leave, with a
driver calling it over HTTP as the project's manager; evaluation's audit_coverage.py
merges them into its registry."""

from __future__ import annotations

BASE = "/api/v1/projects/{project_id}/evaluation/suites"
ONE = BASE + "/{suite_id}"

WRITES = {
    ("POST", BASE): ("evaluation.suite.create",),
    ("POST", f"{BASE}/import"): ("evaluation.suite.import",),
    ("PATCH", ONE): ("evaluation.suite.update",),
    ("DELETE", ONE): ("evaluation.suite.delete",),
    ("POST", f"{ONE}/tests"): ("evaluation.suite_test.create",),
    ("PATCH", f"{ONE}/tests/{{test_id}}"): ("evaluation.suite_test.update",),
    ("DELETE", f"{ONE}/tests/{{test_id}}"): ("evaluation.suite_test.delete",),
    ("POST", f"{ONE}/generate"): ("evaluation.suite_cases.generate",),
    ("POST", f"{ONE}/cases/from-items"): ("evaluation.suite_cases.add_items",),
    ("POST", f"{ONE}/confirm"): ("evaluation.suite_cases.send",),
    ("POST", f"{ONE}/confirm/sync"): ("evaluation.suite_cases.confirm",),
    ("POST", f"{ONE}/runs"): ("evaluation.suite_run.create",),
    ("POST", f"{ONE}/predictions"): ("evaluation.suite_run.create",),
}

MFT = {"templates": ["The {first_name} report on {place}."], "expected": "tech"}


def _call(client, method, url, body=None):
    response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code in (200, 201, 202, 204), (url, response.status_code,
                                                          response.content)  # fmt: skip
    return response.json() if response.content else None


def _suite(client, project, **more):
    body = {"name": more.pop("name", "s"), **more}
    return _call(client, "post", BASE.format(project_id=project.pk), body)


def _one(project, suite, rest=""):
    return ONE.format(project_id=project.pk, suite_id=suite["id"]) + rest


def _with_test(client, project):
    suite = _suite(client, project)
    test = _call(client, "post", _one(project, suite, "/tests"),
                 {"name": "t", "kind": "mft", "spec": MFT})  # fmt: skip
    return suite, test


def _create(client, *, project, request):
    _suite(client, project)


def _import(client, *, project, request):
    doc = {"name": "imp", "tests": [{"name": "t", "type": "mft", **MFT}]}
    _call(client, "post", f"{BASE.format(project_id=project.pk)}/import", {"suite": doc})


def _patch(client, *, project, request):
    _call(client, "patch", _one(project, _suite(client, project)), {"description": "d"})


def _delete(client, *, project, request):
    _call(client, "delete", _one(project, _suite(client, project)))


def _add_test(client, *, project, request):
    _with_test(client, project)


def _patch_test(client, *, project, request):
    suite, test = _with_test(client, project)
    _call(client, "patch", _one(project, suite, f"/tests/{test['id']}"), {"name": "u"})


def _delete_test(client, *, project, request):
    suite, test = _with_test(client, project)
    _call(client, "delete", _one(project, suite, f"/tests/{test['id']}"))


def _generate(client, *, project, request):
    suite, _test = _with_test(client, project)
    _call(client, "post", _one(project, suite, "/generate"))


def _from_items(client, *, project, request):
    from trainerdesk.workbench.services import submit_annotation

    item = project.items.order_by("pk").first()
    submit_annotation(project=project, item=item, user=request.getfixturevalue("owner"),
                      answer={"topic": "business"})  # fmt: skip
    suite = _suite(client, project)
    _call(client, "post", _one(project, suite, "/cases/from-items"), {"items": [item.pk]})


def _send(client, *, project, request):
    suite, _test = _with_test(client, project)
    _call(client, "post", _one(project, suite, "/generate"))
    _call(client, "post", _one(project, suite, "/confirm"), {})
    return suite


def _sync(client, *, project, request):
    from trainerdesk.workbench.services import submit_annotation

    suite = _send(client, project=project, request=request)
    item = project.items.filter(data__has_key="checklist_case").order_by("pk").first()
    submit_annotation(project=project, item=item, user=request.getfixturevalue("owner"),
                      answer={"topic": "tech"})  # fmt: skip
    _call(client, "post", _one(project, suite, "/confirm/sync"))


def _run(client, *, project, request):
    from trainerdesk.evaluation import services
    from trainerdesk.evaluation.tests.conftest import add_labelled

    owner = request.getfixturevalue("owner")
    add_labelled(project, owner, 8)
    services.create_split(project=project, fraction=0.25, by=owner)
    training = services.run_training(
        run_id=services.train_baseline(project=project, name="b", by=owner).pk
    )
    suite, _test = _with_test(client, project)
    _call(client, "post", _one(project, suite, "/generate"))
    _call(client, "post", _one(project, suite, "/runs"), {"version": training.version_id})


def _predictions(client, *, project, request):
    import json

    from trainerdesk.evaluation.services import create_model_version

    version = create_model_version(project=project, model_name="x", name="x-1",
                                   by=request.getfixturevalue("owner"))  # fmt: skip
    suite, _test = _with_test(client, project)
    _call(client, "post", _one(project, suite, "/generate"))
    lines = client.get(_one(project, suite, "/cases.jsonl"))
    rows = [json.loads(x) for x in b"".join(lines.streaming_content).splitlines()]
    jsonl = "\n".join(json.dumps({"id": r["id"], "label": "tech"}) for r in rows)
    body = {"version": version.pk, "predictions": jsonl}
    _call(client, "post", _one(project, suite, "/predictions"), body)


DRIVERS = {
    ("POST", BASE): _create,
    ("POST", f"{BASE}/import"): _import,
    ("PATCH", ONE): _patch,
    ("DELETE", ONE): _delete,
    ("POST", f"{ONE}/tests"): _add_test,
    ("PATCH", f"{ONE}/tests/{{test_id}}"): _patch_test,
    ("DELETE", f"{ONE}/tests/{{test_id}}"): _delete_test,
    ("POST", f"{ONE}/generate"): _generate,
    ("POST", f"{ONE}/cases/from-items"): _from_items,
    ("POST", f"{ONE}/confirm"): _send,
    ("POST", f"{ONE}/confirm/sync"): _sync,
    ("POST", f"{ONE}/runs"): _run,
    ("POST", f"{ONE}/predictions"): _predictions,
}
