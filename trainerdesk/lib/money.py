"""Money as integer minor units (cents) with an ISO 4217 code: never floats.

`split_largest_remainder` divides an amount into parts that sum exactly to it (the
Hamilton method: everyone gets the floor of their exact share, the cents left over go
to the largest remainders, ties to the earlier part); `percent_of` takes a percentage
given in basis points, rounding half up on the cent.
"""

from __future__ import annotations

from fractions import Fraction


def split_largest_remainder(total: int, weights: list[int] | list[Fraction]) -> list[int]:
    """Parts of `total` in proportion to `weights`, summing exactly to `total`. A negative
    total (a refund) splits as the mirror image of the positive one."""
    if not weights:
        raise ValueError("weights: at least one is needed")
    if any(w < 0 for w in weights):
        raise ValueError("weights: none may be negative")
    whole = sum(Fraction(w) for w in weights)
    if whole == 0:
        raise ValueError("weights: at least one must be above zero")
    if total < 0:
        return [-part for part in split_largest_remainder(-total, weights)]
    exact = [Fraction(total) * Fraction(w) / whole for w in weights]
    parts = [int(share) for share in exact]  # floor: shares are not negative
    left = total - sum(parts)
    # Largest remainder first; on equal remainders the earlier part, so it is repeatable.
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def percent_of(amount: int, basis_points: int) -> int:
    """`basis_points` / 10,000 of `amount` in whole cents, half a cent rounded up (away
    from zero for negative amounts)."""
    if basis_points < 0:
        raise ValueError("basis_points: must not be negative")
    exact = Fraction(abs(amount) * basis_points, 10_000)
    cents = int(exact + Fraction(1, 2))
    return -cents if amount < 0 else cents
