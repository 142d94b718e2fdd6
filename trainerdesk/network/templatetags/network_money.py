"""Money on the network's and the pipeline's pages: integer minor units shown in the
site's format (`lib/money.format_money`), fee percentages from basis points."""

from django import template

from trainerdesk.lib.money import format_money

register = template.Library()


@register.filter
def cents(value, currency: str) -> str:
    if value is None:
        return "—"
    return format_money(int(value), currency)


@register.filter
def basis_points(value) -> str:
    """2000 -> "20 %", 1250 -> "12.5 %"."""
    if value is None:
        return "—"
    return f"{int(value) / 100:g} %"
