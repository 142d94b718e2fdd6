"""Which VAT an invoice of the platform charges: pure rules, no Django.

The supplier is the platform, established in Austria (AT). What it sells (recruitment
placement fees to clients, memberships to recruiters) are services, so the place of
supply follows the general rules of the VAT Directive (Council Directive 2006/112/EC):

- **Austrian customer** (business or not): the supply is in Austria; Austrian VAT at the
  standard rate, 20 % (UStG 1994 § 10 (1)).
- **Business customer in another EU member state**, identified by a VAT id that passes
  python-stdnum's format and checksum check for that state: the place of supply is the
  customer's state (Art. 44) and the customer accounts for the VAT (reverse charge,
  Art. 196). No VAT is charged; the invoice must say "Reverse charge" (Art. 226 (11a))
  and carry both VAT ids (Art. 226 (3), (4)).
- **Non-business customer in another EU member state** (or a business there without a
  VAT id to show it is one): the general B2C rule (Art. 45) puts the supply at the
  supplier's establishment, so Austrian VAT at 20 %.
- **Customer outside the EU** (business or not): the supply is not in the EU (Art. 44 for
  businesses; Art. 59 (c), (e) for consultancy and the supply of staff to non-business
  customers outside the EU), so no EU VAT is charged, and the invoice says so.

A VAT id that is given but fails the check is an error naming the field, never quietly
treated as "no VAT id" (that would charge 20 % to a business that is owed reverse charge,
or hide a typo). The online VIES check cannot run offline: every decision carries
`vies_checked=False`, and staff confirm a VIES result separately (the invoicing service
records who confirmed it, audited).

Amounts: integer cents; the rate in basis points (2000 = 20 %). The VAT is computed once on
the invoice's net total per rate (`vat_amount`), rounded half up to the cent (Austrian
practice: the tax is stated per rate on the invoice's total, not summed from rounded
lines), with `lib/money.percent_of`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.money import percent_of

SUPPLIER_COUNTRY = "AT"
AUSTRIAN_STANDARD_RATE_BP = 2000

# The 27 member states in 2026, ISO 3166-1 alpha-2 (Greece is GR here, EL in its VAT ids).
# Written out rather than taken from stdnum's MEMBER_STATES, which also has "xi"
# (Northern Ireland, in the EU VAT area for goods only, not for these services).
EU_MEMBER_STATES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
# VAT id prefixes that differ from the ISO country code.
_VAT_PREFIX = {"GR": "EL"}

REVERSE_CHARGE_MENTION = (
    "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Council Directive "
    "2006/112/EC; place of supply Art. 44). Übergang der Steuerschuld auf den "
    "Leistungsempfänger."
)
OUTSIDE_EU_MENTION = (
    "Not subject to EU VAT: the place of supply is outside the European Union "
    "(Art. 44 and 59 Council Directive 2006/112/EC). Nicht im Inland steuerbar."
)
DOMESTIC_MENTION = "Austrian VAT (USt) 20 %."


class Treatment(enum.StrEnum):
    AUSTRIAN_VAT = "austrian_vat"
    REVERSE_CHARGE = "reverse_charge"
    OUTSIDE_EU = "outside_eu"


class VatInputError(InvalidInput, ValueError):
    """Bad VAT input, the message naming the field (an InvalidInput for services and
    pages, a ValueError for plain callers)."""

    def __init__(self, message: str):
        super().__init__([message])


@dataclass(frozen=True)
class VatDecision:
    treatment: Treatment
    rate_basis_points: int
    mention: str
    # The customer's VAT id as checked (compact, upper case, with its country prefix);
    # "" when none was given.
    customer_vat_id: str
    # The online VIES check was not done (it cannot run offline); staff may confirm later.
    vies_checked: bool = False

    def vat_cents(self, net_cents: int) -> int:
        return vat_amount(net_cents, self.rate_basis_points)


def check_country(country: object, *, field: str = "country") -> str:
    if not (
        isinstance(country, str) and len(country) == 2 and country.isascii() and country.isalpha()
    ):
        raise VatInputError(f"{field}: must be a two-letter ISO 3166 country code, not {country!r}")
    if not country.isupper():
        raise VatInputError(f"{field}: {country!r} must be upper case (e.g. 'AT')")
    return country


def check_vat_id(vat_id: str, *, country: str, field: str = "vat_id") -> str:
    """`vat_id` compacted (spaces, dots, dashes dropped; upper case) if it passes
    python-stdnum's format and checksum check and belongs to `country`; else
    VatInputError naming `field`."""
    country = check_country(country)
    if country not in EU_MEMBER_STATES:
        raise VatInputError(
            f"{field}: {country} is not an EU member state; only EU VAT ids can be checked"
        )
    try:
        compact = eu_vat.validate(vat_id)
    except ValidationError as exc:
        raise VatInputError(f"{field}: {vat_id!r} is not a valid EU VAT id ({exc})") from None
    prefix = _VAT_PREFIX.get(country, country)
    if not compact.startswith(prefix):
        raise VatInputError(
            f"{field}: {compact} is not a VAT id of {country} (it should start with {prefix})"
        )
    return compact


def decide(
    *,
    customer_country: str,
    is_business: bool,
    vat_id: str = "",
    supplier_country: str = SUPPLIER_COUNTRY,
    field: str = "vat_id",
) -> VatDecision:
    """The VAT treatment of a service the Austrian platform supplies to this customer.

    `is_business`: the customer acts as a taxable person (a client company, a member who is
    VAT registered). Reverse charge needs that *and* a VAT id passing the check."""
    if supplier_country != SUPPLIER_COUNTRY:
        raise VatInputError(
            f"supplier_country: only an Austrian supplier is modelled, not {supplier_country!r}"
        )
    customer_country = check_country(customer_country, field="customer_country")
    vat_id = (vat_id or "").strip()
    if customer_country not in EU_MEMBER_STATES:
        # A tax number from outside the EU (a Swiss CHE-..., a UK GB...) has no EU rule to
        # check it by; it is printed as given and decides nothing.
        return VatDecision(Treatment.OUTSIDE_EU, 0, OUTSIDE_EU_MENTION, vat_id)
    checked = check_vat_id(vat_id, country=customer_country, field=field) if vat_id else ""
    if customer_country != SUPPLIER_COUNTRY and is_business and checked:
        return VatDecision(Treatment.REVERSE_CHARGE, 0, REVERSE_CHARGE_MENTION, checked)
    return VatDecision(Treatment.AUSTRIAN_VAT, AUSTRIAN_STANDARD_RATE_BP, DOMESTIC_MENTION, checked)


def vat_amount(net_cents: int, rate_basis_points: int) -> int:
    """The VAT on an invoice's net total at one rate, half up on the cent (a credit note's
    negative net gives exactly the negated VAT of the invoice it credits)."""
    return percent_of(net_cents, rate_basis_points)
