"""The fee rule and the exact split, over random fees and basis points."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainerdesk.placements import fees


@given(fee=st.integers(0, 10**12), bp=st.integers(0, 10_000))
def test_split_sums_exactly_and_is_within_a_cent(fee, bp):
    member, platform = fees.split_commission(fee, bp)
    assert member + platform == fee
    assert member >= 0 and platform >= 0
    assert abs(member * 10_000 - fee * bp) < 10_000  # within one cent of the exact share


@given(fee=st.integers(0, 10**12))
def test_half_split_differs_by_at_most_a_cent(fee):
    member, platform = fees.split_commission(fee, 5000)
    assert member - platform in (0, 1)


@given(
    pay=st.integers(1, 10**7),
    hours=st.integers(1, 80),
    bp=st.integers(0, 10_000),
    unit=st.sampled_from(["hour", "month", "year"]),
)
def test_percent_fee_is_the_rounded_share_of_annualised_pay(pay, hours, bp, unit):
    fee = fees.compute_fee(
        fee_type="percent", fee_basis_points=bp, fee_flat_cents=None, fee_currency="EUR",
        pay_cents=pay, pay_currency="EUR", unit=unit, hours_per_week=hours,
    )  # fmt: skip
    basis = {"hour": pay * hours * 52, "month": pay * 12, "year": pay}[unit]
    assert fee.fee_basis_cents == basis
    # Half a cent rounds up: 2 × 10,000 × fee is within 10,000 of 2 × basis × bp.
    assert -10_000 < 2 * (fee.fee_cents * 10_000 - basis * bp) <= 10_000


def test_flat_and_missing_terms():
    flat = fees.compute_fee(
        fee_type="flat", fee_basis_points=None, fee_flat_cents=150000, fee_currency="EUR",
        pay_cents=1, pay_currency="USD", unit="hour", hours_per_week=1,
    )  # fmt: skip
    assert (flat.fee_cents, flat.currency) == (150000, "EUR")
    with pytest.raises(fees.FeeTermsMissing, match="no fee terms"):
        fees.compute_fee(
            fee_type="", fee_basis_points=None, fee_flat_cents=None, fee_currency="EUR",
            pay_cents=1, pay_currency="EUR", unit="hour", hours_per_week=1,
        )  # fmt: skip
    with pytest.raises(fees.FeeTermsMissing, match="no exchange rate"):
        fees.compute_fee(
            fee_type="percent", fee_basis_points=2000, fee_flat_cents=None, fee_currency="EUR",
            pay_cents=1, pay_currency="USD", unit="hour", hours_per_week=1,
        )  # fmt: skip
