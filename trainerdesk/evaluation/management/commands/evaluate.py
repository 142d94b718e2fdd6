"""`trainerdesk evaluate PROJECT --version NAME`: evaluate a model version now and print
its headline numbers (the run is stored like one started from the page)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from trainerdesk.evaluation import services
from trainerdesk.evaluation.models import ModelVersion
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.services import ConflictError, InvalidInput


def _project(ref: str) -> Project:
    if ref.isdigit() and (found := Project.objects.filter(pk=int(ref)).first()):
        return found
    matches = list(Project.objects.filter(name=ref))
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(str(p.pk) for p in matches)
        raise CommandError(f"project: {len(matches)} projects are named {ref!r}; use an id: {ids}")
    raise CommandError(f"project: no project has the id or name {ref!r}")


class Command(BaseCommand):
    help = "Evaluate a model version of a project (against final labels or gold references)."

    def add_base_argument(self, parser, *args, **kwargs):
        # Django gives every command --version (its own version); here it names the model
        # version, as the issue's `trainerdesk evaluate PROJECT --version NAME` has it.
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or exact name")
        parser.add_argument(
            "--version",
            required=True,
            dest="model_version",
            help="the version's name (its predictions' model_version)",
        )
        parser.add_argument("--scope", choices=["split", "all"], default="split")
        parser.add_argument("--against", choices=["final", "gold"], default="final")
        parser.add_argument("--slices", default="", help="comma-separated item data keys")
        parser.add_argument("--resamples", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="print the whole run as JSON")
        # fmt: skip

    def handle(self, *args, **opts):
        project = _project(opts["project"])
        services.versions_with_predictions(project=project)
        version = ModelVersion.objects.filter(project=project, name=opts["model_version"]).first()
        if version is None:
            raise CommandError(f"version: {opts['model_version']!r} is not a version of {project}")
        slices = [s.strip() for s in opts["slices"].split(",") if s.strip()]
        try:
            run = services.start_evaluation(
                version=version, scope=opts["scope"], against=opts["against"], slices=slices,
                resamples=opts["resamples"], seed=opts["seed"], by=None,
            )  # fmt: skip
        except (InvalidInput, ConflictError) as exc:
            raise CommandError(str(exc)) from None
        # Computed here rather than waiting for a worker; a worker that picks the queued
        # task later finds the run done and leaves it.
        run = services.run_evaluation(run_id=run.pk)
        if run.status != run.Status.DONE:
            raise CommandError(f"evaluation {run.pk} failed: {run.message}")
        if opts["json"]:
            out = {"id": run.pk, "metrics": run.metrics, "slices": run.slices,
                   "items_digest": run.items_digest}  # fmt: skip
            self.stdout.write(json.dumps(out, indent=1))
            return
        ci = run.metrics["intervals"]
        self.stdout.write(f"evaluation {run.pk}: {run.items_evaluated} items ({run.scope})")
        for name in ("accuracy", "error_rate", "macro_f1"):
            if name in ci:
                c = ci[name]
                self.stdout.write(f"  {name}: {c['value']:.4f} ({c['low']:.4f}-{c['high']:.4f})")
        self.stdout.write(f"  intervals: {ci['resamples']} resamples, seed {ci['seed']}")
        for s in run.slices[:5]:
            small = " (small)" if s["small"] else ""
            self.stdout.write(
                f"  slice {s['key']}={s['value']}: n={s['n']} "
                f"error rate {s['error_rate']['value']:.4f}{small}"
            )
