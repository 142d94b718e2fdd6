"""The network's pages: home by persona, applying, onboarding. Candidates, roles and the
staff tools are in views_candidates, views_openings and views_staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trainerdesk.lib.errors import WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network import access, services
from trainerdesk.network.career_bridge import career_answers
from trainerdesk.network.models import (
    Client,
    Member,
    Opening,
    RepresentationRequest,
    VatStatus,
)


def fail(request: AuthenticatedRequest, exc: WorkbenchError) -> None:
    for problem in getattr(exc, "errors", None) or [str(exc)]:
        messages.error(request, problem)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    hats = access.personas(user)
    context: dict = {"personas": hats}
    member = access.member_of(user)
    if member is not None:
        done, total = services.onboarding_progress(member)
        context |= {
            "member": member,
            "membership": services.current_membership(member),
            "can_submit": services.member_can_submit(member),
            "guides_done": done,
            "guides_total": total,
            "my_candidates": access.candidates_for(user).distinct()[:10],
            "open_roles": Opening.objects.filter(status="open").select_related("client")[:10],
        }
    if "client" in hats:
        context["client_roles"] = Opening.objects.filter(
            client_id__in=access.client_ids_of(user)
        ).select_related("client")[:20]
    if "candidate" in hats:
        own = access.candidate_of(user)
        context["me"] = own
        context["requests"] = RepresentationRequest.objects.filter(
            candidate=own, status="pending"
        ).select_related("member")
    if "staff" in hats:
        context |= {
            "pending_members": Member.objects.filter(status="pending").select_related("user"),
            "pending_clients": Client.objects.filter(status="pending"),
            "draft_roles": Opening.objects.filter(status="draft").select_related("client"),
        }
    return render(request, "network/home.html", context)


@login_required
def apply(request: AuthenticatedRequest) -> HttpResponse:
    """Apply for membership; a link from the career assessment carries its answers
    (`?assessment=<token>` or `?answers=<signed>`), kept in a hidden field as signed."""
    token = request.GET.get("assessment") or request.POST.get("assessment") or ""
    signed = request.GET.get("answers") or request.POST.get("answers") or ""
    carried = career_answers(token=token, signed=signed)
    if access.member_of(request.user) is not None:
        messages.info(request, "You have already applied.")
        return redirect("network:home")
    values = {
        "display_name": request.user.get_full_name() or request.user.get_username(),
        "country": "",
        "vat_status": "",
        "vat_id": "",
        "street": "",
        "postal_code": "",
        "city": "",
        "bio": "",
    }
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            services.apply_for_membership(
                user=request.user,
                **values,
                application=carried if request.POST.get("bring_answers") else None,
                by=request.user,
            )
        except WorkbenchError as exc:
            fail(request, exc)
        else:
            messages.success(request, "Thank you: staff will review your application.")
            return redirect("network:home")
    return render(
        request,
        "network/apply.html",
        {
            "values": values,
            "carried": carried,
            "token": token,
            "signed": signed,
            "vat_statuses": VatStatus.choices,
        },
    )


@login_required
def onboarding(request: AuthenticatedRequest) -> HttpResponse:
    member = access.approved_member_of(request.user)
    rows = services.onboarding_checklist(member)
    return render(request, "network/onboarding.html", {"rows": rows, "member": member})


@login_required
def guide_page(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    member = access.approved_member_of(request.user)
    found = services.guide(slug)
    if found is None:
        raise Http404("Not found")
    if request.method == "POST":
        services.complete_guide(member=member, slug=slug, by=request.user)
        messages.success(request, f"Marked “{found.title}” as read.")
        return redirect("network:onboarding")
    done = member.guides_done.filter(guide=slug, guide_version=found.version).exists()
    return render(request, "network/guide.html", {"guide": found, "done": done})


@login_required
@require_POST
def renew(request: AuthenticatedRequest) -> HttpResponse:
    member = access.approved_member_of(request.user)
    try:
        services.renew_membership(member=member, by=request.user)
        messages.success(request, "Renewal started: it becomes active once payment is received.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:home")
