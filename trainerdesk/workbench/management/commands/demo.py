"""`trainerdesk demo`: load the demo organization, users and projects (safe to re-run)."""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from trainerdesk.workbench import demo
from trainerdesk.workbench.services import InvalidInput


class Command(BaseCommand):
    help = (
        "Load the Demo Lab organization: users manager/annotator1/annotator2/reviewer and "
        "five projects from real public data (text, named entities, images). Re-running adds "
        "nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo organization, its projects and the demo users first",
        )
        parser.add_argument(
            "--remove",
            action="store_true",
            help="only delete the demo organization, its projects and the demo users",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="load at most this many items per project (a quick try-out)",
        )

    def handle(self, *args, reset: bool, remove: bool, limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        # `make run` loads the demo before `serve` has migrated a brand-new database.
        call_command("migrate", interactive=False, verbosity=0)
        if reset or remove:
            # Apps above the workbench remove their part first (it may point at demo users).
            for config in reversed(apps.get_app_configs()):
                if hasattr(config, "remove_demo"):
                    config.remove_demo(stdout=self.stdout)
            demo.reset_demo(stdout=self.stdout)
        if remove:
            return
        try:
            summary = demo.load_demo(stdout=self.stdout, limit=limit)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        # Apps above the workbench add their part of the demo (the workbench never
        # imports them): an AppConfig with a load_demo(stdout=, limit=) method.
        for config in apps.get_app_configs():
            if hasattr(config, "load_demo"):
                config.load_demo(stdout=self.stdout, limit=limit)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo ready: organization {summary['organization']}"))
        for name, info in summary["projects"].items():
            self.stdout.write(f"  {name}: {info['items']:,} items (project {info['id']})")
        self.stdout.write(
            "Demo logins (demo credentials only - change or delete them before real use):"
        )
        roles = {
            demo.MANAGER: "organization owner, manages every project",
            demo.ANNOTATORS[0]: "annotator",
            demo.ANNOTATORS[1]: "annotator",
            demo.REVIEWER: "reviewer",
        }
        for username, role in roles.items():
            self.stdout.write(f"  {username:<11} / {summary['password']}   ({role})")
