"""The site header's "Payouts" link: staff's batches, a member's earnings and payouts
(base.html loads this tag library). Uses the network link's personas, cached on the
request, so it adds no query."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from trainerdesk.network.templatetags.network_nav import network_personas

register = template.Library()


@register.simple_tag(takes_context=True)
def payouts_link(context) -> str:
    hats = network_personas(context)
    if "staff" in hats:
        url = reverse("payouts:batches")
    elif "member" in hats:
        url = reverse("payouts:earnings")
    else:
        return ""
    match = getattr(context.get("request"), "resolver_match", None)
    if match is not None and match.namespace == "payouts":
        return format_html('<a href="{}" aria-current="page">Payouts</a>', url)
    return format_html('<a href="{}">Payouts</a>', url)
