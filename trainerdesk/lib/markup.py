"""Markdown to safe HTML (no Django imports)."""

import markdown
import nh3


def render_markdown(text: str) -> str:
    """Guidelines are written by managers but read by everyone: sanitise the HTML."""
    return nh3.clean(markdown.markdown(text or "", extensions=["extra", "sane_lists"]))
