"""BackgroundRun (workbench/runs.py), through ImportJob: start, progress, finish, fail, the
stale window, and the one check that fails stale runs of every model."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from trainerdesk.quality.models import AgreementReport, LabelErrorRun
from trainerdesk.workbench import runs
from trainerdesk.workbench.management.commands.worker import check_stale_runs
from trainerdesk.workbench.models import ImportJob


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


@pytest.fixture
def job(project, owner):
    return ImportJob.objects.create(
        project=project, created_by=owner, original_name="a.jsonl", format="jsonl"
    )


def test_start_progress_finish(job):
    assert (job.status, job.progress, job.percent, job.is_finished) == ("queued", 0.0, 0, False)
    job.start_run("Reading the file")
    job.refresh_from_db()
    assert job.status == "running" and job.message == "Reading the file"
    assert job.started_at is not None and job.heartbeat_at == job.started_at

    beat = job.heartbeat_at
    job.set_progress(0.123456)
    job.refresh_from_db()
    assert job.progress == 0.1235 and job.percent == 12
    assert job.heartbeat_at > beat and job.message == "Reading the file"  # kept: none given

    job.set_progress(7, "almost")  # clamped
    job.refresh_from_db()
    assert (job.progress, job.message) == (1.0, "almost")
    job.set_progress(-1)
    assert job.progress == 0.0

    job.finish("all read")
    job.refresh_from_db()
    assert (job.status, job.progress, job.percent, job.message) == ("done", 1.0, 100, "all read")
    assert job.is_finished and job.finished_at is not None


def test_save_false_writes_nothing_and_names_the_fields(job):
    fields = job.set_progress(0.5, "half", save=False)
    assert sorted(fields) == ["heartbeat_at", "message", "progress"]
    job.refresh_from_db()
    assert (job.progress, job.message, job.heartbeat_at) == (0.0, "", None)
    assert job.set_progress(0.5, save=False) == ["progress", "heartbeat_at"]


def test_fail_keeps_the_progress_and_says_why(job):
    job.start_run()
    job.set_progress(0.4)
    job.fail("a.jsonl: line 3: not JSON")
    job.refresh_from_db()
    assert job.status == "failed" and job.message == "a.jsonl: line 3: not JSON"
    assert job.progress == 0.4 and job.percent == 40 and job.is_finished
    assert job.finished_at is not None


def test_stale_is_a_running_run_not_heard_from_within_the_window(project, owner, settings):
    settings.STALE_RUN_SECONDS = 600

    def make(**fields):
        return ImportJob.objects.create(
            project=project, created_by=owner, original_name="x", format="jsonl", **fields
        )

    old = make(status="running", started_at=_ago(hours=1), heartbeat_at=_ago(minutes=11))
    never_beat = make(status="running", started_at=_ago(minutes=11))
    fresh = make(status="running", started_at=_ago(hours=1), heartbeat_at=_ago(minutes=9))
    queued = make(created_at=_ago(days=1))
    done = make(status="done", started_at=_ago(days=1), heartbeat_at=_ago(days=1))

    assert set(ImportJob.objects.stale()) == {old, never_beat}
    assert [j.is_stale() for j in (old, never_beat, fresh, queued, done)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    # `now` moves the window: ten minutes on, the fresh one is stale too.
    later = timezone.now() + timedelta(minutes=10)
    assert fresh.is_stale(later) and fresh in ImportJob.objects.stale(now=later)


def test_a_model_may_set_its_own_window(job, monkeypatch, settings):
    settings.STALE_RUN_SECONDS = 600
    job.start_run()
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=_ago(minutes=30))
    job.refresh_from_db()
    assert job.is_stale()
    monkeypatch.setattr(ImportJob, "STALE_SECONDS", 3600)
    assert ImportJob.stale_window() == timedelta(hours=1)
    assert not job.is_stale() and not ImportJob.objects.stale().exists()


def test_every_run_model_is_a_background_run():
    # The apps above quality add theirs (trainerdesk/tests/test_background_run_models.py
    # pins the whole set; quality's tests may not import those apps).
    assert {ImportJob, AgreementReport, LabelErrorRun} <= set(runs.run_models())


def test_one_check_fails_stale_runs_of_every_model(project, owner, settings):
    settings.STALE_RUN_SECONDS = 600
    dead = {"started_at": _ago(hours=1), "heartbeat_at": _ago(hours=1), "status": "running"}
    alive = {"started_at": _ago(hours=1), "heartbeat_at": _ago(minutes=1), "status": "running"}
    imp = ImportJob.objects.create(project=project, original_name="i", format="jsonl", **dead)
    rep = AgreementReport.objects.create(project=project, **dead)
    run = LabelErrorRun.objects.create(project=project, field_name="topic", **dead)
    live = AgreementReport.objects.create(project=project, **alive)

    check_stale_runs()  # what the worker runs at start and every half window

    for obj in (imp, rep, run, live):
        obj.refresh_from_db()
    assert (imp.status, rep.status, run.status, live.status) == (
        "failed",
        "failed",
        "failed",
        "running",
    )
    assert "the import stopped without finishing" in imp.message
    assert rep.message.startswith("The computation stopped without finishing")
    assert "compute the report again" in rep.message
    assert "no findings were kept: start a new run" in run.message
    assert runs.fail_stale_runs() == []


def test_the_import_card_stops_polling_once_finished(client_for, owner, job, project):
    url = reverse("workbench:import_job", args=[project.pk, job.pk])
    client = client_for(owner)
    queued = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{url}?was=queued"' in queued and 'hx-trigger="every 1s"' in queued
    assert "waiting for the worker" in queued and "rows read" in queued  # the details
    job.start_run()
    job.set_progress(0.5)
    running = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f"{url}?was=running" in running and "50% of the file read" in running
    job.fail("a.jsonl: line 1: not JSON")
    failed = client.get(url + "?was=running", headers={"HX-Request": "true"})
    text = failed.content.decode()
    assert "hx-trigger" not in text and "HX-Redirect" not in failed  # all shown in the card
    assert 'role="alert">a.jsonl: line 1: not JSON' in text and "Import another file" in text
