"""The import job's life: heartbeat, imports whose worker died, files that end early."""

from datetime import timedelta

import orjson
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import TOPIC_SCHEMA
from trainerdesk.accounts.models import AuditEvent
from trainerdesk.workbench import runs, services
from trainerdesk.workbench.models import ImportJob, Item, Webhook, WebhookDelivery


def _job(project, owner, **fields):
    fields = {"status": ImportJob.Status.RUNNING, **fields}
    return ImportJob.objects.create(
        project=project, created_by=owner, original_name="big.jsonl", format="jsonl", **fields
    )


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def test_an_import_whose_worker_died_is_failed_with_its_counts(project, owner, settings):
    settings.STALE_RUN_SECONDS = 600
    dead = _job(
        project,
        owner,
        started_at=_ago(hours=1),
        heartbeat_at=_ago(minutes=11),
        rows_read=40_000,
        items_added=39_990,
        duplicates=10,
    )
    never_beat = _job(project, owner, started_at=_ago(minutes=20))
    alive = _job(project, owner, started_at=_ago(hours=1), heartbeat_at=_ago(minutes=9))
    queued = _job(project, owner, status=ImportJob.Status.QUEUED, started_at=None)

    failed = runs.fail_stale_runs()

    assert sorted(j.pk for j in failed) == sorted([dead.pk, never_beat.pk])
    dead.refresh_from_db()
    assert dead.status == ImportJob.Status.FAILED and dead.finished_at is not None
    assert "the import stopped without finishing" in dead.message
    assert "39,990 items added and 10 duplicates skipped from the first 40,000 rows" in (
        dead.message
    )
    assert "import the file again — rows already imported are skipped" in dead.message
    for job, status in ((alive, "running"), (queued, "queued")):
        job.refresh_from_db()
        assert job.status == status
    # A second check finds nothing more to do.
    assert runs.fail_stale_runs() == []


def test_a_stale_import_announces_its_end_like_any_other(project, owner, settings):
    Webhook.objects.create(
        project=project, url="https://hooks.example.org/x", events=[Webhook.Event.IMPORT_FINISHED]
    )
    _job(project, owner, started_at=_ago(hours=1), heartbeat_at=_ago(hours=1))
    runs.fail_stale_runs(project=project)
    payload = WebhookDelivery.objects.get().payload
    assert payload["data"]["status"] == "failed"
    # ... and in the audit log, as the check's finding (it runs in whoever's request).
    event = AuditEvent.objects.get(action="workbench.import.finish")
    assert (event.actor_id, event.actor_system) == (None, "check:stale_runs")
    assert event.changes["status"] == "failed" and event.changes["stale"] is True


def test_viewing_the_import_shows_a_dead_import_as_failed(project, owner, client_for):
    job = _job(project, owner, started_at=_ago(hours=2), heartbeat_at=_ago(hours=2))
    client = client_for(owner)
    page = client.get(f"/projects/{project.pk}/imports/{job.pk}/")
    assert page.status_code == 200
    assert "the import stopped without finishing" in page.content.decode()
    api = client.get(f"/api/v1/projects/{project.pk}/imports/{job.pk}")
    assert api.json()["status"] == "failed"


def test_the_api_list_fails_stale_imports_of_that_project_only(project, org, owner, client_for):
    other = services.create_project(
        organization=org, created_by=owner, name="Other", label_schema=TOPIC_SCHEMA
    )
    mine = _job(project, owner, started_at=_ago(hours=2))
    theirs = _job(other, owner, started_at=_ago(hours=2))
    listed = client_for(owner).get(f"/api/v1/projects/{project.pk}/imports").json()
    assert [j["status"] for j in listed if j["id"] == mine.pk] == ["failed"]
    theirs.refresh_from_db()
    assert theirs.status == ImportJob.Status.RUNNING


def test_the_worker_beats_at_every_batch(
    project, owner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_BATCH_SIZE = 2
    beats = []
    real_save = ImportJob.save

    def save(self, *args, **kwargs):
        if "heartbeat_at" in (kwargs.get("update_fields") or ()):
            beats.append(self.heartbeat_at)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ImportJob, "save", save)
    # Bad rows too: a long run of them must still beat.
    content = b"1\n" * 5 + b"".join(orjson.dumps({"text": f"r{i}"}) + b"\n" for i in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(
            project=project, upload=SimpleUploadedFile("r.jsonl", content), by=owner
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.heartbeat_at is not None
    # start, after rows 2, 4, 6, 8, and the final flush
    assert len(beats) == 6 and beats == sorted(beats)


def test_a_file_cut_short_says_how_much_was_imported(
    project, owner, django_capture_on_commit_callbacks
):
    # Default batch size: the rows before the break are in the unfinished batch and must
    # still be kept.
    tasks = [{"data": {"text": f"task {i}"}} for i in range(40)]
    raw = orjson.dumps(tasks, option=orjson.OPT_INDENT_2)
    cut = raw[: raw.index(b"task 39") + 3]
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(
            project=project, upload=SimpleUploadedFile("tasks.json", cut), by=owner
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    line = cut.count(b"\n") + 1
    assert job.message == (
        f"tasks.json: 39 rows imported, then the file ended at line {line}, inside a string "
        "(task 40); import the rest again — duplicates are skipped"
    )
    assert Item.objects.filter(project=project, data__text__startswith="task ").count() == 39


def test_a_worker_stopped_at_once_records_the_import_as_failed(
    project, owner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # db_worker answers a second SIGTERM/Ctrl-C with sys.exit inside the running task.
    settings.IMPORT_BATCH_SIZE = 2
    real_batch = services.import_batch
    calls = {"n": 0}

    def batch_then_exit(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit(1)
        return real_batch(**kwargs)

    monkeypatch.setattr(services.imports, "import_batch", batch_then_exit)
    content = b"".join(orjson.dumps({"text": f"s{i}"}) + b"\n" for i in range(5))
    # (The inline task backend records the SystemExit as the task's failure.)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(
            project=project, upload=SimpleUploadedFile("s.jsonl", content), by=owner
        )
    job = ImportJob.objects.get(original_name="s.jsonl")
    assert job.status == ImportJob.Status.FAILED
    assert job.message == (
        "s.jsonl: the worker was stopped during the import, after 2 rows were imported; "
        "import the file again — rows already imported are skipped"
    )


def test_a_whole_file_keeps_its_first_errors_by_line_and_counts_them_all():
    # Parse errors come as lines are read, schema errors when their batch is stored.
    total = services.BatchResult(keep=3)
    for line in (5, 9, 7):
        total.add_error(services.formats.RowError(line, "parse"))
    batch = services.BatchResult()
    for line in (1, 8, 2, 6):
        batch.add_error(services.formats.RowError(line, "schema"))
    total.merge(batch)
    assert [e.line for e in total.errors] == [1, 2, 5]
    assert total.error_count == 7
