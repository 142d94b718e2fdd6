"""Import through the service layer: batches, failures, duplicates, carried annotations."""

import io

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, ImportJob, Item, Prediction


def _jsonl(rows) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def _start(project, owner, name, content, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile(name, content)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(project=project, upload=upload, by=owner)
    job.refresh_from_db()
    return job


def test_a_failing_batch_leaves_earlier_batches_and_nothing_of_itself(
    project, owner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_BATCH_SIZE = 10
    real_insert = services.imports._bulk_insert_items
    calls = {"n": 0}

    def insert_then_break(params):
        calls["n"] += 1
        inserted = real_insert(params)
        if calls["n"] == 2:
            # The database fails after the second batch's rows went in: the batch's
            # transaction must take them back out.
            raise RuntimeError("disk full")
        return inserted

    monkeypatch.setattr(services.imports, "_bulk_insert_items", insert_then_break)
    before = Item.objects.filter(project=project).count()
    content = _jsonl({"text": f"row {i}"} for i in range(35))
    job = _start(project, owner, "rows.jsonl", content, django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.FAILED
    assert "disk full" in job.message and "rows.jsonl" in job.message
    texts = set(Item.objects.filter(project=project).values_list("data__text", flat=True))
    assert len(texts) == before + 10
    assert {f"row {i}" for i in range(10)} <= texts
    assert not texts & {f"row {i}" for i in range(10, 20)}


def test_broken_file_keeps_the_rows_before_the_break(
    project, owner, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BATCH_SIZE = 2
    tasks = b'[{"data": {"text": "one"}}, {"data": {"text": "two"}}, {"data": {"text": "thr'
    job = _start(project, owner, "tasks.json", tasks, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("tasks.json:")
    assert Item.objects.filter(project=project, data__text__in=["one", "two"]).count() == 2


def test_bad_rows_are_reported_by_line_and_good_rows_kept(
    project, owner, django_capture_on_commit_callbacks
):
    content = b'{"text": "fine"}\n{"text": 5}\nnot json\n{"title": "no text"}\n{"text": "ok"}\n'
    job = _start(project, owner, "mixed.jsonl", content, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE
    assert (job.items_added, job.error_count) == (2, 3)
    by_line = {e["line"]: e["message"] for e in job.errors}
    assert set(by_line) == {2, 3, 4}
    assert "data.text: must be a string" in by_line[2]
    assert "invalid JSON" in by_line[3]
    assert "data.text: required" in by_line[4]


def test_reimporting_the_same_file_adds_nothing(project, owner, django_capture_on_commit_callbacks):
    content = _jsonl([{"text": "alpha"}, {"text": "beta"}, {"text": "alpha"}])
    first = _start(project, owner, "a.jsonl", content, django_capture_on_commit_callbacks)
    second = _start(project, owner, "a.jsonl", content, django_capture_on_commit_callbacks)
    assert (first.items_added, first.duplicates) == (2, 1)
    assert (second.items_added, second.duplicates) == (0, 3)


def test_nul_characters_are_refused_by_name(project):
    result = services.add_items(
        project=project, items=[{"text": "a\u0000b"}], by=project.created_by
    )
    assert result.added == 0
    assert "NUL character" in result.errors[0].message


def _bulk_events(after):
    from trainerdesk.accounts.models import AuditEvent

    return list(
        AuditEvent.objects.filter(pk__gt=after, action="workbench.item.bulk_create").order_by("pk")
    )


def test_added_items_event_digests_the_new_ids_across_projects_and_deletions(project, org, owner):
    # Every row new: the ids are taken as the range AUTOINCREMENT handed out, not read
    # back. Another project's items in between and a deleted last item (an id never
    # given again) must not shift that range.
    from trainerdesk.accounts.models import AuditEvent
    from trainerdesk.lib import audit

    other = services.create_project(
        organization=org, created_by=owner, name="Other", label_schema=project.label_schema
    )
    services.add_items(project=other, items=[{"text": "other one"}], by=owner)
    highest = project.items.order_by("-id").first()
    services.delete_items(project=project, item_ids=[highest.pk], by=owner)
    services.add_items(project=other, items=[{"text": "other two"}], by=owner)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    before = set(Item.objects.values_list("pk", flat=True))

    result = services.add_items(
        project=project, items=[{"text": f"fresh {n}"} for n in range(5)], by=owner
    )
    services.add_items(project=other, items=[{"text": "other three"}], by=owner)

    new = sorted(set(project.items.values_list("pk", flat=True)) - before)
    first, _other = _bulk_events(last)
    assert result.added == 5 and len(new) == 5
    assert min(new) > highest.pk
    assert (first.changes["count"], first.changes["ids_sha256"]) == audit.ids_digest(new)


def test_items_added_through_the_api_are_stored_as_their_canonical_text(project):
    from django.db import connection

    from trainerdesk.lib.jsonutil import dumps

    items = [{"text": "flat é \u2028", "b": [1, {"c": None}]}, {"data": {"text": "wrapped"}}]
    services.add_items(project=project, items=items, by=project.created_by)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM workbench_item WHERE project_id = %s ORDER BY id DESC LIMIT 2",
            [project.pk],
        )
        stored = [row[0] for row in cursor.fetchall()]
    # On SQLite the text is stored as given; PostgreSQL's jsonb keeps the value.
    if connection.vendor == "sqlite":
        assert stored == [dumps({"text": "wrapped"}), dumps(items[0])]
    assert project.items.order_by("-id").first().data == {"text": "wrapped"}


def test_imported_annotations_count_toward_the_overlap_once(project):
    row = {
        "data": {"text": "carried"},
        "annotations": [{"answer": {"topic": "tech"}, "annotator": "ls-user"}],
        "predictions": [{"answer": {"topic": "sport"}, "model_version": "v1", "score": 0.4}],
    }
    for _ in range(2):
        services.import_stream(project=project, fp=io.BytesIO(_jsonl([row])), fmt="jsonl")
    item = Item.objects.get(data__text="carried")
    assert Annotation.objects.filter(item=item).count() == 1
    assert Prediction.objects.filter(item=item).count() == 1
    assert (item.done_count, item.available) == (1, False)


def test_an_invalid_carried_annotation_rejects_its_row(project):
    row = {"data": {"text": "x"}, "annotations": [{"answer": {"topic": "weather"}}]}
    result = services.import_stream(project=project, fp=io.BytesIO(_jsonl([row])), fmt="jsonl")
    assert result.added == 0
    assert result.errors[0].message.startswith("annotations[0].answer.topic")


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("a.jsonl", 0, "a.jsonl is empty"),
        ("a.xlsx", 10, "a.xlsx"),
        ("a.jsonl", 10**12, "over the"),
    ],
)
def test_unusable_uploads_are_refused_naming_the_file(name, size, message):
    with pytest.raises(services.InvalidInput, match=message):
        services.check_upload(name=name, size=size)


def test_export_records_carry_timezone_aware_timestamps(project, teammate):
    item = services.next_item(project=project, user=teammate)
    services.submit_annotation(project=project, item=item, user=teammate, answer={"topic": "tech"})
    record = next(r for r in services.export_records(project=project, only_labeled=True))
    stamp = record["annotations"][0]["created_at"]
    assert stamp.endswith("+00:00"), stamp
    assert record["final"] == {"topic": "tech"}
