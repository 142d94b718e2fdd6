"""Image files for image projects: validation, zip unpacking, references and server paths.

Pure Python plus Pillow (no Django), so every rule is testable on bytes alone.

How an item refers to its image (the value under the schema's image field, e.g.
``data["image"]``):

- ``upload:<sha256>`` — a file uploaded to the project (stored by content hash under
  MEDIA_ROOT, outside the web root, recorded as an ImageAsset, served only to members);
- ``http://…`` / ``https://…`` — an image on the web. The server never fetches it: the
  annotator's browser loads it (CSP ``img-src`` allows TRAINERDESK_IMAGE_URL_SOURCES);
- anything else — a path relative to TRAINERDESK_IMAGE_ROOT on the server (refused when
  that setting is unset). Checked at import and again when served: it must resolve, symlinks
  followed, to a valid image file inside the root.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from PIL import UnidentifiedImageError  # the package alone: a few small modules

from trainerdesk.lib.lazy import lazy_module

# Pillow's Image (several MB with its C core) only where an image is checked or measured:
# most processes never do, and the task worker only for image imports.
Image = lazy_module("PIL.Image")

UPLOAD_PREFIX = "upload:"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Pillow format name -> (content type, file extension). Only formats every browser shows.
ALLOWED = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
_READ_CHUNK = 1024 * 1024


class ImageError(ValueError):
    """A file is not an acceptable image; the message names the file."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_side: int


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    size_bytes: int


def validate_image(data: bytes, *, name: str, limits: Limits) -> ImageInfo:
    """Check that `data` is a whole JPEG, PNG, GIF or WebP image within the limits.

    The type comes from the content, never from the name. Dimensions are checked from the
    header before any pixel is decoded, so a decompression bomb is refused cheaply; the
    image is then verified and decoded once to catch truncated or corrupt files.
    """
    if len(data) > limits.max_bytes:
        raise ImageError(
            f"{name}: {len(data):,} bytes, over the {limits.max_bytes:,}-byte image limit"
        )
    if not data:
        raise ImageError(f"{name}: empty file")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                fmt = _check_size(name, img.format, width, height, limits)
                img.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # verify() does not decode; truncated JPEGs only fail here
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(f"{name}: refused as a decompression bomb ({exc})") from None
        except UnidentifiedImageError:
            raise ImageError(
                f"{name}: not an image (expected JPEG, PNG, GIF or WebP content)"
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError(f"{name}: not an image ({type(exc).__name__}: {exc})") from None
    content_type, extension = ALLOWED[fmt]
    return ImageInfo(
        fmt, content_type, extension, width, height, hashlib.sha256(data).hexdigest(), len(data)
    )


def _check_size(name: str, fmt: str | None, width: int, height: int, limits: Limits) -> str:
    """The image's format, once it is one of ALLOWED and within the limits."""
    if fmt not in ALLOWED:
        raise ImageError(f"{name}: {fmt or 'unknown'} images are not accepted (use JPEG, "
                         "PNG, GIF or WebP)")  # fmt: skip
    if width < 1 or height < 1:
        raise ImageError(f"{name}: has no pixels ({width}x{height})")
    if max(width, height) > limits.max_side:
        raise ImageError(
            f"{name}: {width}x{height} pixels, a side is over the {limits.max_side:,}-pixel limit"
        )
    if width * height > limits.max_pixels:
        raise ImageError(
            f"{name}: {width}x{height} = {width * height:,} pixels, over the "
            f"{limits.max_pixels:,}-pixel limit"
        )
    return fmt


def storage_path(info: ImageInfo) -> str:
    """Where an image lives under MEDIA_ROOT: by hash, so equal files are stored once."""
    return f"images/{info.sha256[:2]}/{info.sha256}.{info.extension}"


# --- zip archives ---------------------------------------------------------------------------


def _skipped_member(member: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(member.filename).parts
    return "__MACOSX" in parts or any(p.startswith(".") and p != ".." for p in parts)


def iter_zip(
    fp: BinaryIO, *, name: str, max_member_bytes: int, max_total_bytes: int
) -> Iterator[tuple[str, bytes | ImageError]]:
    """Yield (label, bytes) per file in a zip, or (label, ImageError) for a refused one.

    Directories, macOS resource forks (__MACOSX) and dotfiles are skipped silently. Member
    names are only used in messages (files are stored by hash), but an unsafe name (absolute
    or with ..) is still refused so a zip-slip archive is reported, not half-imported. Sizes
    are counted while reading, since the sizes a zip header declares can lie.
    """
    try:
        archive = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImageError(f"{name}: not a readable zip archive ({exc})") from None
    total = 0
    with archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            label = f"{name}: {member.filename}"
            path = PurePosixPath(member.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or re.match(r"[A-Za-z]:", path.as_posix()):
                yield label, ImageError(f"{label}: unsafe path in the archive, skipped")
                continue
            if _skipped_member(member):
                continue
            if member.file_size > max_member_bytes:
                yield (
                    label,
                    ImageError(
                        f"{label}: {member.file_size:,} bytes, over the "
                        f"{max_member_bytes:,}-byte image limit"
                    ),
                )
                continue
            try:
                with archive.open(member) as src:
                    data = src.read(max_member_bytes + 1)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                yield label, ImageError(f"{label}: cannot be read from the archive ({exc})")
                continue
            if len(data) > max_member_bytes:
                yield label, ImageError(f"{label}: over the {max_member_bytes:,}-byte image limit")
                continue
            total += len(data)
            if total > max_total_bytes:
                raise ImageError(
                    f"{name}: unpacks to more than {max_total_bytes:,} bytes; stopped at "
                    f"{member.filename} (the files before it are kept)"
                )
            yield label, data


def is_zip(name: str, head: bytes) -> bool:
    return name.lower().endswith(".zip") or head[:4] == b"PK\x03\x04"


# --- references -------------------------------------------------------------------------------


def ref_kind(value: str) -> tuple[str, str]:
    """("upload", sha256) | ("url", url) | ("path", relative path); ValueError otherwise."""
    if value.startswith(UPLOAD_PREFIX):
        digest = value[len(UPLOAD_PREFIX) :]
        if not _SHA256.fullmatch(digest):
            raise ValueError(f'"{value[:80]}" is not upload:<64 hex digits of sha256>')
        return "upload", digest
    lowered = value[:8].lower()
    if lowered.startswith(("http://", "https://")):
        return "url", value
    if _SCHEME.match(value) and not re.match(r"[A-Za-z]:[\\/]", value):
        scheme = value.split(":", 1)[0]
        raise ValueError(f'"{scheme}:" references are not supported (use upload:, https: or '
                         "a path under the image root)")  # fmt: skip
    return "path", value


def resolve_in_root(root: Path, relative: str) -> Path:
    """The real file `relative` names inside `root`, symlinks followed; ValueError when it
    escapes the root, does not exist or is not a regular file."""
    if "\x00" in relative or not relative.strip():
        raise ValueError("empty path or NUL in the path")
    real_root = root.resolve(strict=True)
    try:
        target = (real_root / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        raise ValueError(f'"{relative}" does not exist under the image root') from None
    if not target.is_relative_to(real_root):
        raise ValueError(f'"{relative}" is outside the image root')
    if not target.is_file():
        raise ValueError(f'"{relative}" is not a file')
    return target


def read_limited(path: Path, *, name: str, limits: Limits) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise ImageError(f"{name}: over the {limits.max_bytes:,}-byte image limit")
    return data


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the file's header (no decoding), or None if unreadable."""
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
