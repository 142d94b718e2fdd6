"""The progress card of a background run (workbench/runs.py): its context, and the
answer to htmx's polls, for every page that shows a run."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.response import TemplateResponse

from trainerdesk.workbench.runs import BackgroundRun

TEMPLATE = "workbench/_run_progress.html"


def card_context(
    run: BackgroundRun,
    *,
    poll_url: str,
    card_id: str,
    title: str,
    percent_of: str = "",
    details: str = "",
) -> dict:
    """What _run_progress.html needs; merge it into the page's context."""
    return {
        "run": run,
        "poll_url": poll_url,
        "card_id": card_id,
        "title": title,
        "percent_of": percent_of,
        "details": details,
    }


def run_progress(
    request: HttpRequest, context: dict, *, page_url: str | None = None
) -> TemplateResponse:
    """The card alone, as the answer to a poll. With page_url: a run that finished while
    the browser watched (the poll says it was queued or running) sends the browser to
    page_url once, for results the card does not show."""
    response = TemplateResponse(request, TEMPLATE, context)
    run = context["run"]
    if page_url and run.is_finished and request.GET.get("was") in ("queued", "running"):
        response["HX-Redirect"] = page_url
    return response
