import pytest

from trainerdesk.lib.pdf import PdfError, render_pdf, sha256_hex

PAGE = "<html><body><h1>Invoice AT-2026-0001</h1><p>Reverse charge</p></body></html>"


def test_the_same_html_gives_the_same_bytes():
    # Stored document hashes are only proof if rendering is deterministic.
    first = render_pdf(PAGE, title="Invoice")
    assert first.startswith(b"%PDF-")
    assert sha256_hex(first) == sha256_hex(render_pdf(PAGE, title="Invoice"))
    assert sha256_hex(first) != sha256_hex(render_pdf(PAGE.replace("0001", "0002")))


def test_rendering_a_second_later_gives_the_same_bytes(monkeypatch):
    # fontTools stamps embedded fonts with the current time unless told otherwise.
    import time

    first = render_pdf(PAGE)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    assert render_pdf(PAGE) == first


def test_a_remote_resource_is_refused_not_fetched():
    with pytest.raises(PdfError, match="example.org"):
        render_pdf('<html><body><img src="https://example.org/logo.png"></body></html>')


def test_empty_html_is_an_error():
    with pytest.raises(PdfError, match="empty"):
        render_pdf("  ")


def test_rendering_leaves_pillow_strict_about_truncated_images():
    # WeasyPrint's import flips a Pillow global that the workbench's image check relies on.
    from PIL import ImageFile

    render_pdf(PAGE)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
