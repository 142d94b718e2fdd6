"""The newcomer's path in a real browser (headless Debian chromium via Playwright):
log in, open the demo project, label three items with the keyboard only, go back and
change one, export, and check the exported file; and every demo project's interface as an
annotator sees it.
"""

import json

import pytest

from trainerdesk.workbench import demo
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
    page.wait_for_load_state("load")  # the page's scripts bind the keys

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


def _wait_for_image(page):
    page.wait_for_function(
        "() => { const i = document.querySelector('img.item-image'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )


def _draw_box(page):
    r = page.locator("img.item-image").bounding_box()
    page.mouse.move(r["x"] + r["width"] * 0.2, r["y"] + r["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(r["x"] + r["width"] * 0.5, r["y"] + r["height"] * 0.6, steps=6)
    page.mouse.up()


# Each demo project's interface: what its annotation page must show, one thing to do with
# it (nothing is submitted) and what that must change. No LLM-comparison project: no
# installable package ships real model responses (see the README's demo section).
INTERFACES = {
    demo.BBC_PROJECT: (
        ["h2.item-title", ".item-text", "input[name=f_topic][value=business]"],
        lambda page: page.keyboard.press("b"),
        "input[name=f_topic][value=business]:checked",
    ),
    demo.MOVIES_PROJECT: (
        [".item-text", "input[name=f_sentiment][value=negative]"],
        lambda page: page.keyboard.press("n"),
        "input[name=f_sentiment][value=negative]:checked",
    ),
    demo.TWEETS_PROJECT: (
        [".span-text .tok.cur", "button[data-span-label=person]"],
        lambda page: (page.keyboard.press("Shift+ArrowRight"), page.keyboard.press("p")),
        ".span-text .tok.in[data-tag=person]",
    ),
    demo.DIGITS_PROJECT: (
        ["img.item-image", "input[name=f_digit][value='7']"],
        lambda page: page.keyboard.press("7"),
        "input[name=f_digit][value='7']:checked",
    ),
    demo.PHOTOS_PROJECT: (
        ["img.item-image", "button[data-box-label=tree]"],
        _draw_box,
        ".box.sel:not(.suggestion)",
    ),
}


def test_an_annotator_sees_every_demo_interface(live_server, browser_page):
    load_demo(limit=3)
    page, errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", demo.ANNOTATORS[0])
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")
    assert set(INTERFACES) == set(Project.objects.values_list("name", flat=True))
    for name, (selectors, act, changed) in INTERFACES.items():
        project = Project.objects.get(name=name)
        page.goto(f"{live_server.url}/projects/{project.pk}/annotate/")
        page.wait_for_selector("#annotate-form")
        for selector in selectors:
            page.wait_for_selector(selector)
        if "img.item-image" in selectors:
            _wait_for_image(page)
        item = project.items.get(pk=page.locator("#workspace").get_attribute("data-item"))
        shown = page.locator("article.item-view").inner_text()
        # The item's data beyond what is labelled (file names, sources) stays hidden.
        for key, value in item.data.items():
            if key not in {"title", "text", "image"} and isinstance(value, str):
                assert value not in shown, f"{name}: {key} shown"
        assert not page.locator("dl.meta").count()
        act(page)
        page.wait_for_selector(changed)
    assert errors == []
