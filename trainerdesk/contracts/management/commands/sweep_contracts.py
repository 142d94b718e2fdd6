"""`trainerdesk sweep_contracts [--today YYYY-MM-DD]`: signed or active contracts past
their end date expire. Run daily; running it twice changes nothing the second time."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from trainerdesk.contracts import services


class Command(BaseCommand):
    help = "Expire signed or active contracts whose end date has passed."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to sweep for (default: today)")

    def handle(self, *args, **options):
        now = None
        if options["today"]:
            try:
                day = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today: a date like 2026-12-03") from None
            now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        result = services.sweep_contracts(now)
        self.stdout.write(f"{result.expired} contract(s) expired")
