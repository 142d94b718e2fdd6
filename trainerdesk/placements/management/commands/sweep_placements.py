"""`trainerdesk sweep_placements [--today YYYY-MM-DD]`: started placements enter their
guarantee, and those whose guarantee has ended have earned their fee. Run daily."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from trainerdesk.placements import services


class Command(BaseCommand):
    help = "Move placements on: started → in guarantee → earned after the guarantee ends."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to sweep for (default: today)")

    def handle(self, *args, **options):
        try:
            today = (
                datetime.date.fromisoformat(options["today"])
                if options["today"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError("--today: a date like 2026-12-03") from None
        moved = services.sweep_placements(today=today)
        self.stdout.write(
            f"{moved['in_guarantee']} placements entered their guarantee, "
            f"{moved['earned']} earned their fee"
        )
