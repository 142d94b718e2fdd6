"""Layout a newcomer sees, in a real browser at desktop (1300 px) and phone (390 px) width:
no page scrolls sideways, the top navigation stays inside its bar, the project bar marks
the current page, a small image fits its frame with a zoom label that tells the truth, the
annotation page is usable on a phone, the project page's guidelines are a preview with
"Show all", and the settings page's label form round-trips through the schema JSON."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import PASSWORD
from trainerdesk.lib.browser_fixtures import assert_no_sideways_scroll
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1300, 390]
LONG_TEXT = "\n\n".join(
    "The minister said the broadband plan would reach every village by 2007, and the "
    "opposition called the budget for it a fantasy; shares in the operators fell. " * 3
    for _ in range(6)
)
GUIDELINES = "# Topics\n\n" + "\n".join(
    f"{i}. Rule {i}: read the headline first.\n"
    + "".join(f"   - Example {j} for rule {i}.\n" for j in range(3))
    for i in range(1, 10)
)


def _digits(org, owner, teammate) -> Project:
    schema = {
        "fields": [{"name": "digit", "type": "choice", "source": "image", "source_kind": "image",
                    "labels": [{"value": str(d), "hotkey": str(d)}
                               for d in range(10)]}]
    }  # fmt: skip
    project = services.create_project(
        organization=org, created_by=owner, name="Digits", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    buf = io.BytesIO()
    Image.new("L", (64, 64), 200).save(buf, "PNG")
    result = services.add_images(
        project=project, files=[SimpleUploadedFile("d.png", buf.getvalue())], by=owner
    )
    assert result.added == 1, result.errors
    return project


def _log_in(page, live_server, username: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out")


_no_sideways_scroll = assert_no_sideways_scroll


def _nav_inside_its_bar(page) -> None:
    outside = page.evaluate(
        """() => { const bar = document.querySelector('.topbar').getBoundingClientRect();
        return [...document.querySelectorAll('.topbar nav > *')].filter((el) => {
          const r = el.getBoundingClientRect();
          return r.top < bar.top || r.bottom > bar.bottom || r.left < bar.left
            || r.right > Math.min(bar.right, innerWidth);
        }).map((el) => el.textContent.trim()); }"""
    )
    assert outside == [], f"{page.url}: outside the top bar: {outside}"


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_screen_and_mark_the_current_page(live_server, browser_page, org, owner,
                                                         teammate, project, width):  # fmt: skip
    services.add_items(project=project, items=[{"text": LONG_TEXT}], by=project.created_by)
    digits = _digits(org, owner, teammate)
    page, errors = browser_page
    _log_in(page, live_server, "owner", width)
    pages = [
        ("/", None),
        (f"/projects/{project.pk}/", None),
        (f"/projects/{project.pk}/items/", "Items"),
        (f"/projects/{digits.pk}/items/", "Items"),
        (f"/projects/{project.pk}/settings/", "Settings"),
        (f"/projects/{project.pk}/members/", "Members"),
        (f"/projects/{project.pk}/review/", "Review"),
        (f"/projects/{project.pk}/annotate/", None),
        (f"/projects/{digits.pk}/annotate/", None),
    ]
    for path, current in pages:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        _no_sideways_scroll(page)
        _nav_inside_its_bar(page)
        if current:
            marked = page.locator(".project-nav [aria-current=page]")
            assert marked.count() == 1 and marked.inner_text() == current, path
    # Forms: a checkbox sits on its label's line, before it; fieldsets have no grey frame.
    page.goto(f"{live_server.url}/projects/{project.pk}/settings/")
    box = page.locator("#id_annotators_see_comments").bounding_box()
    label = page.locator("label[for=id_annotators_see_comments]").bounding_box()
    assert box["x"] + box["width"] <= label["x"] + 1
    assert label["y"] <= box["y"] + box["height"] / 2 <= label["y"] + label["height"]
    page.goto(f"{live_server.url}/projects/{project.pk}/export/")
    styles = page.evaluate(
        "[...document.querySelectorAll('main fieldset')]"
        ".map((f) => getComputedStyle(f).borderTopStyle)"
    )
    assert styles and set(styles) == {"none"}, styles
    # The members table does not touch the card after it.
    page.goto(f"{live_server.url}/projects/{project.pk}/members/")
    table = page.locator("table.members").bounding_box()
    card = page.locator("main form.card").bounding_box()
    assert card["y"] - (table["y"] + table["height"]) >= 8
    # The review page is laid out like the other project pages, not wider.
    widths = []
    for path in ("review", "settings"):
        page.goto(f"{live_server.url}/projects/{project.pk}/{path}/")
        widths.append(page.locator("main").bounding_box()["width"])
    assert widths[0] == widths[1]
    # The image project's items show thumbnails, not the item's JSON.
    page.goto(f"{live_server.url}/projects/{digits.pk}/items/")
    page.wait_for_function("() => document.querySelector('img.dm-thumb')?.naturalWidth > 0")
    assert errors == []
    # The styled 404 page has the same bar (chromium logs its 404 status as an error).
    page.goto(f"{live_server.url}/no/such/page/")
    _no_sideways_scroll(page)
    _nav_inside_its_bar(page)
    assert [e for e in errors if "status of 404" not in e] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_annotation_page_works_on_the_screen(open_annotation_page, browser_page, project,
                                             width):  # fmt: skip
    services.add_items(project=project, items=[{"text": LONG_TEXT}], by=project.created_by)
    page, errors = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    open_annotation_page(project, ready="#annotate-form")
    _no_sideways_scroll(page)
    # Choices are big enough to tap, and a tap (not a key) answers.
    choice = page.locator("label.choice").nth(1)
    assert choice.bounding_box()["height"] >= 40
    item = page.locator("#workspace").get_attribute("data-item")
    choice.click()
    submit = page.locator("#submit-btn")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    submit.click()
    page.wait_for_selector(f"#workspace:not([data-item='{item}'])")
    _no_sideways_scroll(page)
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_small_image_fits_its_frame_and_the_zoom_label_is_true(open_annotation_page, browser_page,
                                                               org, owner, teammate,
                                                               width):  # fmt: skip
    digits = _digits(org, owner, teammate)
    page, errors = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    open_annotation_page(digits, ready="img.item-image")
    page.wait_for_function("() => document.querySelector('img.item-image').naturalWidth > 0")
    page.wait_for_function("() => document.querySelector('.image-zoom').textContent !== ''")

    def sizes():
        return page.evaluate(
            """() => { const f = document.querySelector('.image-scroll');
            const i = document.querySelector('img.item-image').getBoundingClientRect();
            return { fw: f.clientWidth, fh: f.clientHeight, iw: i.width, ih: i.height,
                     label: document.querySelector('.image-zoom').textContent }; }"""
        )

    fit = sizes()
    # The whole image is in view, and it fills the frame in one direction.
    assert fit["iw"] <= fit["fw"] + 1 and fit["ih"] <= fit["fh"] + 1, fit
    assert max(fit["iw"] / fit["fw"], fit["ih"] / fit["fh"]) > 0.97, fit
    assert fit["label"] == f"Fit ({round(fit['iw'] / 64 * 100)}%)", fit
    page.keyboard.press("+")
    zoomed = sizes()
    assert zoomed["label"] == f"{round(zoomed['iw'] / 64 * 100)}%", zoomed
    assert zoomed["iw"] > fit["iw"]
    _no_sideways_scroll(page)  # the zoomed image scrolls inside its frame, not the page
    page.locator(".image-zoom-btn[data-zoom=reset]").click()
    assert sizes()["label"] == fit["label"]
    # Label 0 owns the key 0 (the Fit button fits then); the hint lists the digits once,
    # not "0 0 1 1 2 2".
    hint = page.locator(".keys").inner_text()
    assert "0–9 the labels of the same name" in hint and "0 fit the image" not in hint
    page.keyboard.press("+")
    page.keyboard.press("0")
    assert page.locator("input[name=f_digit][value='0']").is_checked()
    assert sizes()["label"] != fit["label"]  # "0" chose the label, it did not fit the image
    assert errors == []


def test_guidelines_on_the_project_page_are_a_preview_with_show_all(live_server, browser_page,
                                                                    project):  # fmt: skip
    project.instructions = GUIDELINES
    project.save()
    page, errors = browser_page
    _log_in(page, live_server, "teammate", 1300)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    box = page.locator("#guidelines")
    more = page.get_by_role("button", name="Show all guidelines")
    more.wait_for()
    assert page.evaluate("() => { const b = document.getElementById('guidelines');"
                         " return b.scrollHeight > b.clientHeight; }")  # fmt: skip
    # Nested examples are list items of their own, not run into the rule's line.
    assert box.locator("ol > li > ul > li").count() == 27
    more.click()
    more = page.locator(".guidelines-more")
    assert more.inner_text() == "Show less"
    assert page.evaluate("() => { const b = document.getElementById('guidelines');"
                         " return b.scrollHeight <= b.clientHeight + 1; }")  # fmt: skip
    assert more.get_attribute("aria-expanded") == "true"
    assert errors == []


def test_label_form_round_trips_through_the_schema_json(live_server, browser_page, project):
    page, errors = browser_page
    _log_in(page, live_server, "owner", 1300)
    page.goto(f"{live_server.url}/projects/{project.pk}/settings/")
    editor = page.locator("#schema-editor")
    editor.get_by_label("topic: hotkey of label 2").fill("x")  # sport: s -> x
    editor.get_by_role("button", name="Remove label tech of topic").click()
    editor.get_by_role("button", name="Add a label").click()
    editor.get_by_label("topic: label 3", exact=True).fill("science")
    editor.get_by_label("topic: hotkey of label 3").fill("c")
    editor.get_by_label("topic: description of label 3").fill("Research news")
    page.wait_for_selector("#schema-check:has-text('Schema is valid: topic (choice, 3 labels)')")

    # A clash is caught as it is typed, naming the field.
    editor.get_by_label("topic: hotkey of label 3").fill("b")
    page.wait_for_selector("#schema-check .errorlist")
    check = page.locator("#schema-check").inner_text()
    assert 'fields[0] ("topic").labels[2].hotkey: "b" is already used' in check
    editor.get_by_label("topic: hotkey of label 3").fill("c")
    page.wait_for_selector("#schema-check .schema-ok")

    # The JSON box is what the form posts; hand edits there redraw the label form.
    page.locator("details.schema-json summary").click()
    box = page.locator("textarea[name=label_schema]")
    doc = json.loads(box.input_value())
    assert [lab["value"] for lab in doc["fields"][0]["labels"]] == ["business", "sport", "science"]
    doc["fields"][0]["labels"].append({"value": "health", "hotkey": "h"})
    box.fill(json.dumps(doc, indent=2))
    editor.get_by_label("topic: label 4", exact=True).wait_for()
    assert editor.get_by_label("topic: label 4", exact=True).input_value() == "health"

    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Settings saved.")
    project.refresh_from_db()
    labels = project.label_schema["fields"][0]["labels"]
    assert [(lab["value"], lab.get("hotkey")) for lab in labels] == [
        ("business", "b"), ("sport", "x"), ("science", "c"), ("health", "h"),
    ]  # fmt: skip
    assert labels[2]["description"] == "Research news"
    assert errors == []
