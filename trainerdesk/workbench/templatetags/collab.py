"""Template helpers for collaboration: the inbox count in the top bar and whether the
comments panel shows on the annotation page."""

from django import template

from trainerdesk.workbench import access

register = template.Library()


@register.simple_tag
def unread_count(user) -> int:
    """Unread inbox entries; one indexed count, run only where base.html renders a full page
    (htmx partials, such as the annotation page's next item, do not)."""
    return access.notifications_for(user).filter(read_at__isnull=True).count()


@register.filter
def comments_open(project) -> bool:
    return access.comments_visible(project)
