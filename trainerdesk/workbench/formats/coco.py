"""COCO: boxes in pixels, written per image from the final answer (or every annotation)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from trainerdesk.workbench.formats.common import _answer_sets, _batched

# --- COCO ----------------------------------------------------------------------------------


def write_coco(
    records: Iterable[dict],
    *,
    box_field: str,
    source: str,
    labels: list[str],
    every_annotation: bool = False,
    left_out: list[dict] | None = None,
) -> Iterator[bytes]:
    """COCO object-detection JSON of each item's final boxes answer, or with
    ``every_annotation`` one image entry per annotation (as Label Studio does), carrying
    ``trainerdesk_annotation_id`` and ``trainerdesk_annotator``.

    Boxes are stored in percent of the image (as Label Studio does); COCO wants pixels, so
    each image needs its size in ``rec["image_sizes"][source]``. An image whose size is not
    known, and an item with no final answer for the field (no answers yet, or the answers
    tie), is left out and listed under the top-level ``"skipped"`` key with the reason
    (and appended to ``left_out`` when given): never given a guessed size or written as an
    image with no objects. ``file_name`` is the item's image reference (upload:<sha256>,
    URL or server path); ``trainerdesk_item_id`` ties an image back to its item.
    Images stream out as they are read; annotations are buffered (encoded) because COCO puts
    them in a separate array.
    """
    categories = {label: i for i, label in enumerate(labels, 1)}
    skipped: list[dict] = [] if left_out is None else left_out

    def chunks() -> Iterator[bytes]:
        cats = [{"id": i, "name": n, "supercategory": "none"} for n, i in categories.items()]
        yield b'{"info":{"description":"TrainerDesk export","version":"1.0"},"licenses":[],'
        yield b'"categories":' + orjson.dumps(cats) + b',"images":['
        annotations: list[bytes] = []
        image_id = 0
        for rec in records:
            ref = (rec.get("data") or {}).get(source)
            size = (rec.get("image_sizes") or {}).get(source)
            if not size:
                skipped.append(
                    {"item_id": rec.get("id"), "file_name": ref, "reason": "image size unknown"}
                )
                continue
            width, height = size
            for boxes, extra in _answer_sets(rec, box_field, every_annotation, skipped, ref):
                image_id += 1
                image = {
                    "id": image_id,
                    "file_name": ref,
                    "width": width,
                    "height": height,
                    "trainerdesk_item_id": rec.get("id"),
                } | extra
                yield (b"," if image_id > 1 else b"") + orjson.dumps(image)
                for box in boxes:
                    bbox = box_to_pixels(box, width, height)
                    annotations.append(
                        orjson.dumps(
                            {
                                "id": len(annotations) + 1,
                                "image_id": image_id,
                                "category_id": categories.get(box["label"], 0),
                                "bbox": bbox,
                                "area": round(bbox[2] * bbox[3], 4),
                                "iscrowd": 0,
                                "segmentation": [],
                            }
                        )
                    )
        yield b'],"annotations":[' + b",".join(annotations) + b'],"skipped":'
        yield orjson.dumps(skipped) + b"}\n"

    return _batched(chunks())


def box_to_pixels(box: dict, width: int, height: int) -> list[float]:
    """[x, y, w, h] in pixels from a box in percent of a width x height image."""
    return [
        round(box["x"] * width / 100, 4),
        round(box["y"] * height / 100, 4),
        round(box["width"] * width / 100, 4),
        round(box["height"] * height / 100, 4),
    ]


def box_from_pixels(bbox: list[float], width: int, height: int, label: str) -> dict:
    x, y, w, h = bbox
    return {
        "x": x * 100 / width,
        "y": y * 100 / height,
        "width": w * 100 / width,
        "height": h * 100 / height,
        "label": label,
    }


def read_coco(doc: dict) -> dict[str, list[dict]]:
    """{file_name: boxes in percent} from a COCO document: what a COCO export says about each
    image, in the answer form the boxes field uses."""
    names = {c["id"]: c["name"] for c in doc["categories"]}
    images = {im["id"]: im for im in doc["images"]}
    out: dict[str, list[dict]] = {im["file_name"]: [] for im in doc["images"]}
    for ann in doc["annotations"]:
        im = images[ann["image_id"]]
        box = box_from_pixels(ann["bbox"], im["width"], im["height"], names[ann["category_id"]])
        out[im["file_name"]].append(box)
    return out
