"""The site header's "Network" link, shown to whoever has a hat in the network (member,
client contact, candidate, staff); base.html only loads this tag."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from trainerdesk.network import access

register = template.Library()


@register.simple_tag(takes_context=True)
def network_personas(context) -> set[str]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    cache = getattr(request, "_network_personas", None) if request is not None else None
    if cache is None:
        cache = access.personas(user) if user is not None else set()
        if request is not None:
            request._network_personas = cache
    return cache


@register.simple_tag(takes_context=True)
def network_link(context) -> str:
    if not network_personas(context):
        return ""
    match = getattr(context.get("request"), "resolver_match", None)
    if match and match.namespace == "network":
        return format_html('<a href="{}" aria-current="page">Network</a>', reverse("network:home"))
    return format_html('<a href="{}">Network</a>', reverse("network:home"))
