"""Showing agreement figures: a value to 3 decimals, or its "not enough data" reason."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def metric(result, key=None) -> str:
    if key is not None:
        result = result.get(key) if hasattr(result, "get") else None
    if not result:
        return format_html('<span class="muted">—</span>')
    value = result.get("value")
    if value is None:
        return format_html('<span class="muted small">{}</span>', result.get("reason") or "—")
    return format_html("{}", f"{value:.3f}")


@register.simple_tag
def heat(value) -> str:
    """A heat-map class in five steps (CSS in app.css; no inline styles under the CSP)."""
    if not isinstance(value, (int, float)):
        return "heat-none"
    return f"heat-{max(0, min(4, int(value * 5)))}"


@register.filter
def confusion_rows(matrix, labels):
    return list(zip(labels, matrix, strict=False))


@register.filter
def isodatetime(value):
    """An ISO timestamp stored in JSON (a scorecard's computed_at) as a datetime, so the
    date filter shows it like every other time in the app."""
    from datetime import datetime

    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value
