"""`trainerdesk privacy_retention [--apply] [--today YYYY-MM-DD] [--json]`: the retention
report (who is due, who is held by open obligations, whom to ask for re-consent), and
with --apply the run that anonymises those due. Without --apply nothing is written. Run
daily (after a look at the dry run)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from trainerdesk.lib.commands import add_today_argument, today_from
from trainerdesk.privacy import services


class Command(BaseCommand):
    help = "Report (default) or apply (--apply) the retention rules."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="anonymise what is due")
        add_today_argument(parser, what="the day to run for")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **options):
        today = today_from(options)
        summary = services.run_retention(today=today, dry_run=not options["apply"])
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=1))
            return
        verb = "anonymised" if options["apply"] else "would be anonymised (dry run)"
        self.stdout.write(f"{len(summary['erased'])} people {verb}")
        for item in summary["erased"]:
            self.stdout.write(f"  {item['subject']}: {item['category']}, due {item['due_on']}")
        self.stdout.write(f"{len(summary['held'])} held by open obligations")
        for item in summary["held"]:
            self.stdout.write(f"  {item['subject']}: {item['obligations'][0]['description']}")
        self.stdout.write(f"{len(summary['reconsent'])} to ask for re-consent")
        for item in summary["reconsent"]:
            self.stdout.write(f"  {item['subject']}: consent-based retention ends {item['due_on']}")
