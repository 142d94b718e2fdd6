"""Roles (openings) pages: the client portal's list, create, edit (with the requirements
editor) and detail with status changes; staff use the same pages for any client."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trainerdesk.lib.errors import WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network import access, normalise, services
from trainerdesk.network.models import Opening, Requirement
from trainerdesk.network.services.openings import OPENING_FIELDS, REQUIREMENT_FIELDS
from trainerdesk.network.views import fail
from trainerdesk.vetting.models import Domain, TaskType

INT_FIELDS = (
    "duration_months",
    "hours_per_week",
    "pay_cents",
    "positions",
    "fee_basis_points",
    "fee_flat_cents",
    "guarantee_days",
)
EMPTY_REQUIREMENTS = 3


def _number(raw: str, *, real: bool = False):
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw) if real else int(raw)
    except ValueError:
        return raw  # the service names the field


def _values_from(post) -> tuple[dict, list[dict]]:
    values = {name: post.get(name, "").strip() for name in OPENING_FIELDS}
    for name in INT_FIELDS:
        values[name] = _number(values[name])
    # A blank box keeps the form's shown default rather than being an error.
    for name, default in (("guarantee_days", 90), ("positions", 1)):
        if values[name] is None:
            values[name] = default
    columns = {name: post.getlist(f"req_{name}") for name in REQUIREMENT_FIELDS}
    rows = []
    for i, kind in enumerate(columns["kind"]):
        if not kind:
            continue
        row = {
            name: (columns[name][i] if i < len(columns[name]) else "")
            for name in REQUIREMENT_FIELDS
        }
        row["hours"] = _number(row["hours"])
        row["threshold"] = _number(row["threshold"], real=True)
        row["weight"] = _number(row["weight"]) or 1
        rows.append({k: v for k, v in row.items() if v not in ("", None)})
    return values, rows


def _form_context(values: dict, rows: list[dict]) -> dict:
    return {
        "values": values,
        "requirements": rows + [{}] * EMPTY_REQUIREMENTS,
        "task_types": TaskType.choices,
        "domains": Domain.choices,
        "workplaces": Opening.Workplace.choices,
        "contract_types": Opening.ContractType.choices,
        "pay_units": Opening.PayUnit.choices,
        "fee_types": Opening.FeeType.choices,
        "kinds": Requirement.Kind.choices,
        "levels": normalise.LEVELS,
    }


@login_required
def opening_list(request: AuthenticatedRequest) -> HttpResponse:
    qs = access.openings_for(request.user)
    status = request.GET.get("status", "")
    if status in Opening.Status.values:
        qs = qs.filter(status=status)
    clients = access.clients_for(request.user).filter(status="approved")
    return render(
        request,
        "network/openings/list.html",
        {
            "rows": qs[:200],
            "status": status,
            "statuses": Opening.Status.choices,
            "clients": clients,
        },
    )


@login_required
def opening_create(request: AuthenticatedRequest, client_id: int) -> HttpResponse:
    client = access.get_client_for_user(request.user, client_id)
    values: dict = {"guarantee_days": 90, "positions": 1}
    rows: list[dict] = []
    if request.method == "POST":
        values, rows = _values_from(request.POST)
        try:
            opening = services.create_opening(
                client=client, values=values, requirements=rows, by=request.user
            )
        except WorkbenchError as exc:
            fail(request, exc)
        else:
            messages.success(request, "Role saved as a draft: staff approve it before it opens.")
            return redirect("network:opening", opening.pk)
    context = _form_context(values, rows) | {"client": client}
    return render(request, "network/openings/create.html", context)


@login_required
def opening_edit(request: AuthenticatedRequest, opening_id: int) -> HttpResponse:
    opening = access.get_opening_for_user(request.user, opening_id, manage=True)
    if request.method == "POST":
        values, rows = _values_from(request.POST)
        try:
            services.update_opening(
                opening=opening, values=values, requirements=rows, by=request.user
            )
        except WorkbenchError as exc:
            fail(request, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("network:opening", opening.pk)
    else:
        values = {name: getattr(opening, name) for name in OPENING_FIELDS}
        rows = [
            {
                name: getattr(r, name)
                for name in REQUIREMENT_FIELDS
                if getattr(r, name) not in ("", None)
            }
            for r in opening.requirements.all()
        ]
    context = _form_context(values, rows) | {"opening": opening, "client": opening.client}
    return render(request, "network/openings/edit.html", context)


@login_required
def opening_detail(request: AuthenticatedRequest, opening_id: int) -> HttpResponse:
    opening = access.get_opening_for_user(request.user, opening_id)
    manage = request.user.is_staff or opening.client_id in access.client_ids_of(request.user)
    moves = sorted(services.TRANSITIONS[opening.status]) if manage else []
    if not request.user.is_staff:
        moves = [m for m in moves if m != Opening.Status.APPROVED]
    return render(
        request,
        "network/openings/detail.html",
        {
            "opening": opening,
            "requirements": opening.requirements.all(),
            "manage": manage,
            "moves": [(m, Opening.Status(m).label) for m in moves],
            # Staff, and active members, for open roles; never the client's own contacts.
            "can_rank": opening.status == Opening.Status.OPEN
            and (
                request.user.is_staff
                or (not manage and access.active_member(request.user) is not None)
            ),
        },
    )


@login_required
@require_POST
def opening_transition(request: AuthenticatedRequest, opening_id: int) -> HttpResponse:
    opening = access.get_opening_for_user(request.user, opening_id, manage=True)
    try:
        services.transition_opening(
            opening=opening,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
        messages.success(request, "Status changed.")
    except WorkbenchError as exc:
        fail(request, exc)
    return redirect("network:opening", opening.pk)
