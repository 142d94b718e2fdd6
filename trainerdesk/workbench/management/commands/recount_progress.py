"""`trainerdesk recount_progress [PROJECT]`: rebuild the progress page's counters from the
annotations (after a change of TIME_ZONE, or an edit of the database by hand)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from trainerdesk.workbench import services
from trainerdesk.workbench.management.commands._project import find_project


class Command(BaseCommand):
    help = "Rebuild the progress page's counters from the annotations."

    def add_arguments(self, parser):
        parser.add_argument("project", nargs="?", help="project id or exact name (default: all)")

    def handle(self, *args, **options):
        project = find_project(options["project"]) if options["project"] else None
        rows = services.recount_progress(project=project)
        self.stdout.write(f"{rows} counter rows written")
