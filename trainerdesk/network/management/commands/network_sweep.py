"""`trainerdesk network_sweep`: the daily membership sweep (run it from cron once a day;
running it twice changes nothing the second time)."""

from django.core.management.base import BaseCommand

from trainerdesk.network.services import sweep_memberships


class Command(BaseCommand):
    help = (
        "Move memberships past their renewal date into the grace period, and those past "
        "the grace period to expired. Idempotent."
    )

    def handle(self, *args, **options):
        result = sweep_memberships()
        self.stdout.write(f"network sweep: {result.to_grace} to grace, {result.to_expired} expired")
