"""Contract pages. Parties: the list of what they have to sign and have signed, the review
page (the rendered document, its sha256, the accept form) and the PDF. Staff: templates
with their versions (publish a new one), every contract, drafting and the state moves.
Who sees what is `contracts/access.py` (404 for anyone else)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trainerdesk.contracts import access, services
from trainerdesk.contracts.models import Contract, ContractTemplate, Kind
from trainerdesk.contracts.values import NAMES_BY_KIND
from trainerdesk.lib.errors import InvalidInput, WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network.models import Client, Member, Opening
from trainerdesk.workbench.access import key_or_404


def _fail(request: AuthenticatedRequest, exc: WorkbenchError) -> None:
    for problem in getattr(exc, "errors", None) or [str(exc)]:
        messages.error(request, problem)


def _client_ip(request: AuthenticatedRequest) -> str | None:
    # REMOTE_ADDR only, as for sign-ins (accounts/services.py): X-Forwarded-For is whatever
    # the browser wrote unless a trusted proxy set it.
    return request.META.get("REMOTE_ADDR") or None


STAFF_MOVES = frozenset({Contract.Status.SENT, Contract.Status.ACTIVE, Contract.Status.TERMINATED})


# -- parties ----------------------------------------------------------------------------


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    rows = list(access.party_contracts(request.user).order_by("-created_at", "-id")[:200])
    return render(
        request,
        "contracts/mine.html",
        {
            "to_sign": [c for c in rows if c.status == Contract.Status.SENT],
            "others": [c for c in rows if c.status != Contract.Status.SENT],
        },
    )


@login_required
def detail(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    contract = access.get_contract_for_user(request.user, contract_id)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "may_accept": contract.status == Contract.Status.SENT
            and services.is_party(request.user, contract),
            "acceptances": contract.acceptances.select_related("user"),
            "is_staff": request.user.is_staff,
            # The moves staff make here (signing is the party's, expiry the sweep's).
            "next_moves": sorted(services.TRANSITIONS[contract.status] & STAFF_MOVES),
        },
    )


@login_required
@require_POST
def accept(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    contract = access.get_contract_for_user(request.user, contract_id)
    if not services.is_party(request.user, contract):
        raise Http404("No such contract")  # staff see it, but only a party accepts
    if request.POST.get("agree") != "1":
        messages.error(request, "Tick the box to confirm you have read and accept the document.")
        return redirect("contracts:detail", contract.pk)
    try:
        services.accept_contract(
            contract=contract,
            user=request.user,
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            seen_sha256=request.POST.get("sha256", ""),
            by=request.user,
        )
        messages.success(request, "Accepted. A copy is kept with the date and document hash.")
    except WorkbenchError as exc:
        _fail(request, exc)
    return redirect("contracts:detail", contract.pk)


@login_required
def pdf(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    contract = access.get_contract_for_user(request.user, contract_id)
    response = HttpResponse(bytes(contract.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contract-{contract.pk}.pdf"'
    response["X-Content-SHA256"] = contract.pdf_sha256
    return response


# -- staff ------------------------------------------------------------------------------


@login_required
def templates(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    rows = [
        (template, sorted(NAMES_BY_KIND[template.kind]))
        for template in ContractTemplate.objects.prefetch_related("versions")
    ]
    return render(request, "contracts/staff/templates.html", {"templates": rows})


@login_required
@require_POST
def publish(request: AuthenticatedRequest, template_id: int) -> HttpResponse:
    template = access.get_template_for_staff(request.user, template_id)
    try:
        version = services.publish_template_version(
            template=template, body=request.POST.get("body", ""), by=request.user
        )
        messages.success(request, f"Published {template.title} version {version.number}.")
    except WorkbenchError as exc:
        _fail(request, exc)
    return redirect("contracts:staff_templates")


def _date(value: str, field: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput([f"{field}: a date as YYYY-MM-DD"]) from None


def _party(model: type, value: str, field: str) -> object | None:
    if not value:
        return None
    row = model.objects.filter(pk=key_or_404(value)).first()  # type: ignore[attr-defined]
    if row is None:
        raise InvalidInput([f"{field}: no such {field}"])
    return row


@login_required
def staff_contracts(request: AuthenticatedRequest) -> HttpResponse:
    access.require_staff(request.user)
    if request.method == "POST":
        post = request.POST
        try:
            contract = services.draft_contract(
                kind=post.get("kind", ""),
                member=_party(Member, post.get("member", ""), "member"),
                client=_party(Client, post.get("client", ""), "client"),
                opening=_party(Opening, post.get("opening", ""), "opening"),
                starts_on=_date(post.get("starts_on", ""), "starts_on"),
                ends_on=_date(post.get("ends_on", ""), "ends_on"),
                by=request.user,
            )
        except WorkbenchError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "Drafted. Read it, then send it for signature.")
            return redirect("contracts:detail", contract.pk)
    status = request.GET.get("status", "")
    rows = access.visible_contracts(request.user)
    if status in Contract.Status.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "contracts/staff/contracts.html",
        {
            "contracts": rows[:500],
            "status": status,
            "statuses": Contract.Status.choices,
            "kinds": Kind.choices,
            "members": Member.objects.filter(status__in=("pending", "approved")),
            "clients": Client.objects.filter(status="approved"),
            "openings": Opening.objects.select_related("client").exclude(
                status__in=("filled", "closed", "cancelled")
            ),
        },
    )


@login_required
@require_POST
def move(request: AuthenticatedRequest, contract_id: int) -> HttpResponse:
    access.require_staff(request.user)
    contract = access.get_contract_for_user(request.user, contract_id)
    to = request.POST.get("to", "")
    try:
        if to == Contract.Status.SENT:
            services.send_contract(contract=contract, by=request.user)
        elif to == Contract.Status.ACTIVE:
            services.activate_contract(contract=contract, by=request.user)
        elif to == Contract.Status.TERMINATED:
            services.terminate_contract(
                contract=contract, reason=request.POST.get("reason", ""), by=request.user
            )
        else:
            raise InvalidInput([f"to: {to!r} is not a move staff make (sent, active, terminated)"])
        messages.success(request, f"The contract is {to} now.")
    except WorkbenchError as exc:
        _fail(request, exc)
    return redirect("contracts:detail", contract.pk)
