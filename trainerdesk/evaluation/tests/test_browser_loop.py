"""The Model page's iteration chart and the run comparison page in a real browser
(headless chromium via Playwright): Chart.js draws one point per iteration, the headline
names the change, and the comparison shows both runs with the regression first."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run(project, owner, name):
    from trainerdesk.evaluation import services

    version = services.version_for(project=project, model_version=name, by=owner)
    run = services.start_evaluation(version=version, scope="all", resamples=200, by=owner)
    return services.run_evaluation(run_id=run.pk)


def test_model_page_chart_and_comparison(browser_page, live_server, labelled, owner):
    from trainerdesk.evaluation.services import iterations

    a, b = _run(labelled, owner, "v1"), _run(labelled, owner, "v2")
    iterations.record_iteration(project=labelled, run=a, name="round 1", by=owner)
    iterations.record_iteration(project=labelled, run=b, name="round 2", by=owner)
    page, errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")

    page.goto(f"{live_server.url}/projects/{labelled.pk}/models/")
    page.wait_for_selector("#iterations-chart[data-rendered='2']")
    assert page.inner_text("#loop-headline-text").startswith("Error rate down")
    assert_no_sideways_scroll(page)

    page.click("text=Compare the iterations' runs")
    page.wait_for_selector("#compare-metrics")
    header = page.inner_text("#compare-metrics thead")
    assert f"Run {a.pk}" in header and f"Run {b.pk}" in header
    # v2 is better: no regression row; the first row is still a metric with both cells.
    first_row = page.locator("#compare-metrics tbody tr").first
    assert first_row.locator("td").count() == 2
    assert "beyond the noise" in page.inner_text("#compare-metrics")
    assert not errors, errors
