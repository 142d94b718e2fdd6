"""`trainerdesk invoicing_reminders`: the daily renewal sweep (run it from cron after
`trainerdesk network_sweep`; running it twice changes nothing the second time)."""

from django.core.management.base import BaseCommand

from trainerdesk.invoicing.services import send_renewal_reminders
from trainerdesk.invoicing.services.reminders import DEFAULT_DAYS_BEFORE


class Command(BaseCommand):
    help = (
        "Remind members whose membership ends within --days days: open the renewal period, "
        "draft its invoice, record the reminder. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS_BEFORE)

    def handle(self, *args, days, **options):
        sent = send_renewal_reminders(days_before=days)
        self.stdout.write(f"invoicing reminders: {len(sent)} sent")
