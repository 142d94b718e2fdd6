"""Roles (openings) pages: the client portal's list, create, edit (with the requirements
editor) and detail with status changes; staff use the same pages for any client."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trainerdesk.lib import money
from trainerdesk.lib.errors import InvalidInput, WorkbenchError
from trainerdesk.lib.request_types import AuthenticatedRequest
from trainerdesk.network import access, normalise, services
from trainerdesk.network.models import Opening, Requirement
from trainerdesk.network.services.openings import OPENING_FIELDS, REQUIREMENT_FIELDS
from trainerdesk.network.views import fail
from trainerdesk.vetting.models import Domain, TaskType

INT_FIELDS = ("duration_months", "hours_per_week", "positions", "guarantee_days")
# Money and percentages are typed in major units (35,50; 20 %), stored in minor units and
# basis points: (form box, stored field, its currency field or None for a percentage).
TYPED_BOXES = (
    ("pay", "pay_cents", "pay_currency"),
    ("fee_flat", "fee_flat_cents", "fee_currency"),
    ("fee_percent", "fee_basis_points", None),
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


def _typed(post, values: dict) -> tuple[dict, list[str]]:
    shown, problems = {}, []
    for box, field, currency_field in TYPED_BOXES:
        shown[box] = post.get(box, "").strip()
        values[field] = None
        if not shown[box]:
            continue
        try:
            if currency_field is None:
                values[field] = money.parse_percent(shown[box], field=box)
            else:
                currency = values[currency_field] or "EUR"
                if currency not in money.CURRENCY_EXPONENTS:
                    continue  # the service names the currency field
                values[field] = money.parse_amount(shown[box], currency, field=box)
        except money.MoneyError as exc:
            problems.extend(exc.errors)
    return shown, problems


def _in_form_terms(exc: WorkbenchError) -> WorkbenchError:
    """The service names stored fields (`pay_cents`); the page shows the box (`pay`)."""
    box_of = {field: box for box, field, _ in TYPED_BOXES}
    if isinstance(exc, InvalidInput):
        renamed = []
        for problem in exc.errors:
            name, sep, rest = problem.partition(":")
            renamed.append(f"{box_of.get(name, name)}{sep}{rest}")
        return InvalidInput(renamed)
    return exc


def _shown(opening: Opening) -> dict:
    return {
        "pay": money.format_amount(opening.pay_cents, opening.pay_currency),
        "fee_flat": (
            money.format_amount(opening.fee_flat_cents, opening.fee_currency)
            if opening.fee_flat_cents is not None
            else ""
        ),
        "fee_percent": (
            money.format_percent(opening.fee_basis_points)
            if opening.fee_basis_points is not None
            else ""
        ),
    }


def _values_from(post) -> tuple[dict, list[dict], dict, list[str]]:
    """The service's values and requirement rows from the form, what to show back in the
    typed boxes, and what could not be read (named by box)."""
    values = {name: post.get(name, "").strip() for name in OPENING_FIELDS}
    for name in INT_FIELDS:
        values[name] = _number(values[name])
    shown, problems = _typed(post, values)
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
    return values, rows, shown, problems


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
    shown: dict = {}
    if request.method == "POST":
        values, rows, shown, problems = _values_from(request.POST)
        try:
            if problems:
                raise InvalidInput(problems)
            opening = services.create_opening(
                client=client, values=values, requirements=rows, by=request.user
            )
        except WorkbenchError as exc:
            fail(request, _in_form_terms(exc))
        else:
            messages.success(request, "Role saved as a draft: staff approve it before it opens.")
            return redirect("network:opening", opening.pk)
    context = _form_context(values | shown, rows) | {"client": client}
    return render(request, "network/openings/create.html", context)


@login_required
def opening_edit(request: AuthenticatedRequest, opening_id: int) -> HttpResponse:
    opening = access.get_opening_for_user(request.user, opening_id, manage=True)
    if request.method == "POST":
        values, rows, shown, problems = _values_from(request.POST)
        try:
            if problems:
                raise InvalidInput(problems)
            services.update_opening(
                opening=opening, values=values, requirements=rows, by=request.user
            )
        except WorkbenchError as exc:
            fail(request, _in_form_terms(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("network:opening", opening.pk)
    else:
        values = {name: getattr(opening, name) for name in OPENING_FIELDS}
        shown = _shown(opening)
        rows = [
            {
                name: getattr(r, name)
                for name in REQUIREMENT_FIELDS
                if getattr(r, name) not in ("", None)
            }
            for r in opening.requirements.all()
        ]
    context = _form_context(values | shown, rows) | {"opening": opening, "client": opening.client}
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
