"""Marks the link of the page being shown, for screen readers (aria-current) and the eye."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context, *view_names: str) -> str:
    """` aria-current="page"` when the request was answered by one of `view_names`."""
    match = getattr(context.get("request"), "resolver_match", None)
    return mark_safe(' aria-current="page"') if match and match.view_name in view_names else ""
