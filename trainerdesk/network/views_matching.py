"""Matching pages: a member's (or staff's) ranking of an open opening, one ranked
candidate's explanation, and a candidate's "roles I fit" and "explain my ranking".

The score only orders candidates; a person decides (GDPR Art. 22): every page says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.lazy import lazy_module
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network.access import (
    active_member,
    latest_ranking,
    open_opening,
    opening_for_ranking,
    own_candidate,
    visible_results,
)
from trainerdesk.network.models import Opening
from trainerdesk.network.services import matching as matching_services

if TYPE_CHECKING:
    from trainerdesk.network import matching as core
else:  # NumPy loads on first use (lib/lazy.py)
    core = lazy_module("trainerdesk.network.matching")

# -- pages ------------------------------------------------------------------------------


@login_required
@require_GET
def openings(request: AuthenticatedRequest) -> HttpResponse:
    """Staff and active members: the openings they may rank candidates for."""
    if request.user.is_staff:
        qs = Opening.objects.exclude(status="draft")
    elif active_member(request.user) is not None:
        qs = Opening.objects.filter(status="open")
    else:
        raise Http404("No rankings for you")
    rows = qs.select_related("client").order_by("-created_at", "-id")[:200]
    return TemplateResponse(
        request,
        "network/matching/openings.html",
        {"openings": rows, "rule": core.RULE, "rule_version": core.RULE_VERSION},
    )


@login_required
@require_http_methods(["GET", "POST"])
def ranking(request: AuthenticatedRequest, opening_id: int) -> HttpResponse:
    opening, member = opening_for_ranking(request.user, opening_id)
    if request.method == "POST":
        try:
            matching_services.rank_opening(opening=opening, member=member, by=request.user)
        except (InvalidInput, ConflictError) as exc:
            messages.error(request, str(exc))
        return redirect("matching:ranking", opening.pk)
    current = latest_ranking(opening, member)
    results = visible_results(current, member) if current else []
    context = {
        "opening": opening,
        "member": member,
        "ranking": current,
        "ranked": [e for e in results if e["rank"] is not None],
        "failed": [e for e in results if e["rank"] is None],
        "requirements": list(opening.requirements.all()),
    }
    return TemplateResponse(request, "network/matching/ranking.html", context)


@login_required
@require_GET
def ranked_candidate(
    request: AuthenticatedRequest, opening_id: int, candidate_id: int
) -> HttpResponse:
    """One candidate's entry in the viewer's latest ranking, explained."""
    opening, member = opening_for_ranking(request.user, opening_id)
    current = latest_ranking(opening, member)
    entry = (
        next((e for e in visible_results(current, member) if e["candidate"] == candidate_id), None)
        if current
        else None
    )
    if entry is None:
        raise Http404("Not in your ranking")
    context = {
        "opening": opening,
        "ranking": current,
        "entry": entry,
        "back": reverse("matching:ranking", args=[opening.pk]),
    }
    return TemplateResponse(request, "network/matching/explain.html", context)


@login_required
@require_GET
def my_openings(request: AuthenticatedRequest) -> HttpResponse:
    person = own_candidate(request.user)
    found = matching_services.openings_for_candidate(candidate=person)
    return TemplateResponse(
        request, "network/matching/my_openings.html", {"candidate": person, "found": found}
    )


@login_required
@require_GET
def my_explanation(request: AuthenticatedRequest, opening_id: int) -> HttpResponse:
    person = own_candidate(request.user)
    opening = open_opening(opening_id)
    entry = matching_services.explain_for_candidate(candidate=person, opening=opening)
    context = {
        "opening": opening,
        "ranking": None,
        "entry": entry,
        "own": True,
        "back": reverse("matching:my_openings"),
    }
    return TemplateResponse(request, "network/matching/explain.html", context)
