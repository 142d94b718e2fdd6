"""`trainerdesk sweep_placements [--today YYYY-MM-DD]`: started placements enter their
guarantee, and those whose guarantee has ended have earned their fee. Run daily."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from trainerdesk.lib.commands import add_today_argument, today_from
from trainerdesk.placements import services


class Command(BaseCommand):
    help = "Move placements on: started → in guarantee → earned after the guarantee ends."

    def add_arguments(self, parser):
        add_today_argument(parser)

    def handle(self, *args, **options):
        today = today_from(options)
        moved = services.sweep_placements(today=today)
        self.stdout.write(
            f"{moved['in_guarantee']} placements entered their guarantee, "
            f"{moved['earned']} earned their fee"
        )
