"""`trainerdesk sweep_contracts [--today YYYY-MM-DD]`: signed or active contracts past
their end date expire. Run daily; running it twice changes nothing the second time."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from trainerdesk.contracts import services
from trainerdesk.lib.commands import add_today_argument, today_from


class Command(BaseCommand):
    help = "Expire signed or active contracts whose end date has passed."

    def add_arguments(self, parser):
        add_today_argument(parser)

    def handle(self, *args, **options):
        now = None
        if options["today"]:
            day = today_from(options)
            now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        result = services.sweep_contracts(now)
        self.stdout.write(f"{result.expired} contract(s) expired")
