"""Marks the link of the page being shown, for screen readers (aria-current) and the eye."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context, *view_names: str) -> str:
    """` aria-current="page"` when the request was answered by one of `view_names`."""
    match = getattr(context.get("request"), "resolver_match", None)
    return mark_safe(' aria-current="page"') if match and match.view_name in view_names else ""


@register.simple_tag(takes_context=True)
def project_links(context, project) -> list[dict]:
    """The project bar's links that every app registered (workbench/extensions.py), in
    order, those of the user's role only, with the current page marked."""
    from django.urls import reverse

    from trainerdesk.workbench.extensions import nav_links

    role = getattr(project, "user_role", None)
    user = context.get("user")
    links = []
    for link in nav_links():
        if link.roles and role not in link.roles:
            continue
        args = [project.pk, user.get_username()] if link.with_username else [project.pk]
        links.append(
            {
                "label": link.label,
                "href": reverse(link.url_name, args=args),
                "current": current(context, *(link.current or (link.url_name,))),
                "primary": link.primary,
            }
        )
    return links
