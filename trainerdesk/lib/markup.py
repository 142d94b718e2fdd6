"""Markdown to safe HTML (no Django imports)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def _markdown() -> MarkdownIt:
    # CommonMark (markdown-it-py) rather than Python-Markdown: managers write nested lists
    # the way GitHub renders them (indented under the parent's text, 2-3 spaces), which
    # Python-Markdown only nests at 4 spaces and otherwise runs into the parent item's line.
    # Imported on first use: the models import this module, so every process (the task
    # worker too) would load markdown-it for the few pages that show guidelines or comments.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _same_origin(url: str) -> bool:
    """Whether a URL can only point into this app: a relative reference without scheme or
    host. Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    `/\\evil.example` would be another host: refuse any of those characters outright."""
    if not url or any(c in url for c in "\\\t\n\r ") or url.startswith("//"):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # An image loads as the page opens, so one from another site tells that site who read
    # the text and when (a tracking pixel). Links load only when clicked.
    if tag == "img" and attribute == "src" and not _same_origin(value):
        return None
    return value


def render_markdown(text: str) -> str:
    """Guidelines and comments are written by some and read by everyone: sanitise the
    HTML, and keep images only from this app (relative URLs)."""
    return nh3.clean(_markdown().render(text or ""), attribute_filter=_attribute_filter)
