"""Image annotation in a real browser (headless Debian chromium via Playwright): classify
images with the keyboard (accepting a model suggestion once, undoing choices), and draw
bounding boxes with the mouse, then move, resize, relabel, undo, delete, zoom and accept a
suggestion, checking what was stored; on a page with both, one undo takes back the latest
change whichever kind it was."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item, Prediction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(colour, size=(400, 200)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return SimpleUploadedFile(f"{colour[0]}.png", buf.getvalue())


def _project(org, owner, teammate, schema, colours):
    project = services.create_project(
        organization=org, created_by=owner, name="Pets", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    result = services.add_images(project=project, files=[png(c) for c in colours], by=owner)
    assert result.added == len(colours), result.errors
    return project


def _wait_for_image(page):
    page.wait_for_function(
        "() => { const i = document.querySelector('img.item-image'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )


def test_classify_images_with_the_keyboard(open_annotation_page, browser_page, org, owner,
                                           teammate):  # fmt: skip
    schema = {"fields": [{"name": "animal", "type": "choice", "source": "image",
                          "source_kind": "image", "labels": ["cat", "dog", "bird"]}]}  # fmt: skip
    project = _project(org, owner, teammate, schema, [(200, 0, 0), (0, 200, 0)])
    first, second = Item.objects.filter(project=project).order_by("id")
    Prediction.objects.create(item=second, model_version="pets-v1", answer={"animal": "bird"})
    page, errors = browser_page
    open_annotation_page(project, ready="img.item-image")
    _wait_for_image(page)
    assert page.locator(".item-text").count() == 0  # the reference is not shown as text
    page.keyboard.press("3")
    page.wait_for_selector("input[name=f_animal][value=bird]:checked")
    page.keyboard.press("2")
    page.wait_for_selector("input[name=f_animal][value=dog]:checked")
    page.keyboard.press("Control+z")  # back to bird ...
    page.wait_for_selector("input[name=f_animal][value=bird]:checked")
    page.locator("#undo-btn").click()  # ... and to nothing
    assert page.locator("input[name=f_animal]:checked").count() == 0
    assert page.locator("#undo-btn").is_disabled()
    page.keyboard.press("2")
    page.wait_for_selector("input[name=f_animal][value=dog]:checked")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace[data-item='{second.pk}']")
    _wait_for_image(page)
    note = page.locator("[data-choice-suggestions]")
    assert "Suggested by pets-v1: bird" in note.inner_text()
    # A suggestion is never chosen for the annotator: nothing is checked until accepted.
    assert page.locator("input[name=f_animal]:checked").count() == 0
    page.keyboard.press("Shift+A")
    page.wait_for_selector("input[name=f_animal][value=bird]:checked")
    assert note.inner_text() == "Chosen as suggested: bird."
    page.keyboard.press("Control+z")  # accepting is a change like any other
    assert page.locator("input[name=f_animal]:checked").count() == 0
    assert "Suggested by pets-v1: bird" in note.inner_text()
    page.keyboard.press("Shift+A")
    page.wait_for_selector("input[name=f_animal][value=bird]:checked")
    page.keyboard.press("Enter")
    page.wait_for_selector(".done")

    stored = {a.item_id: a for a in Annotation.objects.filter(project=project)}
    assert stored[first.pk].answer == {"animal": "dog"}
    assert stored[second.pk].answer == {"animal": "bird"}
    assert all(a.lead_time is not None for a in stored.values())
    assert errors == []


BOX_SCHEMA = {
    "fields": [
        {"name": "objects", "type": "boxes", "source": "image",
         "labels": [{"value": "cat", "hotkey": "c"}, {"value": "dog", "hotkey": "d"}]},
    ]
}  # fmt: skip


def test_draw_move_resize_and_relabel_boxes(open_annotation_page, browser_page, org, owner,
                                            teammate):  # fmt: skip
    project = _project(org, owner, teammate, BOX_SCHEMA, [(90, 90, 200)])
    item = Item.objects.get(project=project)
    Prediction.objects.create(
        item=item,
        model_version="det-v2",
        score=0.9,
        answer={"objects": [{"x": 0, "y": 0, "width": 10, "height": 10, "label": "cat"},
                            {"x": 80, "y": 80, "width": 10, "height": 10, "label": "dog"}]},
    )  # fmt: skip
    page, errors = browser_page
    open_annotation_page(project, ready="img.item-image")
    _wait_for_image(page)
    page.locator("img.item-image").scroll_into_view_if_needed()
    assert page.locator(".box.suggestion").count() == 2  # shown dashed, not in the answer
    assert page.locator("input[name=f_objects]").input_value() == "[]"
    r = page.locator("img.item-image").bounding_box()

    def at(px, py):
        return r["x"] + r["width"] * px / 100, r["y"] + r["height"] * py / 100

    def drag(a, b):
        page.mouse.move(*at(*a))
        page.mouse.down()
        page.mouse.move(*at(*b), steps=6)
        page.mouse.up()

    drag((20, 20), (50, 60))  # box A, current label "cat"
    page.wait_for_selector(".box.sel:not(.suggestion)")
    page.keyboard.press("d")  # relabel A as dog (and dog becomes the current label)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # x + 1
    page.keyboard.press("Shift+ArrowDown")  # height + 0.5

    drag((60, 10), (90, 30))  # box B, drawn as dog
    drag((75, 20), (70, 25))  # move B by (-5, +5)
    handle = page.locator(".box.sel .handle.se").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(*at(95, 45), steps=6)  # resize B from its bottom-right corner
    page.mouse.up()
    page.keyboard.press("c")  # relabel B as cat

    drag((5, 70), (20, 95))  # box C ...
    assert page.locator(".box:not(.suggestion)").count() == 3
    page.keyboard.press("Control+z")  # ... undone
    assert page.locator(".box:not(.suggestion)").count() == 2

    drag((5, 70), (20, 95))  # box D, then: deselect, Tab to it (A, B, D) and delete it
    page.keyboard.press("Escape")
    assert page.locator(".box.sel").count() == 0
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.locator(".box-list li.sel").inner_text().startswith("cat at 5%, 70%")
    page.keyboard.press("x")
    assert page.locator(".box:not(.suggestion)").count() == 2

    # The zoom label gives the scale against the image's own 400 pixels.
    fit = page.locator(".image-zoom").inner_text()
    assert fit == f"Fit ({round(r['width'] / 400 * 100)}%)"
    page.keyboard.press("+")
    zoomed = page.locator("img.item-image").bounding_box()["width"]
    assert zoomed > r["width"] * 1.2
    assert page.locator(".image-zoom").inner_text() == f"{round(zoomed / 400 * 100)}%"
    page.keyboard.press("0")
    page.wait_for_selector(f".image-zoom:text('{fit}')")

    # Accept the first suggestion with its button; leave the second one alone.
    page.locator(".box-list li.suggestion .box-accept").first.click()
    assert page.locator(".box.suggestion").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_selector(".done")

    answer = Annotation.objects.get(item=item).answer["objects"]
    assert [b["label"] for b in answer] == ["dog", "cat", "cat"]
    a, b, s = answer
    expected = [
        (a, {"x": 21, "y": 20, "width": 30, "height": 40.5}),
        (b, {"x": 55, "y": 15, "width": 40, "height": 30}),
        (s, {"x": 0, "y": 0, "width": 10, "height": 10}),
    ]
    for got, want in expected:
        for key, value in want.items():
            assert got[key] == pytest.approx(value, abs=0.6), (key, got)
    assert errors == []


def test_one_undo_for_boxes_and_choices_on_the_same_image(open_annotation_page, browser_page, org,
                                                          owner, teammate):  # fmt: skip
    schema = {"fields": [
        {"name": "animal", "type": "choice", "source": "image", "source_kind": "image",
         "labels": ["cat", "dog", "bird"]},
        *BOX_SCHEMA["fields"],
    ]}  # fmt: skip
    project = _project(org, owner, teammate, schema, [(20, 120, 60)])
    page, errors = browser_page
    open_annotation_page(project, ready="img.item-image")
    _wait_for_image(page)
    page.locator("img.item-image").scroll_into_view_if_needed()
    r = page.locator("img.item-image").bounding_box()

    def drag(a, b):
        page.mouse.move(r["x"] + r["width"] * a[0] / 100, r["y"] + r["height"] * a[1] / 100)
        page.mouse.down()
        page.mouse.move(r["x"] + r["width"] * b[0] / 100, r["y"] + r["height"] * b[1] / 100,
                        steps=6)  # fmt: skip
        page.mouse.up()

    boxes = page.locator(".box:not(.suggestion)")
    checked = page.locator("input[name=f_animal]:checked")
    drag((10, 10), (40, 40))
    page.keyboard.press("2")
    page.wait_for_selector("input[name=f_animal][value=dog]:checked")
    page.locator("#undo-btn").click()  # the latest change was the choice: the box stays
    assert (checked.count(), boxes.count()) == (0, 1)
    page.keyboard.press("1")
    drag((50, 50), (80, 90))
    assert boxes.count() == 2
    page.keyboard.press("Control+z")  # the second box ...
    assert (boxes.count(), checked.get_attribute("value")) == (1, "cat")
    page.keyboard.press("Control+z")  # ... then the choice made before it ...
    assert (boxes.count(), checked.count()) == (1, 0)
    page.keyboard.press("Control+z")  # ... then the first box
    assert boxes.count() == 0
    assert page.locator("#undo-btn").is_disabled()

    drag((20, 30), (60, 70))
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    page.wait_for_selector(".done")
    answer = Annotation.objects.get(project=project).answer
    assert answer["animal"] == "bird"
    assert [(b["label"], round(b["x"]), round(b["y"])) for b in answer["objects"]] == [
        ("cat", 20, 30)
    ]
    assert errors == []
