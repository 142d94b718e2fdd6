"""`trainerdesk sweep_commissions [--today YYYY-MM-DD]`: commissions whose client has paid
and whose guarantee has passed become payable (posting "fee earned"); those whose
placement fell off are cancelled or clawed back. Run daily, after sweep_placements."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from trainerdesk.billing import services


class Command(BaseCommand):
    help = "Commissions: pending → payable once paid and guaranteed; fall-offs settled."

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
        done = services.sweep_commissions(today=today)
        self.stdout.write(
            f"{done['payable']} commissions became payable, {done['fell_off']} fall-offs settled"
        )
