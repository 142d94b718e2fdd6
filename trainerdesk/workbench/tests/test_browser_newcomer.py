"""The newcomer's path in a real browser (headless Debian chromium via Playwright):
log in, open the demo project, label three items with the keyboard only, go back and
change one, export, and check the exported file.
"""

import json

import pytest

from trainerdesk.workbench.demo import PASSWORD, load_demo
from trainerdesk.workbench.models import Annotation, Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _label_current(page, key: str) -> int:
    """Press a label's hotkey then Enter; return the id of the item that was answered."""
    item = int(page.locator("#workspace").get_attribute("data-item"))
    page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{item}'])")
    return item


def test_newcomer_labels_three_items_with_the_keyboard_and_exports(
    live_server, browser_page, tmp_path
):
    load_demo(limit=12)
    project = Project.objects.get(name="BBC News topics")
    page, errors = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="BBC News topics").first.click()
    page.get_by_role("link", name="Annotate", exact=True).first.click()
    page.wait_for_selector("#annotate-form")

    # Enter with no label chosen explains itself instead of doing nothing.
    page.keyboard.press("Enter")
    page.wait_for_selector("#workspace .errorlist")
    assert "topic" in page.locator("#workspace .errorlist").inner_text()

    answered = [_label_current(page, key) for key in ("b", "t", "s")]
    assert len(set(answered)) == 3

    # Back goes to the last answered item with its answer shown; change it and submit.
    page.keyboard.press("Backspace")
    page.wait_for_selector(f"#workspace[data-item='{answered[-1]}']")
    assert page.locator("input[value=sports]").is_checked()
    page.keyboard.press("p")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{answered[-1]}'])")
    page.wait_for_selector("#progress .progress-text")
    assert "mine today: 3" in page.locator("#progress").inner_text()

    page.goto(f"{live_server.url}/projects/{project.pk}/export/")
    page.check("input[name=format][value=jsonl]")
    page.check("input[name=only_labeled]")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    path = tmp_path / "export.jsonl"
    download_info.value.save_as(path)
    assert errors == []

    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    mine = {
        r["id"]: a["answer"]["topic"]
        for r in records
        for a in r.get("annotations", [])
        if a["annotator"] == "manager"
    }
    assert mine == dict(zip(answered, ["business", "tech", "politics"], strict=True))
    stored = Annotation.objects.filter(annotator__username="manager").order_by("created_at")
    assert [a.answer["topic"] for a in stored] == ["business", "tech", "politics"]
    assert all(a.lead_time is not None for a in stored)
