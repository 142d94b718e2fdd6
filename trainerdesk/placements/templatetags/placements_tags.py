"""Money and durations on the pipeline pages."""

from django import template

from trainerdesk.network.templatetags.network_money import cents

register = template.Library()
# The one money filter, owned by the network's tags (placements sits above network).
register.filter("cents", cents)


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
