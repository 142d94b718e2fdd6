"""`trainerdesk train PROJECT --name NAME`: train the built-in baseline now (on the final
labels outside the evaluation split) and print what was stored; the training is recorded
like one started from the page."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from trainerdesk.evaluation import services
from trainerdesk.evaluation.management.commands.evaluate import _project
from trainerdesk.workbench.services import ConflictError, InvalidInput


class Command(BaseCommand):
    help = "Train the built-in baseline on a project's final labels (not the evaluation split)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or exact name")
        parser.add_argument("--name", required=True, help="the new model and version's name")
        parser.add_argument("--field", default=None, help="the choice field (default: first)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="print the training record")

    def handle(self, *args, **opts):
        project = _project(opts["project"])
        try:
            run = services.train_baseline(
                project=project, name=opts["name"], field_name=opts["field"], seed=opts["seed"],
                by=None,
            )  # fmt: skip
        except (InvalidInput, ConflictError) as exc:
            raise CommandError(str(exc)) from None
        # Trained here rather than waiting for a worker; a worker that picks the queued
        # task later finds the run done and leaves it.
        run = services.run_training(run_id=run.pk)
        if run.status != run.Status.DONE or run.version is None:
            raise CommandError(f"training {run.pk} failed: {run.message}")
        record = run.version.training
        if opts["json"]:
            self.stdout.write(json.dumps({"id": run.pk, "version": run.version.pk} | record,
                                         indent=1))  # fmt: skip
            return
        self.stdout.write(f"training {run.pk}: {run.message}")
        self.stdout.write(f"version {run.version.name!r} (id {run.version.pk}), source baseline")
        counts = ", ".join(f"{k} {v}" for k, v in record["label_counts"].items())
        self.stdout.write(f"labels: {counts}; held out: {record['held_out_items']} items")
        self.stdout.write(f"training digest {record['training_digest']}")
