"""Money on the pipeline pages: integer minor units shown with their currency."""

from django import template

register = template.Library()


@register.filter
def cents(value, currency: str = "") -> str:
    """12345 → "123.45 EUR" (two minor digits: the network's currencies all have two)."""
    if value is None:
        return "—"
    value = int(value)
    sign = "-" if value < 0 else ""
    whole, minor = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{minor:02d} {currency}".strip()


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"
