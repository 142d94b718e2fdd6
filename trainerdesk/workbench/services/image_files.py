"""Images on the server: limits, items' image references and their checks, sizes for export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

from trainerdesk.workbench import formats, images
from trainerdesk.workbench.models import Item, Project

# --- images (see workbench/images.py for how items refer to their image) ---------------------


def image_limits() -> images.Limits:
    return images.Limits(
        max_bytes=settings.MAX_IMAGE_BYTES,
        max_pixels=settings.MAX_IMAGE_PIXELS,
        max_side=settings.MAX_IMAGE_SIDE,
    )


def image_keys(schema) -> list[str]:
    """The data keys that hold an image reference, in schema order."""
    return list(dict.fromkeys(f.source for f in schema.fields if f.data_kind == "image"))


class _ImageRefCheck:
    """Checks the image references of one import batch: an upload must be one of the
    project's images, a server path must resolve inside TRAINERDESK_IMAGE_ROOT to a valid
    image, a URL is left to the browser. One query per batch for the uploads."""

    def __init__(self, project: Project, rows: list[formats.Row], keys: list[str]) -> None:
        self.keys = keys
        wanted = {
            value[len(images.UPLOAD_PREFIX) :]
            for row in rows
            for key in keys
            if isinstance(value := row.data.get(key), str)
            and value.startswith(images.UPLOAD_PREFIX)
        }
        self.known = set(
            project.images.filter(sha256__in=list(wanted)).values_list("sha256", flat=True)
        )

    def problems(self, data: dict) -> list[str]:
        out = []
        for key in self.keys:
            value = data.get(key)
            if not isinstance(value, str) or not value:
                continue  # the schema's validate_item reports it
            try:
                kind, rest = images.ref_kind(value)
                if kind == "upload" and rest not in self.known:
                    raise ValueError(f"{value} is not an image uploaded to this project")
                if kind == "path":
                    server_image(rest)
            except (ValueError, images.ImageError) as exc:
                out.append(f"data.{key}: {exc}")
        return out


def server_image(relative: str) -> tuple[Path, images.ImageInfo]:
    """The validated file a server-path reference names; ValueError/ImageError otherwise."""
    if settings.IMAGE_ROOT is None:
        raise ValueError(
            f'"{relative[:80]}" is a server path, but server paths are off '
            "(TRAINERDESK_IMAGE_ROOT is unset); use upload:<sha256> or an https URL"
        )
    path = images.resolve_in_root(settings.IMAGE_ROOT, relative)
    data = images.read_limited(path, name=relative, limits=image_limits())
    return path, images.validate_image(data, name=relative, limits=image_limits())


def item_server_image(*, project: Project, item: Item, key: str) -> tuple[Path, images.ImageInfo]:
    """The server-root file an item's image field names; ValueError when the key is not an
    image field, the value is not a server path, or the file is no longer acceptable."""
    value = item.data.get(key) if key in image_keys(project.schema) else None
    kind, rest = images.ref_kind(value) if isinstance(value, str) else ("", "")
    if kind != "path":
        raise ValueError(f"{key}: not a server-path image")
    return server_image(rest)


def _image_sizes(project: Project, records: Iterable[dict], chunk: int = 500) -> Iterator[dict]:
    """Export records with ``image_sizes`` ({data key: [width, height]}) for each image
    whose size is known: uploads from their ImageAsset, server paths from the file's header,
    URLs from ``<key>_width``/``<key>_height`` in the item data when the import gave them.
    Unknown sizes are left out (the writers report them; nothing is guessed)."""
    keys = image_keys(project.schema)
    page: list[dict] = []

    def flush() -> Iterator[dict]:
        shas = {
            v[len(images.UPLOAD_PREFIX) :]
            for rec in page
            for k in keys
            if isinstance(v := rec["data"].get(k), str) and v.startswith(images.UPLOAD_PREFIX)
        }
        assets = {
            sha: [w, h]
            for sha, w, h in project.images.filter(sha256__in=list(shas)).values_list(
                "sha256", "width", "height"
            )
        }
        for rec in page:
            sizes = {}
            for key in keys:
                value = rec["data"].get(key)
                try:
                    kind, rest = images.ref_kind(value) if isinstance(value, str) else ("", "")
                except ValueError:
                    continue
                size: list[int] | tuple[int, int] | None = None
                if kind == "upload":
                    size = assets.get(rest)
                elif kind == "path" and settings.IMAGE_ROOT is not None:
                    try:
                        size = images.image_size(images.resolve_in_root(settings.IMAGE_ROOT, rest))
                    except ValueError:
                        size = None
                elif kind == "url":
                    w, h = rec["data"].get(f"{key}_width"), rec["data"].get(f"{key}_height")
                    if all(type(v) is int and v > 0 for v in (w, h)):
                        size = [w, h]
                if size:
                    sizes[key] = list(size)
            yield rec | {"image_sizes": sizes}
        page.clear()

    for rec in records:
        page.append(rec)
        if len(page) >= chunk:
            yield from flush()
    yield from flush()
