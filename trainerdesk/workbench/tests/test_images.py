"""Image validation, zip unpacking, references, server paths, box geometry and the COCO
writer: pure functions, no database. Test images are made with Pillow here."""

import io
import zipfile

import orjson
import pytest
from PIL import Image

from trainerdesk.workbench import formats, images
from trainerdesk.workbench.schema import AnswerError, parse_schema

LIMITS = images.Limits(max_bytes=2_000_000, max_pixels=4_000_000, max_side=4000)


def make_image(fmt="PNG", size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, fmt)
    return buf.getvalue()


def make_zip(members: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


@pytest.mark.parametrize(
    ("fmt", "content_type", "ext"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("GIF", "image/gif", "gif"),
     ("WEBP", "image/webp", "webp")],
)  # fmt: skip
def test_good_images_give_type_size_and_hash(fmt, content_type, ext):
    data = make_image(fmt)
    info = images.validate_image(data, name="a", limits=LIMITS)
    assert (info.content_type, info.extension, info.width, info.height) == (
        content_type,
        ext,
        40,
        30,
    )
    assert len(info.sha256) == 64 and info.size_bytes == len(data)
    assert images.storage_path(info) == f"images/{info.sha256[:2]}/{info.sha256}.{ext}"


def test_type_comes_from_the_content_not_the_name():
    info = images.validate_image(make_image("PNG"), name="cat.jpg", limits=LIMITS)
    assert info.content_type == "image/png"
    with pytest.raises(images.ImageError, match=r"^notes\.png: not an image"):
        images.validate_image(b"just some text, not pixels", name="notes.png", limits=LIMITS)


def test_other_image_formats_are_refused_by_name():
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "BMP")
    with pytest.raises(images.ImageError, match=r"^x\.bmp: BMP images are not accepted"):
        images.validate_image(buf.getvalue(), name="x.bmp", limits=LIMITS)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_are_refused(fmt):
    data = make_image(fmt, size=(200, 200))
    with pytest.raises(images.ImageError, match=r"^cats\.zip: img/3\.png: not an image \("):
        images.validate_image(data[: len(data) // 2], name="cats.zip: img/3.png", limits=LIMITS)


def test_empty_and_oversized_files():
    with pytest.raises(images.ImageError, match="empty file"):
        images.validate_image(b"", name="e.png", limits=LIMITS)
    small = images.Limits(max_bytes=100, max_pixels=LIMITS.max_pixels, max_side=4000)
    with pytest.raises(images.ImageError, match=r"big\.png: .* over the 100-byte image limit"):
        images.validate_image(make_image(size=(300, 300)), name="big.png", limits=small)


def test_dimension_limits_and_decompression_bombs():
    narrow = images.Limits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, max_side=35)
    with pytest.raises(images.ImageError, match="over the 35-pixel limit"):
        images.validate_image(make_image(size=(40, 30)), name="w.png", limits=narrow)
    # A tiny file that claims a huge canvas: refused from the header, before decoding.
    bomb = make_image("PNG", size=(3000, 3000), colour=(0, 0, 0))
    assert len(bomb) < 100_000
    few = images.Limits(max_bytes=LIMITS.max_bytes, max_pixels=1_000_000, max_side=10_000)
    with pytest.raises(images.ImageError, match=r"bomb\.png: 3000x3000 = 9,000,000 pixels, over"):
        images.validate_image(bomb, name="bomb.png", limits=few)


def test_zip_members_skip_junk_report_bad_ones_and_refuse_zip_slip():
    good = make_image()
    archive = make_zip(
        {
            "img/1.png": good,
            "img/2.txt": b"hello",
            "__MACOSX/img/._1.png": b"junk",
            ".DS_Store": b"junk",
            "img/.hidden.png": good,
            "../evil.png": good,
            "/abs.png": good,
        }
    )
    out = list(
        images.iter_zip(archive, name="cats.zip", max_member_bytes=10**6, max_total_bytes=10**7)
    )
    labels = [label for label, _ in out]
    assert labels == ["cats.zip: img/1.png", "cats.zip: img/2.txt", "cats.zip: ../evil.png",
                      "cats.zip: /abs.png"]  # fmt: skip
    assert out[0][1] == good and out[1][1] == b"hello"
    assert all(isinstance(v, images.ImageError) and "unsafe path" in str(v) for _, v in out[2:])


def test_zip_total_size_is_guarded_while_reading():
    archive = make_zip({f"{i}.png": make_image(colour=(i, 0, 0)) for i in range(5)})
    size = len(make_image())
    out = images.iter_zip(archive, name="z.zip", max_member_bytes=10**6, max_total_bytes=size * 2)
    assert len([next(out), next(out)]) == 2
    with pytest.raises(images.ImageError, match=r"^z\.zip: unpacks to more than"):
        next(out)


def test_a_broken_zip_is_named():
    with pytest.raises(images.ImageError, match=r"^x\.zip: not a readable zip"):
        list(images.iter_zip(io.BytesIO(b"PK\x03\x04nope"), name="x.zip", max_member_bytes=1,
                             max_total_bytes=1))  # fmt: skip


def test_reference_kinds():
    sha = "a" * 64
    assert images.ref_kind(f"upload:{sha}") == ("upload", sha)
    assert images.ref_kind("https://example.org/c.png") == ("url", "https://example.org/c.png")
    assert images.ref_kind("cats/1.png") == ("path", "cats/1.png")
    for bad in ("upload:xyz", "file:///etc/passwd", "javascript:alert(1)", "data:image/png,x"):
        with pytest.raises(ValueError):
            images.ref_kind(bad)


def test_paths_must_stay_inside_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "cats").mkdir(parents=True)
    (root / "cats" / "1.png").write_bytes(make_image())
    secret = tmp_path / "secret.png"
    secret.write_bytes(make_image())
    (root / "link.png").symlink_to(secret)
    (root / "inner.png").symlink_to(root / "cats" / "1.png")
    assert images.resolve_in_root(root, "cats/1.png") == (root / "cats" / "1.png").resolve()
    assert images.resolve_in_root(root, "inner.png") == (root / "cats" / "1.png").resolve()
    for bad, why in [
        ("../secret.png", "outside the image root"),
        ("link.png", "outside the image root"),
        (str(secret), "outside the image root"),
        ("cats", "not a file"),
        ("cats/missing.png", "does not exist"),
        ("cats/\x00.png", "NUL"),
    ]:
        with pytest.raises(ValueError, match=why):
            images.resolve_in_root(root, bad)


# --- box geometry (the schema checks answers in percent) ----------------------------------

BOX_SCHEMA = parse_schema(
    {"fields": [{"name": "objects", "type": "boxes", "source": "image",
                 "labels": ["cat", "dog"]}]}
)  # fmt: skip
ITEM = {"image": "upload:" + "a" * 64}


def test_boxes_inside_the_image_are_kept():
    box = {"x": 10, "y": 20.5, "width": 90, "height": 79.5, "label": "cat"}
    assert BOX_SCHEMA.validate_answer({"objects": [box]}, ITEM) == {"objects": [box]}


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ({"x": -1, "y": 0, "width": 5, "height": 5}, "objects[0].x: -1 is outside the image"),
        ({"x": 96, "y": 0, "width": 5, "height": 5}, "x + width = 101 is outside the image"),
        ({"x": 0, "y": 0, "width": 0, "height": 5}, "objects[0].width: must be greater than 0"),
        ({"x": 0, "y": 0, "width": 5, "height": "5"}, "objects[0].height: must be a number"),
    ],
)
def test_boxes_outside_the_image_are_refused_naming_the_field(box, message):
    with pytest.raises(AnswerError) as exc:
        BOX_SCHEMA.validate_answer({"objects": [box | {"label": "cat"}]}, ITEM)
    assert any(message in e for e in exc.value.errors)


def test_pixel_conversion_round_trips():
    box = {"x": 12.5, "y": 10, "width": 25, "height": 50, "label": "dog"}
    px = formats.box_to_pixels(box, 640, 480)
    assert px == [80, 48, 160, 240]
    back = formats.box_from_pixels(px, 640, 480, "dog")
    assert back == box


# --- COCO -----------------------------------------------------------------------------------


def _coco(records):
    chunks = formats.write_coco(records, box_field="objects", source="image", labels=["cat", "dog"])
    return orjson.loads(b"".join(chunks))


def test_coco_has_the_required_fields_and_pixel_boxes():
    boxes = [
        {"x": 10, "y": 10, "width": 50, "height": 25, "label": "dog"},
        {"x": 0, "y": 0, "width": 100, "height": 100, "label": "cat"},
    ]
    doc = _coco(
        [
            {"id": 7, "data": {"image": "a.png"}, "final": {"objects": boxes},
             "image_sizes": {"image": [200, 100]}},
            {"id": 8, "data": {"image": "https://x/b.png"}, "final": {"objects": boxes[:1]}},
        ]
    )  # fmt: skip
    for key in ("info", "images", "annotations", "categories"):
        assert key in doc
    assert doc["categories"] == [
        {"id": 1, "name": "cat", "supercategory": "none"},
        {"id": 2, "name": "dog", "supercategory": "none"},
    ]
    [image] = doc["images"]
    assert {k: image[k] for k in ("id", "file_name", "width", "height")} == {
        "id": 1,
        "file_name": "a.png",
        "width": 200,
        "height": 100,
    }
    first, second = doc["annotations"]
    assert first == {"id": 1, "image_id": 1, "category_id": 2, "bbox": [20, 10, 100, 25],
                     "area": 2500, "iscrowd": 0, "segmentation": []}  # fmt: skip
    assert second["bbox"] == [0, 0, 200, 100] and second["id"] == 2
    # The image of unknown size is reported, not guessed.
    assert doc["skipped"] == [
        {"item_id": 8, "file_name": "https://x/b.png", "reason": "image size unknown"}
    ]


def test_coco_leaves_out_items_without_a_final_answer_and_lists_them():
    cat = {"x": 10, "y": 10, "width": 50, "height": 25, "label": "cat"}
    tie = [
        {"id": 5, "annotator": "ann1", "skipped": False, "answer": {"objects": [cat]}},
        {"id": 6, "annotator": "ann2", "skipped": False, "answer": {"objects": []}},
        {"id": 9, "annotator": "ann3", "skipped": True, "answer": {}},
    ]
    size = {"image": [200, 100]}
    records = [
        # The two answers tie: no final answer, so no image that says "no objects here".
        {"id": 7, "data": {"image": "a.png"}, "final": None, "answered": 2,
         "annotations": tie, "image_sizes": size},
        {"id": 8, "data": {"image": "b.png"}, "final": None, "answered": 0,
         "annotations": [], "image_sizes": size},
        # Everyone agreed there is nothing: an image with no objects is the right answer.
        {"id": 10, "data": {"image": "c.png"}, "final": {"objects": []}, "answered": 1,
         "annotations": [], "image_sizes": size},
    ]  # fmt: skip
    left_out: list[dict] = []
    doc = orjson.loads(
        b"".join(
            formats.write_coco(
                records, box_field="objects", source="image", labels=["cat"], left_out=left_out
            )
        )
    )
    assert [im["trainerdesk_item_id"] for im in doc["images"]] == [10]
    assert doc["annotations"] == []
    assert [(e["item_id"], e["reason"].split(" (")[0]) for e in doc["skipped"]] == [
        (7, 'no final answer for "objects" under the final label rule'),
        (8, "no answers yet"),
    ]
    assert left_out == doc["skipped"]
    # Every annotation: one image entry per (non-skipped) annotation, as Label Studio does.
    every = orjson.loads(
        b"".join(
            formats.write_coco(
                records, box_field="objects", source="image", labels=["cat"], every_annotation=True
            )
        )
    )
    assert [
        (im["trainerdesk_item_id"], im["trainerdesk_annotation_id"], im["trainerdesk_annotator"])
        for im in every["images"]
    ] == [(7, 5, "ann1"), (7, 6, "ann2")]
    [box] = every["annotations"]
    assert box["image_id"] == every["images"][0]["id"] and box["bbox"] == [20, 10, 100, 25]
    assert [(e["item_id"], e["reason"]) for e in every["skipped"]] == [
        (8, "no answers yet"),
        (10, "no answers yet"),
    ]


def test_coco_round_trip_keeps_the_boxes():
    boxes = [{"x": 12.5, "y": 33.333, "width": 40, "height": 20.25, "label": "cat"}]
    doc = _coco(
        [{"id": 1, "data": {"image": "a"}, "final": {"objects": boxes},
          "image_sizes": {"image": [640, 480]}}]
    )  # fmt: skip
    [back] = formats.read_coco(doc)["a"]
    assert back["label"] == "cat"
    for key in ("x", "y", "width", "height"):
        assert back[key] == pytest.approx(boxes[0][key], abs=1e-3)


def test_label_studio_boxes_carry_the_original_size_when_known():
    fields = BOX_SCHEMA.to_dict()["fields"]
    box = {"x": 1, "y": 2, "width": 3, "height": 4, "label": "cat"}
    [region] = formats.answer_to_ls_result({"objects": [box]}, fields, ITEM, {"image": [64, 48]})
    assert (region["original_width"], region["original_height"]) == (64, 48)
    [bare] = formats.answer_to_ls_result({"objects": [box]}, fields, ITEM)
    assert "original_width" not in bare
    assert formats.ls_result_to_answer([region], fields) == {"objects": [box]}
