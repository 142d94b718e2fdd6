"""Markdown to safe HTML (no Django imports)."""

import nh3
from markdown_it import MarkdownIt

# CommonMark (markdown-it-py) rather than Python-Markdown: managers write nested lists the
# way GitHub renders them (indented under the parent's text, 2-3 spaces), which
# Python-Markdown only nests at 4 spaces and otherwise runs into the parent item's line.
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> str:
    """Guidelines are written by managers but read by everyone: sanitise the HTML."""
    return nh3.clean(_MD.render(text or ""))
