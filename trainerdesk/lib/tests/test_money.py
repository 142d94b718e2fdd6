"""lib/money: exact splits (property-based, hypothesis), percentages, currencies, display."""

import re
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainerdesk.lib import money
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.money import (
    CURRENCY_EXPONENTS,
    format_money,
    minor_unit_exponent,
    percent_of,
    split_largest_remainder,
    to_decimal,
    validate_currency,
)

# Fees up to ten million euros in cents, refunds included.
totals = st.integers(min_value=-(10**9), max_value=10**9)
int_weights = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=12).filter(
    any
)
fraction_weights = st.lists(
    st.fractions(min_value=0, max_value=100, max_denominator=1000), min_size=1, max_size=8
).filter(any)
# Small weights and totals make ties between remainders common, where tie-breaks matter.
small_weights = st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=6).filter(any)
weights = st.one_of(int_weights, fraction_weights, small_weights)
totals = st.one_of(totals, st.integers(min_value=-50, max_value=50))

settings.register_profile("money", max_examples=300, deadline=None)
settings.load_profile("money")


@given(totals, weights)
def test_parts_always_sum_to_the_total(total, weights):
    parts = split_largest_remainder(total, weights)

    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(isinstance(part, int) for part in parts)


@given(totals, weights)
def test_each_part_is_within_one_unit_of_its_exact_share(total, weights):
    weight_sum = sum(Fraction(w) for w in weights)

    for part, weight in zip(split_largest_remainder(total, weights), weights, strict=True):
        exact = Fraction(total) * Fraction(weight) / weight_sum
        assert abs(part - exact) < 1, (part, exact)
        if weight == 0:
            assert part == 0


@given(totals, weights, st.randoms(use_true_random=False))
def test_reordering_the_weights_never_changes_the_amounts(total, weights, rng):
    shuffled = list(weights)
    rng.shuffle(shuffled)

    original = Counter(zip(weights, split_largest_remainder(total, weights), strict=True))
    reordered = Counter(zip(shuffled, split_largest_remainder(total, shuffled), strict=True))
    assert original == reordered


@given(totals, weights)
def test_a_refund_takes_back_exactly_what_the_charge_gave(total, weights):
    charge = split_largest_remainder(total, weights)
    refund = split_largest_remainder(-total, weights)

    assert refund == [-part for part in charge]


@given(st.integers(min_value=0, max_value=10**9).map(lambda n: 2 * n + 1))
def test_fifty_fifty_of_an_odd_fee_gives_the_odd_cent_to_the_first_party(fee):
    platform, member = split_largest_remainder(fee, [1, 1])

    assert platform + member == fee
    assert platform == member + 1


def test_known_splits():
    assert split_largest_remainder(17700, [1, 1]) == [8850, 8850]
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert split_largest_remainder(-100, [1, 1, 1]) == [-34, -33, -33]
    # Equal remainders: the larger weight gets the unit, wherever it is listed.
    assert split_largest_remainder(2, [1, 3]) == [0, 2]
    assert split_largest_remainder(2, [3, 1]) == [2, 0]
    assert split_largest_remainder(5, [0, 1, 0]) == [0, 5, 0]
    assert split_largest_remainder(0, [1, 2]) == [0, 0]
    assert split_largest_remainder(10, [Fraction(1, 3), Fraction(2, 3)]) == [3, 7]


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (100, [], "weights: at least one weight is needed"),
        (100, [0, 0], "weights: at least one weight must be positive"),
        (100, [1, -1], "weights[1]: must not be negative"),
        (100, [0.5, 0.5], "weights[0]: must be an int or a Fraction (never a float)"),
        (100, [True, 1], "weights[0]: must be an int or a Fraction"),
        (100.0, [1], "total: must be an integer number of minor units"),
    ],
)
def test_split_refuses_bad_input_naming_it(total, weights, message):
    with pytest.raises(InvalidInput, match=re.escape(message)) as caught:
        split_largest_remainder(total, weights)
    # Also a ValueError, for callers that catch that.
    assert isinstance(caught.value, ValueError)
    assert caught.value.errors == [str(caught.value)]


@pytest.mark.parametrize(
    ("amount", "basis_points", "expected"),
    [
        (17700, 2000, 3540),  # 20% VAT on the membership
        (17700, 5000, 8850),
        (125, 1000, 13),  # 12.5 cents: half up
        (-125, 1000, -13),  # ... and a refund mirrors it
        (124, 1000, 12),
        (126, 1000, 13),
        (1, 5000, 1),  # half a cent rounds up
        (1, 4999, 0),
        (0, 2000, 0),
        (999, 0, 0),
    ],
)
def test_percent_of_rounds_half_up_on_the_cent(amount, basis_points, expected):
    assert percent_of(amount, basis_points) == expected


@given(totals, st.integers(min_value=0, max_value=100_000))
def test_percent_of_is_the_nearest_cent_and_symmetric(amount, basis_points):
    result = percent_of(amount, basis_points)
    exact = Fraction(amount * basis_points, 10_000)

    assert abs(result - exact) <= Fraction(1, 2)
    assert percent_of(-amount, basis_points) == -result


def test_percent_of_refuses_bad_input():
    with pytest.raises(InvalidInput, match="basis_points: must not be negative"):
        percent_of(100, -1)
    with pytest.raises(InvalidInput, match="basis_points: must be an integer"):
        percent_of(100, 20.0)
    with pytest.raises(InvalidInput, match="amount: must be an integer"):
        percent_of(1.5, 100)


def test_currencies_are_checked_against_the_reviewed_table():
    assert validate_currency("EUR") == "EUR"
    assert minor_unit_exponent("EUR") == 2
    # ISO 4217, not CLDR's display digits (babel says 0 for HUF).
    assert minor_unit_exponent("HUF") == 2
    assert minor_unit_exponent("ISK") == 0
    for bad in ["eur", "EURO", "BGN", "XXX", "", None, 978]:
        with pytest.raises(InvalidInput, match="fee_currency: "):
            validate_currency(bad, field="fee_currency")


def test_every_table_currency_is_a_real_iso_4217_code():
    import pycountry
    from babel.numbers import is_currency

    for code in CURRENCY_EXPONENTS:
        assert pycountry.currencies.get(alpha_3=code) is not None, code
        assert is_currency(code), code


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        (17700, "EUR", "de_AT", "€\xa0177,00"),
        (-17700, "EUR", "de_AT", "-€\xa0177,00"),
        (123456789, "EUR", "de_AT", "€\xa01.234.567,89"),
        (17700, "EUR", "en_IE", "€177.00"),
        (1250, "HUF", "de_AT", "HUF\xa012,50"),
        (1250, "ISK", "de_AT", "ISK\xa01.250"),
    ],
)
def test_format_money_shows_every_minor_unit(amount, currency, locale, shown):
    assert format_money(amount, currency, locale) == shown


def test_to_decimal_is_exact():
    assert str(to_decimal(17701, "EUR")) == "177.01"
    assert str(to_decimal(5, "ISK")) == "5"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("35", 3500),
        ("35.5", 3550),
        ("35,50", 3550),
        ("€ 35,50", 3550),
        ("1.234,50", 123450),
        ("1,234.50", 123450),
        ("1 234,50", 123450),
        ("1\u00a0234", 123400),
        ("1.234.567", 123456700),
        ("0,05", 5),
        (",5", 50),
    ],
)
def test_parse_amount_reads_what_people_type(typed, cents):
    assert money.parse_amount(typed, "EUR") == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "enter an amount"),
        ("1,234", "ambiguous"),
        ("35.555", "ambiguous"),
        ("35.5555", "2 decimal places"),
        ("-3", "negative"),
        ("abc", "not an amount"),
        ("3.5.0,1", "not an amount"),
    ],
)
def test_parse_amount_refuses_what_it_would_have_to_guess(typed, message):
    with pytest.raises(money.MoneyError, match=f"pay: .*{message}"):
        money.parse_amount(typed, "EUR", field="pay")


def test_parse_amount_knows_currencies_without_minor_units():
    assert money.parse_amount("1500", "ISK") == 1500
    with pytest.raises(money.MoneyError, match="0 decimal places"):
        money.parse_amount("15,5", "ISK")


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["EUR", "ISK", "HUF"]))
def test_format_amount_round_trips(cents, currency):
    assert money.parse_amount(money.format_amount(cents, currency), currency) == cents


def test_parse_percent_gives_basis_points():
    assert money.parse_percent("20") == 2000
    assert money.parse_percent("20,5 %") == 2050
    assert money.format_percent(2050) == "20.5" and money.format_percent(2000) == "20"
    with pytest.raises(money.MoneyError, match="fee: % has 2 decimal places"):
        money.parse_percent("20.1255", field="fee")
