"""Clients' openings ("roles" in the UI) with their requirements and fee terms, and the
states they move through: draft -> approved (staff) -> open -> on_hold -> filled /
closed / cancelled."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit, money
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import normalise
from trainerdesk.network.models import ApprovalStatus, Client, Opening, Requirement
from trainerdesk.network.services.common import choice, positive_int, require_staff, text
from trainerdesk.vetting.models import Domain, TaskType

St = Opening.Status
K = Requirement.Kind
# from -> the states it may move to. Approval is staff's; the rest the client's or staff's.
TRANSITIONS: dict[str, frozenset[str]] = {
    St.DRAFT: frozenset({St.APPROVED, St.CANCELLED}),
    St.APPROVED: frozenset({St.OPEN, St.CANCELLED}),
    St.OPEN: frozenset({St.ON_HOLD, St.FILLED, St.CLOSED, St.CANCELLED}),
    St.ON_HOLD: frozenset({St.OPEN, St.FILLED, St.CLOSED, St.CANCELLED}),
    St.FILLED: frozenset(),
    St.CLOSED: frozenset(),
    St.CANCELLED: frozenset(),
}
EDITABLE = (St.DRAFT, St.APPROVED, St.ON_HOLD)
OPENING_FIELDS = (
    "title",
    "description",
    "task_type",
    "domain",
    "workplace",
    "location",
    "contract_type",
    "duration_months",
    "hours_per_week",
    "pay_cents",
    "pay_currency",
    "pay_unit",
    "positions",
    "fee_type",
    "fee_basis_points",
    "fee_flat_cents",
    "fee_currency",
    "guarantee_days",
)
REQUIREMENT_FIELDS = (
    "kind",
    "language",
    "level",
    "region",
    "hours",
    "task_type",
    "domain",
    "threshold",
    "weight",
)


def may_manage(user: Any, client: Client) -> bool:
    """Staff, or a contact of the client."""
    return bool(user) and (user.is_staff or client.contacts.filter(user=user).exists())


def _currency(value: Any, field: str) -> str:
    # lib/money's reviewed table, not every ISO 4217 code: an amount is stored in minor
    # units, so the currency's exponent must be known (and invoiced in) for it to mean
    # anything.
    code = (value or "EUR").strip().upper() if isinstance(value, str) or value is None else value
    return money.validate_currency(code, field=field)


def clean_fee_terms(values: dict[str, Any]) -> dict[str, Any]:
    """A fee type must come with its amount, and only that amount: a percentage in basis
    points of first-year pay (1..10000), or a flat fee in minor units (> 0)."""
    fee_type = choice(
        values.get("fee_type") or "", "fee_type", Opening.FeeType.choices, required=False
    )
    bp = positive_int(values.get("fee_basis_points"), "fee_basis_points", low=1, high=10000)
    flat = positive_int(values.get("fee_flat_cents"), "fee_flat_cents", low=1, high=10**10)
    if fee_type == Opening.FeeType.PERCENT and bp is None:
        raise InvalidInput(["fee_basis_points: a percentage fee needs its rate (2000 = 20 %)"])
    if fee_type == Opening.FeeType.FLAT and flat is None:
        raise InvalidInput(["fee_flat_cents: a flat fee needs its amount"])
    if fee_type != Opening.FeeType.PERCENT and bp is not None:
        raise InvalidInput(["fee_basis_points: only for a percentage fee"])
    if fee_type != Opening.FeeType.FLAT and flat is not None:
        raise InvalidInput(["fee_flat_cents: only for a flat fee"])
    return {
        "fee_type": fee_type,
        "fee_basis_points": bp,
        "fee_flat_cents": flat,
        "fee_currency": _currency(values.get("fee_currency"), "fee_currency"),
        "guarantee_days": positive_int(values.get("guarantee_days", 90), "guarantee_days", high=730)
        or 0,
    }


def clean_opening(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(OPENING_FIELDS)
    if unknown:
        raise InvalidInput([f"{name}: unknown field" for name in sorted(unknown)])
    clean = {
        "title": text(values.get("title"), "title", max_length=200),
        "description": text(
            values.get("description"), "description", max_length=20000, required=False
        ),
        "task_type": choice(values.get("task_type"), "task_type", TaskType.choices),
        "domain": choice(values.get("domain") or Domain.GENERAL, "domain", Domain.choices),
        "workplace": choice(
            values.get("workplace") or "remote", "workplace", Opening.Workplace.choices
        ),
        "location": text(values.get("location"), "location", max_length=200, required=False),
        "contract_type": choice(
            values.get("contract_type"), "contract_type", Opening.ContractType.choices
        ),
        "duration_months": positive_int(
            values.get("duration_months"), "duration_months", low=1, high=120
        ),
        "hours_per_week": positive_int(
            values.get("hours_per_week"), "hours_per_week", low=1, high=80
        ),
        "pay_cents": positive_int(values.get("pay_cents"), "pay_cents", low=1, high=10**9),
        "pay_currency": _currency(values.get("pay_currency"), "pay_currency"),
        "pay_unit": choice(values.get("pay_unit") or "hour", "pay_unit", Opening.PayUnit.choices),
        "positions": positive_int(values.get("positions", 1), "positions", low=1, high=1000),
    }
    for name in ("hours_per_week", "pay_cents", "positions"):
        if clean[name] is None:
            raise InvalidInput([f"{name}: required"])
    return clean | clean_fee_terms(values)


def clean_requirement(values: dict[str, Any], opening_values: dict[str, Any], i: int) -> dict:
    where = f"requirements[{i}]"
    unknown = set(values) - set(REQUIREMENT_FIELDS)
    if unknown:
        raise InvalidInput([f"{where}.{name}: unknown field" for name in sorted(unknown)])
    kind = choice(values.get("kind"), f"{where}.kind", K.choices)
    weight = positive_int(values.get("weight", 1), f"{where}.weight", low=1, high=10) or 1
    row: dict[str, Any] = {"kind": kind, "weight": weight}
    threshold = values.get("threshold")
    if kind == K.LANGUAGE:
        row["language"] = normalise.language(values.get("language"), f"{where}.language")
        row["level"] = normalise.level(values.get("level"), f"{where}.level")
    elif kind == K.WORK_AUTHORISATION:
        row["region"] = normalise.country(values.get("region"), f"{where}.region", allow_eu=True)
    elif kind == K.AVAILABILITY:
        row["hours"] = positive_int(values.get("hours"), f"{where}.hours", low=1, high=80)
        if row["hours"] is None:
            raise InvalidInput([f"{where}.hours: required"])
    else:
        row["task_type"] = choice(
            values.get("task_type") or opening_values["task_type"],
            f"{where}.task_type",
            TaskType.choices,
        )
        row["domain"] = choice(
            values.get("domain") or opening_values["domain"], f"{where}.domain", Domain.choices
        )
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise InvalidInput([f"{where}.threshold: required (a number)"])
        if kind == K.LEAD_TIME:
            if not 0 < threshold <= 86400:
                raise InvalidInput([f"{where}.threshold: seconds per item, above 0"])
        elif not 0 <= threshold <= 1:
            raise InvalidInput([f"{where}.threshold: between 0 and 1"])
        row["threshold"] = float(threshold)
    return row


def _save_requirements(opening: Opening, rows: list[dict]) -> None:
    opening.requirements.all().delete()
    Requirement.objects.bulk_create(Requirement(opening=opening, **row) for row in rows)


def create_opening(
    *,
    client: Client,
    values: dict[str, Any],
    requirements: list[dict] | None = None,
    by: Any,
) -> Opening:
    if not may_manage(by, client):
        raise ConflictError("only the client's contacts or staff create its roles")
    if client.status != ApprovalStatus.APPROVED:
        raise ConflictError("the client is not approved yet")
    clean = clean_opening(values)
    rows = [clean_requirement(r, clean, i) for i, r in enumerate(requirements or [])]
    with transaction.atomic():
        opening = Opening.objects.create(client=client, **clean, created_by=by)
        _save_requirements(opening, rows)
        audit.record(
            action="network.opening.create",
            obj=opening,
            by=by,
            changes={"client": client.pk, "requirements": len(rows)},
        )
    return opening


def update_opening(
    *, opening: Opening, values: dict[str, Any], requirements: list[dict] | None = None, by: Any
) -> Opening:
    """Changes go back through approval: an approved role that is edited is a draft again
    (staff approved what they read)."""
    if not may_manage(by, opening.client):
        raise ConflictError("only the client's contacts or staff change its roles")
    with transaction.atomic():
        opening = Opening.objects.select_for_update().get(pk=opening.pk)
        if opening.status not in EDITABLE:
            raise ConflictError(
                f"a role that is {opening.get_status_display().lower()} cannot be changed"
            )
        current = {f: getattr(opening, f) for f in OPENING_FIELDS}
        clean = clean_opening(current | values)
        rows = (
            [clean_requirement(r, clean, i) for i, r in enumerate(requirements)]
            if requirements is not None
            else None
        )
        before = audit.snapshot(opening, OPENING_FIELDS)
        for name, value in clean.items():
            setattr(opening, name, value)
        changes = audit.changed_fields(before, opening, OPENING_FIELDS)
        if rows is not None:
            _save_requirements(opening, rows)
            changes["requirements"] = len(rows)
        if opening.status == St.APPROVED and not by.is_staff and changes:
            changes["status"] = {"before": opening.status, "after": St.DRAFT}
            opening.status = St.DRAFT
        opening.updated_at = timezone.now()
        opening.save()
        audit.record(action="network.opening.update", obj=opening, by=by, changes=changes)
    return opening


def transition_opening(*, opening: Opening, to: str, reason: str = "", by: Any) -> Opening:
    if to not in St.values:
        raise InvalidInput([f"status: one of {', '.join(St.values)}"])
    if to == St.APPROVED:
        require_staff(by)
    elif not may_manage(by, opening.client):
        raise ConflictError("only the client's contacts or staff change a role's status")
    with transaction.atomic():
        opening = Opening.objects.select_for_update().get(pk=opening.pk)
        if to not in TRANSITIONS[opening.status]:
            allowed = ", ".join(sorted(TRANSITIONS[opening.status])) or "none (final)"
            raise ConflictError(
                f"status: a role that is {opening.status} cannot become {to} (allowed: {allowed})"
            )
        if to in (St.APPROVED, St.OPEN) and not opening.fee_type:
            raise ConflictError("fee_type: set the fee terms before the role is approved or opened")
        before = opening.status
        opening.status = to
        opening.updated_at = timezone.now()
        fields = ["status", "updated_at"]
        if to == St.APPROVED:
            opening.approved_at, opening.approved_by = timezone.now(), by
            fields += ["approved_at", "approved_by"]
        opening.save(update_fields=fields)
        audit.record(
            action="network.opening.transition",
            obj=opening,
            by=by,
            reason=reason,
            changes={"status": {"before": before, "after": to}},
        )
    return opening
