"""Money on billing pages (`|money:currency`) and the site header's link: "Ledger" for
staff, "Earnings" for members (base.html loads this tag library)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from trainerdesk.lib.money import format_money
from trainerdesk.network.templatetags.network_nav import network_personas

register = template.Library()


@register.filter
def money(amount, currency):
    """Minor units as the locale shows them (`150000|money:"EUR"` → `€ 1.500,00`)."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency)


@register.simple_tag(takes_context=True)
def billing_link(context) -> str:
    # The network link's personas, cached on the request: no query of its own.
    hats = network_personas(context)
    if not hats & {"staff", "member"}:
        return ""
    match = getattr(context.get("request"), "resolver_match", None)
    current = match is not None and match.namespace == "billing"
    url, label = (
        (reverse("billing:trial_balance"), "Ledger")
        if "staff" in hats
        else (reverse("billing:earnings"), "Earnings")
    )
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)
