"""Agreement reports and label-error runs whose worker died are failed like imports, when
the worker checks and when a page or the API shows them; their progress cards are the
shared one (workbench/_run_progress.html)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from trainerdesk.quality import services as quality
from trainerdesk.quality.models import AgreementReport, LabelErrorRun
from trainerdesk.workbench import runs


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


@pytest.fixture(autouse=True)
def _window(settings):
    settings.STALE_RUN_SECONDS = 600


def _report(project, owner, *, beat):
    return AgreementReport.objects.create(
        project=project,
        created_by=owner,
        status="running",
        progress=0.3,
        message="Read 3,000 annotations",
        started_at=_ago(hours=1),
        heartbeat_at=beat,
    )


def _label_run(project, owner, *, beat):
    return LabelErrorRun.objects.create(
        project=project,
        created_by=owner,
        field_name="topic",
        status="running",
        started_at=_ago(hours=1),
        heartbeat_at=beat,
    )


def test_a_running_report_whose_heartbeat_is_old_is_failed_with_a_message(project, owner):
    dead = _report(project, owner, beat=_ago(minutes=11))
    fresh = _report(project, owner, beat=_ago(minutes=9))
    assert runs.fail_stale_runs(project=project) == [dead]
    dead.refresh_from_db()
    fresh.refresh_from_db()
    assert dead.status == "failed" and dead.finished_at is not None
    last = timezone.localtime(dead.heartbeat_at)
    assert dead.message == (
        "The computation stopped without finishing (its worker was last heard from at "
        f"{last:%Y-%m-%d %H:%M:%S}); compute the report again"
    )
    assert dead.progress == 0.3  # as far as it got
    assert fresh.status == "running" and fresh.message == "Read 3,000 annotations"


def test_a_running_label_error_run_whose_heartbeat_is_old_is_failed(project, owner):
    dead = _label_run(project, owner, beat=_ago(hours=1))
    fresh = _label_run(project, owner, beat=_ago(minutes=1))
    assert runs.fail_stale_runs() == [dead]
    dead.refresh_from_db()
    fresh.refresh_from_db()
    assert dead.status == "failed" and "no findings were kept: start a new run" in dead.message
    assert fresh.status == "running"


def test_the_quality_page_shows_a_dead_report_failed_and_lets_a_new_one_start(
    project, owner, client_for, django_capture_on_commit_callbacks
):
    dead = _report(project, owner, beat=_ago(hours=1))
    client = client_for(owner)
    url = f"/projects/{project.pk}/quality/"
    card = client.get(url + "?was=running", headers={"HX-Request": "true"})
    text = card.content.decode()
    assert 'id="report-status"' in text and "<html" not in text
    assert "hx-trigger" not in text and "compute the report again" in text
    assert card["HX-Redirect"] == url  # the page reloads once, to show what is there
    dead.refresh_from_db()
    assert dead.status == "failed"
    # Before, a dead report blocked new ones for two hours ("already being computed").
    with django_capture_on_commit_callbacks(execute=False):
        quality.start_agreement_report(project=project, by=owner)
    assert AgreementReport.objects.filter(project=project, status="queued").count() == 1


def test_the_label_error_pages_fail_a_dead_run(project, owner, client_for):
    dead = _label_run(project, owner, beat=_ago(hours=1))
    client = client_for(owner)
    poll = f"/projects/{project.pk}/label-errors/runs/{dead.pk}/"
    card = client.get(poll + "?was=running", headers={"HX-Request": "true"}).content.decode()
    assert 'id="run-status"' in card and "hx-trigger" not in card
    assert "no findings were kept" in card
    other = _label_run(project, owner, beat=_ago(hours=1))
    page = client.get(f"/projects/{project.pk}/label-errors/?run={other.pk}").content.decode()
    assert "no findings were kept" in page
    other.refresh_from_db()
    assert other.status == "failed"


def test_the_api_fails_dead_reports_and_runs(project, owner, client_for):
    rep = _report(project, owner, beat=_ago(hours=1))
    run = _label_run(project, owner, beat=_ago(hours=1))
    client = client_for(owner)
    got = client.get(f"/api/v1/projects/{project.pk}/quality/reports/{rep.pk}").json()
    assert got["status"] == "failed" and "compute the report again" in got["message"]
    got = client.get(f"/api/v1/projects/{project.pk}/label-errors/runs/{run.pk}").json()
    assert got["status"] == "failed"


def test_the_cards_poll_while_queued_or_running(project, owner, client_for):
    client = client_for(owner)
    rep = AgreementReport.objects.create(project=project, created_by=owner)
    url = f"/projects/{project.pk}/quality/"
    queued = client.get(url + "?was=queued", headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{url}?was=queued" hx-trigger="every 1s"' in queued
    assert "waiting for the worker" in queued
    rep.start_run("Reading annotations")
    rep.set_progress(0.4, "Read 400 annotations")
    running = client.get(url + "?was=queued", headers={"HX-Request": "true"})
    assert "HX-Redirect" not in running
    text = running.content.decode()
    assert f"{url}?was=running" in text and 'value="40"' in text
    assert "Read 400 annotations; this page updates by itself" in text

    run = LabelErrorRun.objects.create(project=project, created_by=owner, field_name="topic")
    poll = f"/projects/{project.pk}/label-errors/runs/{run.pk}/"
    card = client.get(poll + "?was=queued", headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{poll}?was=queued" hx-trigger="every 1s"' in card
    assert f"Run {run.pk} on topic" in card
