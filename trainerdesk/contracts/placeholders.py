"""The placeholder syntax of contract templates and how a body becomes HTML (no Django).

A placeholder is `{{ name }}` or `{{ group.name }}`: lower-case letters, digits and
underscores, dot-separated. It is replaced by a plain value from a dict the services build
from whitelisted fields of the parties (see `contracts.values`), never by evaluating
anything: templates are text staff write, and Django template execution would let a
template reach any attribute of the objects passed in. Anything else between braces is a
syntax error naming the line, so a typo is not signed as literal text.

Rendering: each placeholder is swapped for an opaque letters-only token, the Markdown is
rendered and sanitised by `lib.markup.render_markdown` (CommonMark + nh3), and only then
are the tokens replaced by the HTML-escaped values. So a value is always text: `*` or `<b>`
in a client's name is shown as typed, never read as Markdown or HTML.
"""

from __future__ import annotations

import html
import re

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.markup import render_markdown

NAME = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*"
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r")\s*\}\}")
# Anything that opens like a placeholder: checked against PLACEHOLDER to report typos.
OPENING = re.compile(r"\{\{(.*?)(\}\}|$)", re.MULTILINE)
MAX_VALUE_LENGTH = 2000


def placeholder_names(body: str) -> list[str]:
    """The names `body` uses, in order of first use; InvalidInput for a malformed one."""
    errors = []
    for number, line in enumerate(body.splitlines(), start=1):
        for match in OPENING.finditer(line):
            if not PLACEHOLDER.fullmatch(match.group(0)):
                errors.append(
                    f"body line {number}: {match.group(0)!r} is not a placeholder "
                    "(write {{ name }} or {{ group.name }} in lower case)"
                )
    if errors:
        raise InvalidInput(errors)
    return list(dict.fromkeys(PLACEHOLDER.findall(body)))


def missing_values(names: list[str], values: dict[str, str]) -> list[str]:
    return [name for name in names if not str(values.get(name) or "").strip()]


def render_body(body: str, values: dict[str, str]) -> str:
    """The body as sanitised HTML with every placeholder filled (escaped). A placeholder
    without a value is an error naming it; nothing is rendered with a hole."""
    names = placeholder_names(body)
    missing = missing_values(names, values)
    if missing:
        raise InvalidInput([f"{{{{ {name} }}}}: no value to fill in" for name in missing])
    tokens = {name: f"TDPLACEHOLDER{i:04d}X" for i, name in enumerate(names)}
    if any(token in body for token in tokens.values()):
        raise InvalidInput(["body: contains the reserved word TDPLACEHOLDER"])
    marked = PLACEHOLDER.sub(lambda m: tokens[m.group(1)], body)
    rendered = render_markdown(marked)
    for name, token in tokens.items():
        rendered = rendered.replace(token, html.escape(str(values[name]), quote=True))
    return rendered
