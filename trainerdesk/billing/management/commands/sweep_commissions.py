"""`trainerdesk sweep_commissions [--today YYYY-MM-DD]`: commissions whose client has paid
and whose guarantee has passed become payable (posting "fee earned"); those whose
placement fell off are cancelled or clawed back. Run daily, after sweep_placements."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from trainerdesk.billing import services
from trainerdesk.lib.commands import add_today_argument, today_from


class Command(BaseCommand):
    help = "Commissions: pending → payable once paid and guaranteed; fall-offs settled."

    def add_arguments(self, parser):
        add_today_argument(parser)

    def handle(self, *args, **options):
        today = today_from(options)
        done = services.sweep_commissions(today=today)
        self.stdout.write(
            f"{done['payable']} commissions became payable, {done['fell_off']} fall-offs settled"
        )
