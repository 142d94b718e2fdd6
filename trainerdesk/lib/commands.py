"""What the daily sweep commands share: the `--today YYYY-MM-DD` option and its reading."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils import timezone


def add_today_argument(parser, *, what: str = "the day to sweep for") -> None:
    parser.add_argument("--today", help=f"{what} (default: today)")


def today_from(options: dict) -> datetime.date:
    """The day given with --today, else today in the site's time zone."""
    if not options.get("today"):
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(options["today"])
    except ValueError:
        raise CommandError("--today: a date like 2026-12-03") from None
