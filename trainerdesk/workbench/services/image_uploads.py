"""Uploading images: files or zips stored on the server, one item each."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.json import KeyTransform

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench import formats, images
from trainerdesk.workbench.models import ImageAsset, Project
from trainerdesk.workbench.services.image_files import image_keys, image_limits
from trainerdesk.workbench.services.imports import import_batch


@dataclass
class ImageUploadResult:
    added: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def _uploaded_image_files(files: Iterable[UploadedFile]) -> Iterator[tuple[str, Any]]:
    """(name, bytes) per image in the uploads, zips unpacked; (name, ImageError) when a
    file cannot even be read."""
    limits = image_limits()
    for upload in files:
        name = upload.name or "upload"
        head = upload.read(4)
        upload.seek(0)
        if images.is_zip(name, head):
            try:
                yield from images.iter_zip(
                    cast(BinaryIO, upload),  # a file object; zipfile needs read and seek
                    name=name,
                    max_member_bytes=limits.max_bytes,
                    max_total_bytes=settings.MAX_UPLOAD_BYTES,
                )
            except images.ImageError as exc:
                yield name, exc
        elif (upload.size or 0) > limits.max_bytes:
            yield (
                name,
                images.ImageError(
                    f"{name}: {upload.size:,} bytes, over the {limits.max_bytes:,}-byte image limit"
                ),
            )
        else:
            yield name, upload.read()


def _store_image_file(info: images.ImageInfo, data: bytes) -> str:
    """Write the file under MEDIA_ROOT by its hash (once; a temporary name then a rename,
    so a crash never leaves half a file under the final name)."""
    relative = images.storage_path(info)
    target = Path(settings.MEDIA_ROOT) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return relative


def add_images(
    *,
    project: Project,
    files: Iterable[UploadedFile],
    by,
    references: dict[str, Any] | None = None,
) -> ImageUploadResult:
    """Add uploaded image files (or zips of them) to a project: each valid image is stored
    once by hash, recorded as an ImageAsset, and becomes an item whose image field holds
    ``upload:<sha256>``. Bad files are reported by name and skipped; the good ones are kept.
    An image whose item is already in the project is counted as a duplicate. `references`
    maps a file name to the item's hidden reference answer (checked like an import's)."""
    keys = image_keys(project.schema)
    if not keys:
        raise InvalidInput(["files: this project's schema reads no image (no boxes field or "
                            'choice field with "source_kind": "image")'])  # fmt: skip
    result = ImageUploadResult()
    limits = image_limits()
    found: dict[str, tuple[images.ImageInfo, str, str]] = {}  # sha256 -> (info, name, path)
    for name, data in _uploaded_image_files(files):
        if isinstance(data, images.ImageError):
            result.errors.append(str(data))
            continue
        try:
            info = images.validate_image(data, name=name, limits=limits)
        except images.ImageError as exc:
            result.errors.append(str(exc))
            continue
        if info.sha256 in found:
            result.duplicates += 1
            continue
        found[info.sha256] = (info, name, _store_image_file(info, data))
    known = set(project.images.filter(sha256__in=list(found)).values_list("sha256", flat=True))
    new = [entry for sha, entry in found.items() if sha not in known]
    # One item per image: an image whose item still exists is a duplicate whatever its
    # file name; one whose item was deleted comes back as a new item.
    refs = [images.UPLOAD_PREFIX + sha for sha in found]
    present = {
        data.get(keys[0])
        for data in project.items.alias(_ref=KeyTransform(keys[0], "data"))
        .filter(_ref__in=refs)
        .values_list("data", flat=True)
    }
    result.duplicates += len(present)
    missing = [entry for sha, entry in found.items() if images.UPLOAD_PREFIX + sha not in present]
    with transaction.atomic():
        ImageAsset.objects.bulk_create(
            [
                ImageAsset(
                    project=project,
                    sha256=info.sha256,
                    path=path,
                    original_name=name[-255:],
                    content_type=info.content_type,
                    size_bytes=info.size_bytes,
                    width=info.width,
                    height=info.height,
                    created_by=by,
                )
                for info, name, path in new
            ],
            ignore_conflicts=True,  # a concurrent upload of the same file
        )
        rows = [
            formats.Row(
                i,
                {keys[0]: images.UPLOAD_PREFIX + info.sha256, "filename": name},
                reference=(references or {}).get(name),
            )
            for i, (info, name, _path) in enumerate(missing, 1)
        ]
        batch = import_batch(project=project, rows=rows)
        # The images by their sha256 (one file's content, whoever uploaded it).
        audit.record_bulk(
            action="workbench.image.bulk_create",
            object_type="workbench.imageasset",
            ids=[info.sha256 for info, _name, _path in new],
            changes={
                "items_added": batch.added,
                "duplicates": result.duplicates + batch.duplicates,
                "errors": len(result.errors) + batch.error_count,
            },
            project=project,
            by=by,
        )
    result.added = batch.added
    result.duplicates += batch.duplicates
    result.errors += [e.message for e in batch.errors]
    return result
