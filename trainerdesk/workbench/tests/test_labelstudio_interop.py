"""The opt-in round trip against a real Label Studio (`make interop`, see README).

Imports the Label Studio fixtures into TrainerDesk, exports them in our Label Studio format
(with annotations, and final answers only), imports those files into a running Label Studio
through its API and compares the counts. Skipped, saying why, when no Label Studio is
reachable (LABEL_STUDIO_URL, default http://127.0.0.1:8091) or LABEL_STUDIO_TOKEN is unset,
as in CI.
"""

import io
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from trainerdesk.workbench import labelstudio, services
from trainerdesk.workbench.models import Annotation, Item
from trainerdesk.workbench.tests.test_labelstudio import FIXTURES, SCHEMAS, _import

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "labelstudio"))
import lsclient  # noqa: E402

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def ls():
    client = lsclient.Client()
    if not client.token:
        pytest.skip("interop: LABEL_STUDIO_TOKEN is unset, so no Label Studio to check against")
    if not client.reachable():
        pytest.skip(f"interop: no Label Studio reachable at {client.url}")
    return client


def _answers(project):
    return Counter(
        orjson.dumps(a.answer, option=orjson.OPT_SORT_KEYS)
        for a in Annotation.objects.filter(project=project)
    )


def _export(project, *, include_annotations):
    stream = services.export_stream(
        project=project,
        fmt="labelstudio",
        only_labeled=False,
        include_annotations=include_annotations,
        by=project.created_by,
    )
    return b"".join(stream)


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_our_label_studio_export_imports_into_label_studio(ls, kind, org, owner, teammate):
    project = services.create_project(
        organization=org,
        created_by=owner,
        name=f"interop {kind}",
        label_schema={"fields": SCHEMAS[kind]},
        overlap=2,
    )
    _import(project, f"{kind}.snapshot.json")
    # One answer by a TrainerDesk user (who has an email), beside the imported ones.
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    if item := services.next_item(project=project, user=teammate):
        existing = Annotation.objects.filter(item=item).first()
        answer = existing.answer if existing else None
        if answer:
            services.submit_annotation(project=project, item=item, answer=answer, user=teammate)
    items = Item.objects.filter(project=project).count()
    annotations = Annotation.objects.filter(project=project).count()
    config = (FIXTURES / f"{kind}.xml").read_text()

    full = _export(project, include_annotations=True)
    # Label Studio matches completed_by emails to members and does not create users, so
    # the annotators are made members first (as a team moving its work back would).
    emails = {a["completed_by"]["email"] for t in orjson.loads(full) for a in t["annotations"]}
    members = {email: ls.user(email) for email in emails}
    target = ls.project(f"interop {kind} with annotations", config)
    report = ls.import_file(target, f"{kind}.json", full)
    tasks = ls.tasks(target)
    assert (len(tasks), sum(len(t["annotations"]) for t in tasks)) == (items, annotations)
    assert report["annotation_count"] == annotations
    authors = {a["completed_by"] for t in tasks for a in t["annotations"]}
    assert authors == set(members.values())
    # And back: Label Studio's own export of what it imported gives the same answers.
    back = services.create_project(
        organization=org,
        created_by=owner,
        name=f"interop {kind} back",
        label_schema={"fields": SCHEMAS[kind]},
        overlap=2,
    )
    returned = ls.export(target, "JSON")
    result = services.import_stream(project=back, fp=io.BytesIO(returned), fmt="labelstudio")
    assert result.errors == [] and (result.added, result.annotations) == (items, annotations)
    assert _answers(back) == _answers(project)

    finals = _export(project, include_annotations=False)
    before = {u["id"] for u in ls.request("GET", "/api/users/")}
    target = ls.project(f"interop {kind} final answers", config)
    ls.import_file(target, f"{kind}-final.json", finals)
    tasks = ls.tasks(target)
    expected_predictions = sum(len(t["predictions"]) for t in orjson.loads(finals))
    assert len(tasks) == items
    assert sum(len(t["annotations"]) for t in tasks) == 0
    got = [p for t in tasks for p in t.get("predictions") or []]
    assert len(got) == expected_predictions
    assert {u["id"] for u in ls.request("GET", "/api/users/")} == before  # nobody "final"
    print(
        f"interop {kind}: Label Studio holds {items} tasks, {annotations} annotations by "
        f"{len(members)} annotators; final-only export: {len(got)} predictions "
        f"({labelstudio.FINAL_MODEL_VERSION} and imported), 0 annotations"
    )
