"""In a real browser (headless chromium via Playwright): the shared progress card
(workbench/_run_progress.html) follows a run by polling while it is queued or running,
and stops once it is done; the agreement report's card then reloads the page once."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from trainerdesk.quality import services as quality
from trainerdesk.quality.tests.test_agreement_report import _load
from trainerdesk.workbench.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, username):
    from conftest import PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


def test_the_import_card_follows_the_run_and_stops_polling(
    live_server, browser_page, project, owner
):
    page, errors = browser_page
    job = ImportJob.objects.create(
        project=project, created_by=owner, original_name="a.jsonl", format="jsonl"
    )
    polls = []
    page.on("request", lambda r: "?was=" in r.url and polls.append(r.url))
    _log_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/{project.pk}/imports/{job.pk}/")
    card = page.locator("#import-progress")
    expect(card).to_contain_text("waiting for the worker")
    job.start_run()
    job.set_progress(0.5)
    expect(card).to_contain_text("50% of the file read")
    job.items_added = 7
    job.save(update_fields=["items_added"])
    job.finish()
    expect(card).to_contain_text("Import another file")
    expect(card.locator("progress")).to_have_attribute("value", "100")
    assert card.get_attribute("hx-trigger") is None
    seen = len(polls)
    page.wait_for_timeout(2500)  # more than two poll intervals
    assert len(polls) == seen, polls[seen:]
    assert errors == []


def test_the_report_card_polls_until_done_then_shows_the_report(
    live_server, browser_page, project, owner, monkeypatch
):
    from trainerdesk.quality import tasks

    page, errors = browser_page
    _load(project)
    # Queued with no worker to take it (these tests commit, so on_commit runs at once).
    monkeypatch.setattr(
        tasks, "compute_agreement_report_task", SimpleNamespace(enqueue=lambda **kw: None)
    )
    rep = quality.start_agreement_report(project=project, by=owner)
    _log_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/{project.pk}/quality/")
    expect(page.locator("#report-status")).to_contain_text("waiting for the worker")
    assert page.locator("#summary").count() == 0
    quality.compute_agreement_report(report_id=rep.pk)
    # The card sees the report done and has the page reload, with the figures below it.
    expect(page.locator("#summary")).to_contain_text("Agreement per field")
    expect(page.locator("#report-status")).to_contain_text("done")
    assert page.locator("#report-status").get_attribute("hx-trigger") is None
    assert errors == []
