"""Money as integer minor units (cents) plus an ISO 4217 code: checks, exact splits,
percentages and display. No floats anywhere, no Django imports.

An amount is an `int` of the currency's minor unit (`17700` EUR is €177.00) stored beside
its code; there is no Money class on purpose: models keep two plain columns and these
functions work on them.

Which currencies: a reviewed table, not a library's list. babel (installed, used below for
display) takes its currency digits from CLDR, which are *display* digits and differ from
ISO 4217's minor unit where it matters: CLDR gives HUF 0 digits (forints are shown without
fillér) while ISO 4217 and the banks' files (SEPA pain.001 amounts) use 2. pycountry
(installed for countries and languages) knows ISO 4217's codes but not their minor units;
a test checks every code here against it. The network bills in the EU (the platform is
Austrian), so the table is the euro, the EU's other currencies in 2026, the EEA's and the
two a client outside the EU most likely pays in. BGN is left out: Bulgaria adopted the euro
on 1 January 2026. Adding a currency is one reviewed line with its ISO 4217 exponent.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from trainerdesk.lib.errors import InvalidInput

# ISO 4217 code -> minor-unit exponent (ISO 4217 "minor unit" column, checked 2026-12).
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,  # euro area (Austria, Croatia since 2023, Bulgaria since 2026, ...)
    "CZK": 2,  # Czechia
    "DKK": 2,  # Denmark
    "HUF": 2,  # Hungary (CLDR shows 0 digits; ISO 4217 and bank files use 2)
    "PLN": 2,  # Poland
    "RON": 2,  # Romania
    "SEK": 2,  # Sweden
    "NOK": 2,  # Norway (EEA)
    "ISK": 0,  # Iceland (EEA): no minor unit in ISO 4217
    "CHF": 2,  # Switzerland and Liechtenstein (EEA)
    "GBP": 2,  # United Kingdom
    "USD": 2,  # United States
}

DEFAULT_LOCALE = "de_AT"


class MoneyError(InvalidInput, ValueError):
    """Bad money input, naming the argument: an InvalidInput for services and the API (a
    400 naming the field) and a ValueError for callers that catch that."""

    def __init__(self, message: str):
        super().__init__([message])


def validate_currency(code: Any, *, field: str = "currency") -> str:
    """`code` as the table's upper-case ISO 4217 code, or InvalidInput naming `field`.

    Lower case is refused rather than upper-cased: a stored code is compared byte for byte
    (ledger legs summing to zero per currency), so the one spelling is the one accepted."""
    if not isinstance(code, str):
        raise MoneyError(f"{field}: must be a three-letter ISO 4217 code, not {code!r}")
    if code not in CURRENCY_EXPONENTS:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise MoneyError(f"{field}: {code!r} is not a supported currency (one of {known})")
    return code


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point of `currency` (2 for EUR: 100 cents a euro)."""
    return CURRENCY_EXPONENTS[validate_currency(currency)]


def _check_amount(amount: Any, field: str) -> int:
    # bool is an int subclass; True cents is a bug, not an amount.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise MoneyError(f"{field}: must be an integer number of minor units (cents)")
    return amount


def _check_weight(weight: Any, position: int) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, int | Fraction):
        raise MoneyError(
            f"weights[{position}]: must be an int or a Fraction (never a float), "
            f"not {type(weight).__name__}"
        )
    if weight < 0:
        raise MoneyError(f"weights[{position}]: must not be negative ({weight})")
    return Fraction(weight)


def split_largest_remainder(total: int, weights: Sequence[int | Fraction]) -> list[int]:
    """`total` minor units in parts proportional to `weights`, summing exactly to `total`.

    Largest remainder (Hamilton's method): each part first gets the floor of its exact share
    (computed with Fractions, so nothing is lost to floats), then the units left over go one
    each to the parts with the largest fractional remainders. Ties go to the larger weight,
    then to the earlier position: so reordering the weights reorders the parts and never
    changes which amounts come out (a 50/50 split of 1 cent is [1, 0], the first party
    getting the odd cent, whichever party is listed first).

    A negative total (a refund, a clawback) is split as its absolute value and negated, so
    a refund takes back exactly what the charge gave each party. A zero weight gets 0.
    Every part is within one unit of its exact share."""
    total = _check_amount(total, "total")
    if not weights:
        raise MoneyError("weights: at least one weight is needed")
    exact_weights = [_check_weight(w, i) for i, w in enumerate(weights)]
    weight_sum = sum(exact_weights, Fraction(0))
    if weight_sum == 0:
        raise MoneyError("weights: at least one weight must be positive")

    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    shares = [magnitude * w / weight_sum for w in exact_weights]
    parts = [share.numerator // share.denominator for share in shares]
    left_over = magnitude - sum(parts)
    # 0 <= left_over < len(parts): each floor lost less than one unit.
    order = sorted(
        range(len(parts)),
        key=lambda i: (-(shares[i] - parts[i]), -exact_weights[i], i),
    )
    for i in order[:left_over]:
        parts[i] += 1
    return [sign * part for part in parts]


def percent_of(amount: int, basis_points: int) -> int:
    """`amount * basis_points / 10000` in whole minor units, rounded half up on the cent.

    Basis points: 2000 is 20% (Austrian VAT), 5000 is 50% (the member's share). "Half up"
    means half away from zero: an exact result of 12.5 cents becomes 13 and -12.5 becomes
    -13, so the percentage of a refund is the negated percentage of the charge. Exact
    integer arithmetic; no float or Decimal context is involved."""
    amount = _check_amount(amount, "amount")
    if isinstance(basis_points, bool) or not isinstance(basis_points, int):
        raise MoneyError("basis_points: must be an integer (2000 is 20%)")
    if basis_points < 0:
        raise MoneyError(f"basis_points: must not be negative ({basis_points})")
    quotient, remainder = divmod(abs(amount) * basis_points, 10_000)
    if remainder * 2 >= 10_000:
        quotient += 1
    return -quotient if amount < 0 else quotient


def to_decimal(amount: int, currency: str) -> Decimal:
    """The amount in major units, exactly (`17700` EUR -> `Decimal("177.00")`)."""
    exponent = minor_unit_exponent(currency)
    return Decimal(_check_amount(amount, "amount")).scaleb(-exponent)


_GROUPING = str.maketrans("", "", " \u00a0\u202f'_")


def parse_amount(text: str, currency: str, *, field: str = "amount") -> int:
    """What a person typed in a money box (`35`, `35.50`, `35,50`, `1.234,50`, `1 234.50`,
    `€ 35`) as an integer of `currency`'s minor units, or MoneyError naming `field`.

    Forms take major units because nobody thinks in cents; the API keeps integer minor
    units. Either mark may be the decimal point, as typed in Austria or Ireland: with both,
    the last one is; with one, it is a decimal point when fewer digits than a thousands
    group follow it (`35,5`, `35,50`), and `1,234`/`1.234` (three digits after a single
    mark) is refused as ambiguous rather than guessed. More decimals than the currency has
    are refused, never rounded: money typed is money meant. Negative amounts are refused
    (no form takes one)."""
    exponent = minor_unit_exponent(currency)
    if not text.strip():
        raise MoneyError(f"{field}: enter an amount in {currency}")
    raw = text.strip()
    for sign in (currency, "€", "$", "£"):
        raw = raw.replace(sign, "")
    return parse_fixed(raw, exponent, field=field, shown=text.strip(), unit=currency)


def parse_percent(text: str, *, field: str = "percent") -> int:
    """A typed percentage (`20`, `20,5 %`) as basis points (2000, 2050); two decimals at
    most, by the rules of `parse_amount`."""
    if not text.strip():
        raise MoneyError(f"{field}: enter a percentage")
    return parse_fixed(text.strip().rstrip("%"), 2, field=field, shown=text.strip(), unit="%")


def parse_fixed(raw: str, exponent: int, *, field: str, shown: str, unit: str) -> int:
    """`raw` (digits, one decimal mark, thousands marks or spaces) times 10**exponent,
    exactly; the rules are `parse_amount`'s."""
    raw = raw.strip().translate(_GROUPING)
    if raw.startswith("-"):
        raise MoneyError(f"{field}: must not be negative ({shown!r})")
    marks = [i for i, ch in enumerate(raw) if ch in ".,"]
    whole, fraction = raw, ""
    if marks:
        last = marks[-1]
        both = "." in raw and "," in raw
        digits_after = len(raw) - last - 1
        if both or (len(marks) == 1 and digits_after != 3):
            whole, fraction = raw[:last], raw[last + 1 :]
        elif len(marks) == 1:
            raise MoneyError(
                f"{field}: {shown!r} is ambiguous; write it without a thousands mark "
                f"(1234) or with {exponent} decimals (1.23)"
            )
        else:  # only one kind of mark, several times: thousands groups
            whole = raw
        groups = whole.replace(",", ".").split(".")
        if len(groups) > 1 and (
            not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
        ):
            raise MoneyError(f"{field}: {shown!r} is not an amount")
        whole = "".join(groups)
    if not whole.isdigit() and not (whole == "" and fraction.isdigit()):
        raise MoneyError(f"{field}: {shown!r} is not an amount")
    if fraction and not fraction.isdigit():
        raise MoneyError(f"{field}: {shown!r} is not an amount")
    if len(fraction) > exponent:
        raise MoneyError(
            f"{field}: {unit} has {exponent} decimal places; {shown!r} has {len(fraction)}"
        )
    return int(whole or "0") * 10**exponent + int(fraction.ljust(exponent, "0") or "0")


def format_amount(amount: int, currency: str) -> str:
    """The amount as a form shows it back for editing: major units with a decimal point,
    no symbol or grouping (`3550` EUR -> `35.50`), which `parse_amount` reads again."""
    return f"{to_decimal(amount, currency):f}"


def format_percent(basis_points: int) -> str:
    """Basis points as a form shows them back (2000 -> `20`, 2050 -> `20.5`)."""
    whole, part = divmod(_check_amount(basis_points, "basis_points"), 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


@lru_cache(maxsize=32)
def _currency_pattern(locale: str, exponent: int) -> Any:
    # babel is imported on first use: lib modules are imported by models and services, and
    # the task worker has no need for CLDR data (DEVELOPERS.md, memory rules).
    from babel import Locale

    parsed = Locale.parse(locale)
    pattern = copy.copy(parsed.currency_formats["standard"])
    # The ISO exponent, not CLDR's display digits: 12.50 HUF is shown as 12,50, not 13.
    pattern.frac_prec = (exponent, exponent)
    return parsed, pattern


def format_money(amount: int, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """The amount for people, in the locale's way: `format_money(17700, "EUR")` is
    `€ 177,00` in de_AT, `€177.00` in en_IE. Every minor unit is shown; nothing rounds."""
    value = to_decimal(amount, currency)
    parsed, pattern = _currency_pattern(locale, minor_unit_exponent(currency))
    return str(pattern.apply(value, parsed, currency=currency, currency_digits=False))
