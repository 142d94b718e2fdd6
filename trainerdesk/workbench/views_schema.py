"""Live check of a label schema being edited on the settings page (htmx): the same
validation the save runs (schema.parse_schema), answered while the manager types."""

from __future__ import annotations

import json
import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from trainerdesk.workbench import access
from trainerdesk.workbench.schema import SchemaError, parse_schema

_FIELD_PATH = re.compile(r"^fields\[(\d+)\]")


def _named(errors: list[str], text: str) -> list[str]:
    """`fields[1].labels[0].hotkey: …` becomes `fields[1] ("topic").labels[0].hotkey: …`,
    so the message names the field the manager knows, not only its position."""
    try:
        doc = json.loads(text)
        names = [f.get("name") if isinstance(f, dict) else None for f in doc["fields"]]
    except (ValueError, TypeError, KeyError):
        return errors
    out = []
    for error in errors:
        match = _FIELD_PATH.match(error)
        i = int(match[1]) if match else -1
        if 0 <= i < len(names) and isinstance(names[i], str) and names[i]:
            error = f'{match[0]} ("{names[i]}"){error[match.end() :]}'
        out.append(error)
    return out


@login_required
@require_POST
def schema_check(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    text = request.POST.get("label_schema", "")
    try:
        schema = parse_schema(text)
    except SchemaError as exc:
        context = {"project": project, "errors": _named(exc.errors, text)}
        # 422: htmx swaps it in (see base.html's responseHandling) and the form is not saved.
        return TemplateResponse(request, "workbench/_schema_check.html", context, status=422)
    context = {"project": project, "errors": [], "fields": schema.fields}
    return TemplateResponse(request, "workbench/_schema_check.html", context)
