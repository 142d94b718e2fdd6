"""In a real browser (headless chromium via Playwright): the progress page draws its
chart with the vendored Chart.js and shows the numbers; the data manager assigns items to
a person, whose queue then starts with them."""

import pytest
from playwright.sync_api import expect

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, username):
    from conftest import PASSWORD

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


def test_progress_page_draws_the_chart(live_server, browser_page, project, owner, teammate):
    page, errors = browser_page
    first, second = list(project.items.order_by("id"))[:2]
    for item, seconds in ((first, 12), (second, 20)):
        services.submit_annotation(
            project=project, item=item, user=teammate, answer={"topic": "tech"}, lead_time=seconds
        )
    _log_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/{project.pk}/progress/")
    # progress.js marks the canvas once Chart.js has drawn the 30 days.
    page.wait_for_selector("#throughput-chart[data-rendered='30']")
    box = page.locator("#throughput-chart").bounding_box()
    assert box["width"] > 100 and box["height"] > 100
    # Something was painted: the canvas is not blank.
    painted = page.evaluate(
        "() => { const c = document.getElementById('throughput-chart');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; } return false; }"
    )
    assert painted
    assert page.locator("#items-done").inner_text() == "2"
    assert page.locator("#items-total").inner_text() == "3"
    cells = page.locator("tr[data-annotator='teammate'] td").all_inner_texts()
    assert cells[:4] == ["teammate", "2", "0", "16.0 s"]
    assert errors == []


def test_assign_in_the_data_manager_then_the_assignee_gets_it_first(
    live_server, browser_page, project, owner, teammate
):
    page, errors = browser_page
    last = project.items.order_by("-id").first()
    _log_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/projects/{project.pk}/items/")
    page.check(f"input[name=item][value='{last.pk}']")
    page.select_option("select[name=action]", "assign")
    page.select_option("#dm-actions select[name=assignee]", "teammate")
    page.click("text=Apply to selection")
    page.wait_for_selector("text=1 item(s) assigned to teammate.")
    assert Item.objects.get(pk=last.pk).assignee_id == teammate.pk
    # The assignee column shows it, and the assignee filter finds it.
    page.select_option("select[name=assignee] >> nth=0", "teammate")
    expect(page.locator("input[name=item]")).to_have_count(1)
    assert page.locator("td.dm-assignee").all_inner_texts() == ["teammate"]

    _log_in(page, live_server, "teammate")
    page.goto(f"{live_server.url}/projects/{project.pk}/annotate/")
    page.wait_for_selector("text=A new chip.")
    assert errors == []
