"""HTML to PDF for documents that are kept and hashed (invoices, credit notes, contracts).

WeasyPrint (a CSS layout engine in Python on the system's Pango) rather than chromium's
print-to-PDF: no browser process per document, and its output is byte-for-byte the same for
the same HTML (WeasyPrint writes no creation time or random document id unless asked), so a
stored sha256 proves which document someone saw. `render_pdf` is that contract: callers
render their template to a string, pass it here, store the bytes and `sha256_hex(bytes)`.

Nothing is fetched: the url fetcher refuses every URL (a template that points at a remote
stylesheet or image fails loudly instead of reaching the internet at run time); CSS goes
inline in the template. WeasyPrint is imported on first use: it pulls in fontTools, cffi and
Pango bindings that no web or worker process should carry until it makes a PDF.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

# fontTools (WeasyPrint's font subsetter) stamps each embedded font's `head.modified` with
# the current second unless SOURCE_DATE_EPOCH (the reproducible-builds convention) is set:
# without it the same HTML gave a different PDF once a second (seen: 5 hashes in 30
# renders). Set for the render only, under a lock because the environment is per process.
_ENV_LOCK = threading.Lock()
FONT_TIMESTAMP = "0"


class PdfError(ValueError):
    """The document could not be rendered; the message says why."""


def render_pdf(html: str, *, title: str | None = None) -> bytes:
    """The PDF for `html`. The same `html` always gives the same bytes."""
    if not html.strip():
        raise PdfError("nothing to render: the HTML is empty")
    from PIL import ImageFile

    # Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES to True, after
    # which every half-uploaded image in this process would pass the workbench's image
    # check (seen: test_truncated_images_are_refused failing once an invoice had been
    # rendered). Our documents load no images at all, so the flag is put back.
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML  # first use only: see the module docstring
    from weasyprint.urls import URLFetcher

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    refused: list[str] = []

    class RefuseAll(URLFetcher):
        # WeasyPrint logs a fetcher's error and renders on without the resource; keep
        # the URL so the caller gets an error instead of a document with a hole.
        def fetch(self, url: str, headers: Any = None) -> Any:
            refused.append(url)
            raise PdfError(url)

    with _ENV_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = FONT_TIMESTAMP
        try:
            document = HTML(string=html, url_fetcher=RefuseAll()).render()
            if refused:
                raise PdfError(f"PDF templates may not load resources; found {refused[0]!r}")
            if title is not None:
                document.metadata.title = title
            pdf = document.write_pdf()
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise PdfError("the PDF engine returned no bytes")
    return pdf


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
