"""Staff pages: member and client approvals, memberships, roles waiting for approval,
and the candidate merge tool. Everyone else gets 404 (access.require_staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trainerdesk.lib.errors import WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network import access, services
from trainerdesk.network.models import Candidate, Member, Membership, Opening
from trainerdesk.network.services.clients import CLIENT_FIELDS
from trainerdesk.network.views import fail


@login_required
def members(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    rows = Member.objects.select_related("user").prefetch_related("memberships")
    return render(
        request,
        "network/staff/members.html",
        {"rows": [(m, services.current_membership(m)) for m in rows[:500]]},
    )


@login_required
@require_POST
def member_decide(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    member = access.get_member_for_staff(request.user, member_id)
    try:
        services.decide_member(
            member=member,
            approve=request.POST.get("approve") == "1",
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
        messages.success(request, f"Decided: {member.display_name}.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:staff_members")


@login_required
@require_POST
def membership_action(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    access.require_staff(request.user)
    membership = Membership.objects.filter(pk=membership_id).first()
    if membership is None:
        raise Http404("Not found")
    try:
        if request.POST.get("action") == "activate":
            services.activate_membership(membership=membership, by=request.user)
        else:
            services.cancel_membership(
                membership=membership, reason=request.POST.get("reason", ""), by=request.user
            )
        messages.success(request, "Membership updated.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:staff_members")


@login_required
def clients(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    values = dict.fromkeys(CLIENT_FIELDS, "")
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in CLIENT_FIELDS}
        try:
            client = services.create_client(**values, by=request.user)
        except WorkbenchError as exc:
            fail(request, exc)
        else:
            messages.success(request, f"Created {client.name}; approve it when the contract is in.")
            return redirect("network:staff_clients")
    rows = access.clients_for(request.user).prefetch_related("contacts__user")
    return render(request, "network/staff/clients.html", {"rows": rows, "values": values})


@login_required
@require_POST
def client_decide(request: AuthenticatedRequest, client_id: int) -> HttpResponse:
    access.require_staff(request.user)
    client = access.get_client_for_user(request.user, client_id)
    try:
        services.decide_client(
            client=client,
            approve=request.POST.get("approve") == "1",
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:staff_clients")


@login_required
@require_POST
def client_contact(request: AuthenticatedRequest, client_id: int) -> HttpResponse:
    access.require_staff(request.user)
    client = access.get_client_for_user(request.user, client_id)
    try:
        services.add_client_contact(
            client=client,
            username=request.POST.get("username", ""),
            email=request.POST.get("email", ""),
            password=request.POST.get("password", ""),
            job_title=request.POST.get("job_title", ""),
            by=request.user,
        )
        messages.success(request, "Contact added.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:staff_clients")


@login_required
def approvals(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    rows = Opening.objects.filter(status=Opening.Status.DRAFT).select_related("client")
    return render(request, "network/staff/approvals.html", {"rows": rows})


@login_required
def merge(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    keep_id, dup_id = request.POST.get("keep", ""), request.POST.get("duplicate", "")
    if request.method == "POST":
        if not (keep_id.isdigit() and dup_id.isdigit()):
            messages.error(request, "keep, duplicate: give both candidate ids")
        else:
            keep = access.get_candidate_for_user(request.user, int(keep_id))
            duplicate = access.get_candidate_for_user(request.user, int(dup_id))
            try:
                services.merge_candidates(keep=keep, duplicate=duplicate, by=request.user)
                messages.success(request, f"Merged #{duplicate.pk} into #{keep.pk}.")
                return redirect("network:candidate", keep.pk)
            except WorkbenchError as exc:
                fail(request, exc)
    q = request.GET.get("q", "").strip()
    rows = []
    if q:
        from trainerdesk.network.api_candidates import search

        rows = list(search(Candidate.objects.live(), q)[:50])
    return render(request, "network/staff/merge.html", {"rows": rows, "q": q})
