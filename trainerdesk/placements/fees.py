"""Placement fees and their split: pure arithmetic on integer minor units.

The rule (stored on each placement with the inputs it used):

- **Percent** fee terms: `fee_basis_points` / 10,000 of the first-year pay, where
  first-year pay is the accepted offer's pay annualised: hourly pay × hours per week ×
  52, monthly pay × 12, yearly pay × 1 — whatever the contract's duration, as the fee
  terms say "of first-year pay". The fee is rounded half up to the cent
  (`lib/money.percent_of`). The offer's currency must be the fee currency (no exchange
  rates are guessed).
- **Flat** fee terms: `fee_flat_cents` in `fee_currency`.
- **Split**: the member's commission and the platform's part are the fee divided by
  largest remainder in the ratio commission_basis_points : 10,000 − that
  (`lib/money.split_largest_remainder`), so the two always sum exactly to the fee.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainerdesk.lib.money import percent_of, split_largest_remainder

WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
DEFAULT_COMMISSION_BASIS_POINTS = 5000


class FeeTermsMissing(ValueError):
    pass


@dataclass(frozen=True)
class Fee:
    fee_type: str
    fee_cents: int
    currency: str
    fee_basis_points: int | None = None
    fee_basis_cents: int | None = None


def annualised_pay(*, pay_cents: int, unit: str, hours_per_week: int) -> int:
    if unit == "hour":
        return pay_cents * hours_per_week * WEEKS_PER_YEAR
    if unit == "month":
        return pay_cents * MONTHS_PER_YEAR
    if unit == "year":
        return pay_cents
    raise ValueError(f"unit: {unit!r} is not hour, month or year")


def compute_fee(
    *,
    fee_type: str,
    fee_basis_points: int | None,
    fee_flat_cents: int | None,
    fee_currency: str,
    pay_cents: int,
    pay_currency: str,
    unit: str,
    hours_per_week: int,
) -> Fee:
    if fee_type == "percent":
        if fee_basis_points is None:
            raise FeeTermsMissing("fee_basis_points: a percent fee needs its percentage")
        if pay_currency != fee_currency:
            raise FeeTermsMissing(
                f"currency: the offer pays in {pay_currency} but the fee is in {fee_currency}; "
                "no exchange rate is assumed"
            )
        basis = annualised_pay(pay_cents=pay_cents, unit=unit, hours_per_week=hours_per_week)
        return Fee(
            fee_type="percent",
            fee_cents=percent_of(basis, fee_basis_points),
            currency=fee_currency,
            fee_basis_points=fee_basis_points,
            fee_basis_cents=basis,
        )
    if fee_type == "flat":
        if fee_flat_cents is None:
            raise FeeTermsMissing("fee_flat_cents: a flat fee needs its amount")
        return Fee(fee_type="flat", fee_cents=fee_flat_cents, currency=fee_currency)
    raise FeeTermsMissing("fee_type: the role has no fee terms (percent or flat)")


def split_commission(fee_cents: int, commission_basis_points: int) -> tuple[int, int]:
    """(member's commission, platform's part), summing exactly to `fee_cents`."""
    if not 0 <= commission_basis_points <= 10_000:
        raise ValueError("commission_basis_points: must be between 0 and 10000")
    member, platform = split_largest_remainder(
        fee_cents, [commission_basis_points, 10_000 - commission_basis_points]
    )
    return member, platform
