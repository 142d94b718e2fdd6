"""Money and durations on the pipeline pages."""

from django import template

from trainerdesk.lib.money import format_money

register = template.Library()


@register.filter
def cents(value, currency: str) -> str:
    """Integer minor units in the site's money format (`lib/money.format_money`)."""
    if value is None:
        return "—"
    return format_money(int(value), currency)


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
