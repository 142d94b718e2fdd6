"""Image projects through HTTP and the services: upload (files and zips), serving to members
only, server-root paths checked at import, the annotation page, exports (COCO, Label Studio)."""

import io
import zipfile

import orjson
import pytest
from PIL import Image

from trainerdesk.workbench import formats, services
from trainerdesk.workbench.models import ImageAsset, Item

API = "/api/v1"
SCHEMA = {
    "fields": [
        {"name": "objects", "type": "boxes", "source": "image",
         "labels": [{"value": "cat", "hotkey": "c"}, {"value": "dog", "hotkey": "d"}]},
    ]
}  # fmt: skip


def png(size=(64, 48), colour=(10, 120, 200), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, fmt)
    return buf.getvalue()


def upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.fixture
def image_project(org, owner, teammate):
    project = services.create_project(
        organization=org, created_by=owner, name="Pets", label_schema=SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    return project


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_upload_page_adds_images_keeps_good_files_and_names_bad_ones(
    image_project, owner, client_for, settings
):
    client = client_for(owner)
    page = client.get(f"/projects/{image_project.pk}/import/")
    assert f"/projects/{image_project.pk}/images/" in page.content.decode()
    archive = _zip(
        {
            "pets/1.png": png(colour=(1, 2, 3)),
            "pets/2.jpg": png(colour=(4, 5, 6), fmt="JPEG"),
            "pets/3.png": b"not an image",
            "__MACOSX/pets/._1.png": b"junk",
            "../../escape.png": png(colour=(7, 8, 9)),
        }
    )
    response = client.post(
        f"/projects/{image_project.pk}/images/",
        {"files": [upload("cats.zip", archive), upload("solo.gif", png(fmt="GIF"))]},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "cats.zip: pets/3.png: not an image" in text
    assert "cats.zip: ../../escape.png: unsafe path" in text
    assert ImageAsset.objects.filter(project=image_project).count() == 3
    items = list(Item.objects.filter(project=image_project).order_by("id"))
    assert len(items) == 3
    jpg = ImageAsset.objects.get(project=image_project, original_name="cats.zip: pets/2.jpg")
    assert (jpg.content_type, jpg.width, jpg.height) == ("image/jpeg", 64, 48)
    assert (settings.MEDIA_ROOT / jpg.path).read_bytes()[:3] == b"\xff\xd8\xff"
    assert items[1].data == {"image": f"upload:{jpg.sha256}", "filename": "cats.zip: pets/2.jpg"}

    # The same files again: nothing new, counted as duplicates.
    again = client.post(
        f"/projects/{image_project.pk}/images/",
        {"files": [upload("solo-again.gif", png(fmt="GIF"))]},
        headers={"HX-Request": "true"},
    )
    assert "1 already in the project" in again.content.decode()
    assert Item.objects.filter(project=image_project).count() == 3

    # A deleted item's image comes back when uploaded again (its file is kept once).
    Item.objects.filter(pk=items[1].pk).delete()
    client.post(
        f"/projects/{image_project.pk}/images/",
        {"files": [upload("2.jpg", png(colour=(4, 5, 6), fmt="JPEG"))]},
    )
    assert Item.objects.filter(project=image_project).count() == 3
    assert ImageAsset.objects.filter(project=image_project).count() == 3
    assert Item.objects.filter(project=image_project, data__image=f"upload:{jpg.sha256}").exists()


def test_upload_is_for_managers_and_the_api_reports_per_file(
    image_project, owner, teammate, outsider, client_for
):
    for user in (teammate, outsider):
        client = client_for(user)
        assert client.get(f"/projects/{image_project.pk}/images/").status_code == 404
        files = {"files": [upload("a.png", png())]}
        assert client.post(f"{API}/projects/{image_project.pk}/images", files).status_code == 404
    client = client_for(owner)
    body = client.post(
        f"{API}/projects/{image_project.pk}/images",
        {"files": [upload("a.png", png()), upload("b.png", b"\x89PNG\r\n\x1a\nbroken")]},
    ).json()
    assert body["added"] == 1 and body["duplicates"] == 0
    assert body["errors"] == [body["errors"][0]] and body["errors"][0].startswith("b.png: not an")


def test_a_project_without_an_image_field_refuses_uploads(project, owner, client_for):
    response = client_for(owner).post(
        f"{API}/projects/{project.pk}/images", {"files": [upload("a.png", png())]}
    )
    assert response.status_code == 400
    assert "reads no image" in response.content.decode()


def test_uploaded_images_are_served_to_members_only(
    image_project, owner, teammate, outsider, client_for
):
    services.add_images(project=image_project, files=[upload("a.png", png())], by=owner)
    asset = ImageAsset.objects.get(project=image_project)
    url = f"/projects/{image_project.pk}/images/{asset.sha256}/"
    response = client_for(teammate).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == png()
    assert client_for(outsider).get(url).status_code == 404
    base = f"/projects/{image_project.pk}/images"
    for bad in ("0" * 64, "..%2F..%2Fsecret_key", "%2e%2e"):
        assert client_for(owner).get(f"{base}/{bad}/").status_code == 404
    client_for(owner).logout()
    assert client_for(outsider).get(url).status_code == 404


@pytest.fixture
def image_root(tmp_path, settings):
    root = tmp_path / "image-root"
    (root / "cats").mkdir(parents=True)
    (root / "cats" / "1.png").write_bytes(png(size=(100, 50)))
    (root / "cats" / "bad.png").write_bytes(b"nope")
    (tmp_path / "secret.png").write_bytes(png(colour=(0, 0, 0)))
    (root / "cats" / "link.png").symlink_to(tmp_path / "secret.png")
    settings.IMAGE_ROOT = root
    return root


def test_server_paths_are_checked_at_import_naming_line_and_field(image_project, image_root):
    result = services.add_items(
        project=image_project,
        items=[
            {"image": "cats/1.png"},
            {"image": "../secret.png"},
            {"image": "cats/link.png"},
            {"image": "cats/bad.png"},
            {"image": "cats/none.png"},
            {"image": "https://example.org/dog.png"},
            {"image": "upload:" + "b" * 64},
        ],
        by=image_project.created_by,
    )
    assert result.added == 2
    errors = {e.line: e.message for e in result.errors}
    assert sorted(errors) == [2, 3, 4, 5, 7]
    assert errors[2].startswith("data.image: ") and "outside the image root" in errors[2]
    assert "outside the image root" in errors[3]
    assert errors[4].startswith("data.image: cats/bad.png: not an image")
    assert "does not exist" in errors[5]
    assert "not an image uploaded to this project" in errors[7]


def test_server_paths_are_refused_when_the_root_is_unset(image_project, settings):
    settings.IMAGE_ROOT = None
    result = services.add_items(
        project=image_project, items=[{"image": "cats/1.png"}], by=image_project.created_by
    )
    assert result.added == 0
    assert "TRAINERDESK_IMAGE_ROOT is unset" in result.errors[0].message


def test_server_root_images_are_served_to_members_and_rechecked(
    image_project, image_root, owner, teammate, outsider, client_for
):
    services.add_items(
        project=image_project, items=[{"image": "cats/1.png"}], by=image_project.created_by
    )
    item = Item.objects.get(project=image_project)
    url = f"/projects/{image_project.pk}/items/{item.pk}/image/image/"
    response = client_for(teammate).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(outsider).get(url).status_code == 404
    client = client_for(owner)
    other = f"/projects/{image_project.pk}/items/{item.pk}/image/other/"
    assert client.get(other).status_code == 404
    # The file is swapped for a symlink out of the root after the import: no longer served.
    (image_root / "cats" / "1.png").unlink()
    (image_root / "cats" / "1.png").symlink_to(image_root.parent / "secret.png")
    assert client.get(url).status_code == 404


def test_annotation_page_shows_the_image_and_url_images_are_allowed_by_csp(
    image_project, owner, teammate, client_for
):
    services.add_images(project=image_project, files=[upload("a.png", png())], by=owner)
    asset = ImageAsset.objects.get(project=image_project)
    page = client_for(teammate).get(f"/projects/{image_project.pk}/annotate/")
    html = page.content.decode()
    assert f'src="/projects/{image_project.pk}/images/{asset.sha256}/"' in html
    assert 'data-boxes-field="objects"' in html and 'data-box-key="c"' in html
    assert "https:" in page["Content-Security-Policy"].split("img-src")[1].split(";")[0]


def test_boxes_go_through_the_submit_path_and_bad_ones_get_a_422(
    image_project, owner, teammate, client_for
):
    services.add_images(project=image_project, files=[upload("a.png", png())], by=owner)
    client = client_for(teammate)
    client.get(f"/projects/{image_project.pk}/annotate/")
    item = Item.objects.get(project=image_project)
    bad = [{"x": 90, "y": 0, "width": 20, "height": 5, "label": "cat"}]
    response = client.post(
        f"/projects/{image_project.pk}/annotate/submit/",
        {"item": item.pk, "action": "submit", "f_objects": orjson.dumps(bad).decode()},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "x + width = 110 is outside the image" in response.content.decode()
    good = [{"x": 10, "y": 10, "width": 20, "height": 5, "label": "dog"}]
    response = client.post(
        f"/projects/{image_project.pk}/annotate/submit/",
        {"item": item.pk, "action": "submit", "f_objects": orjson.dumps(good).decode()},
    )
    assert response.status_code == 302
    assert item.annotations.get().answer == {"objects": good}


def test_coco_and_label_studio_exports_use_the_known_sizes(
    image_project, owner, teammate, client_for
):
    services.add_images(project=image_project, files=[upload("a.png", png((200, 100)))], by=owner)
    services.add_items(
        project=image_project,
        items=[{"image": "https://example.org/x.png"}],
        by=image_project.created_by,
    )
    services.add_items(
        project=image_project,
        items=[{"image": "https://example.org/y.png", "image_width": 50, "image_height": 40}],
        by=image_project.created_by,
    )
    boxes = [{"x": 10, "y": 20, "width": 50, "height": 50, "label": "dog"}]
    for item in Item.objects.filter(project=image_project):
        services.submit_annotation(
            project=image_project, item=item, user=teammate, answer={"objects": boxes},
            skipped=False, skip_reason="", lead_time=1.0, client_id=None,
        )  # fmt: skip
    client = client_for(owner)
    page = client.get(f"/projects/{image_project.pk}/export/")
    assert 'value="coco"' in page.content.decode()
    response = client.get(f"/projects/{image_project.pk}/export/", {"format": "coco"})
    doc = orjson.loads(b"".join(response.streaming_content))
    sizes = {im["file_name"]: (im["width"], im["height"]) for im in doc["images"]}
    asset = ImageAsset.objects.get(project=image_project)
    assert sizes == {f"upload:{asset.sha256}": (200, 100), "https://example.org/y.png": (50, 40)}
    assert [s["file_name"] for s in doc["skipped"]] == ["https://example.org/x.png"]
    assert doc["annotations"][0]["bbox"] == [20, 20, 100, 50]
    # Round trip: the COCO boxes, back in percent, are the stored ones.
    assert formats.read_coco(doc)[f"upload:{asset.sha256}"] == boxes

    api = client.get(f"{API}/projects/{image_project.pk}/export", {"format": "coco"})
    assert orjson.loads(b"".join(api.streaming_content))["images"] == doc["images"]

    ls = orjson.loads(
        b"".join(
            client.get(
                f"/projects/{image_project.pk}/export/", {"format": "labelstudio"}
            ).streaming_content
        )
    )
    # Final answers only: written as trainerdesk-final predictions, not annotations.
    region = ls[0]["predictions"][0]["result"][0]
    assert (region["original_width"], region["original_height"]) == (200, 100)
    assert "original_width" not in ls[1]["predictions"][0]["result"][0]


def test_coco_export_is_offered_only_for_boxes_projects(project, owner, client_for):
    client = client_for(owner)
    assert 'value="coco"' not in client.get(f"/projects/{project.pk}/export/").content.decode()
    response = client.get(f"{API}/projects/{project.pk}/export", {"format": "coco"})
    assert response.status_code == 400
    assert "COCO export needs a project with a boxes field" in response.content.decode()


def test_cli_exports_coco(image_project, owner, teammate, tmp_path):
    from django.core.management import call_command

    services.add_images(project=image_project, files=[upload("a.png", png((100, 100)))], by=owner)
    item = Item.objects.get(project=image_project)
    boxes = [{"x": 50, "y": 50, "width": 25, "height": 10, "label": "cat"}]
    services.submit_annotation(
        project=image_project, item=item, user=teammate, answer={"objects": boxes},
        skipped=False, skip_reason="", lead_time=1.0, client_id=None,
    )  # fmt: skip
    out = tmp_path / "pets.json"
    call_command("export", str(image_project.pk), "--format", "coco", "--output", str(out))
    doc = orjson.loads(out.read_bytes())
    assert doc["annotations"][0]["bbox"] == [50, 50, 25, 10]
    assert doc["images"][0]["width"] == 100


def test_coco_reads_server_path_sizes_from_the_file(image_project, image_root, teammate):
    services.add_items(
        project=image_project, items=[{"image": "cats/1.png"}], by=image_project.created_by
    )
    item = Item.objects.get(project=image_project)
    boxes = [{"x": 0, "y": 0, "width": 50, "height": 50, "label": "cat"}]
    services.submit_annotation(
        project=image_project, item=item, user=teammate, answer={"objects": boxes},
        skipped=False, skip_reason="", lead_time=1.0, client_id=None,
    )  # fmt: skip
    chunks = services.export_stream(
        project=image_project,
        fmt="coco",
        only_labeled=False,
        include_annotations=False,
        by=image_project.created_by,
    )
    doc = orjson.loads(b"".join(chunks))
    assert [(im["file_name"], im["width"], im["height"]) for im in doc["images"]] == [
        ("cats/1.png", 100, 50)
    ]
    assert doc["annotations"][0]["bbox"] == [0, 0, 50, 25]
