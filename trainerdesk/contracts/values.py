"""The values a contract's placeholders may be filled with: a whitelist read from the
parties' records (this is the only list of what a template can show), plus the contract's
own dates. Everything is turned into plain text here; rendering escapes it."""

from __future__ import annotations

import datetime
from typing import Any

from trainerdesk.lib.money import format_money

# The legal entity that is the other party to every contract. Governing law (Austria)
# and courts (Vienna) are written into the template texts themselves, not filled in: a
# change of law is a new version someone reads, not a value.
PLATFORM = {"platform.name": "TrainerDesk Network"}
# The contracts are in English: amounts as English readers write them (€177.00), with
# the euro conventions of an English-speaking EU country.
LOCALE = "en_IE"


def _percent(basis_points: int) -> str:
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}%"


def member_values(member: Any) -> dict[str, str]:
    from trainerdesk.network.services.memberships import default_plan

    plan = default_plan()
    period = (
        "year" if plan.period_months == 12 else f"{plan.period_months} months"
    )  # the plan's own period, as people say it
    return {
        "member.display_name": member.display_name,
        "member.country": member.country,
        "member.vat_id": member.vat_id or "none given",
        "plan.name": plan.name,
        "plan.price": format_money(plan.price_cents, plan.currency, LOCALE),
        "plan.period": period,
        "plan.grace_days": str(plan.grace_days),
        "plan.commission": _percent(plan.commission_basis_points),
    }


def client_values(client: Any) -> dict[str, str]:
    address = ", ".join(
        part
        for part in (client.street, f"{client.postal_code} {client.city}".strip(), client.country)
        if part
    )
    return {
        "client.name": client.name,
        "client.legal_name": client.legal_name or client.name,
        "client.address": address,
        "client.country": client.country,
        "client.vat_id": client.vat_id or "none given",
    }


def opening_values(opening: Any) -> dict[str, str]:
    if opening.fee_type == "percent" and opening.fee_basis_points:
        fee = f"{_percent(opening.fee_basis_points)} of the candidate's annualised first-year pay"
    elif opening.fee_type == "flat" and opening.fee_flat_cents:
        fee = f"a flat fee of {format_money(opening.fee_flat_cents, opening.fee_currency, LOCALE)}"
    else:
        fee = ""  # no fee terms: the placeholder is reported missing, not guessed
    return {
        "opening.title": opening.title,
        "opening.contract_type": opening.get_contract_type_display(),
        "opening.positions": str(opening.positions),
        "opening.fee": fee,
        "opening.fee_currency": opening.fee_currency,
        "opening.guarantee_days": str(opening.guarantee_days),
    }


def contract_values(
    *, starts_on: datetime.date | None, ends_on: datetime.date | None, today: datetime.date
) -> dict[str, str]:
    return {
        "contract.date": today.isoformat(),
        "contract.starts_on": (starts_on or today).isoformat(),
        "contract.ends_on": ends_on.isoformat() if ends_on else "no fixed end",
    }


def values_for(
    *,
    member: Any = None,
    client: Any = None,
    opening: Any = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    today: datetime.date,
) -> dict[str, str]:
    values = dict(PLATFORM) | contract_values(starts_on=starts_on, ends_on=ends_on, today=today)
    if member is not None:
        values |= member_values(member)
    if client is not None:
        values |= client_values(client)
    if opening is not None:
        values |= opening_values(opening)
    return values


# The names each kind of template may use: checked when a version is published, so a
# template never asks for a value its contracts cannot have.
CONTRACT_NAMES = ("contract.date", "contract.starts_on", "contract.ends_on")
MEMBER_NAMES = (
    "member.display_name",
    "member.country",
    "member.vat_id",
    "plan.name",
    "plan.price",
    "plan.period",
    "plan.grace_days",
    "plan.commission",
)
CLIENT_NAMES = (
    "client.name",
    "client.legal_name",
    "client.address",
    "client.country",
    "client.vat_id",
)
OPENING_NAMES = (
    "opening.title",
    "opening.contract_type",
    "opening.positions",
    "opening.fee",
    "opening.fee_currency",
    "opening.guarantee_days",
)
_COMMON = (*PLATFORM, *CONTRACT_NAMES)
NAMES_BY_KIND: dict[str, frozenset[str]] = {
    "member_agreement": frozenset((*_COMMON, *MEMBER_NAMES)),
    "client_framework": frozenset((*_COMMON, *CLIENT_NAMES)),
    "role_terms": frozenset((*_COMMON, *CLIENT_NAMES, *OPENING_NAMES)),
}
