"""Dataset versions from the command line (`trainerdesk version ...`, which cli.py runs
as this command: Django answers `version` itself).

  trainerdesk version create PROJECT --name v3 [--tag T ...] [--notes TEXT] [--now]
  trainerdesk version list PROJECT
  trainerdesk version diff PROJECT OLD NEW
  trainerdesk version export PROJECT NAME [-o FILE]   (FILE and FILE.sha256)

PROJECT is an id or an exact name; versions are named. `create` queues the build for the
worker (`trainerdesk worker` or `serve`); `--now` builds it in this process instead and
prints the version id.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trainerdesk.governance import services
from trainerdesk.governance.models import DatasetVersion
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.workbench.models import Project


def find_project(ref: str) -> Project:
    if ref.isdigit():
        project = Project.objects.filter(pk=int(ref)).first()
        if project is not None:
            return project
    matches = list(Project.objects.filter(name=ref))
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(str(p.pk) for p in matches)
        raise CommandError(f"project: {len(matches)} projects are named {ref!r}; use an id: {ids}")
    raise CommandError(f"project: no project has the id or name {ref!r}")


def find_version(project: Project, name: str) -> DatasetVersion:
    version = DatasetVersion.objects.filter(project=project, name=name).first()
    if version is None:
        raise CommandError(f"version: project {project.pk} has no version named {name!r}")
    return version


class Command(BaseCommand):
    help = "Create, list, diff and export dataset versions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        create = sub.add_parser("create", help="snapshot a project's labelled data")
        create.add_argument("project")
        create.add_argument("--name", required=True)
        create.add_argument("--tag", action="append", default=[])
        create.add_argument("--notes", default="")
        create.add_argument("--now", action="store_true", help="build here, not in the worker")
        listing = sub.add_parser("list", help="a project's versions")
        listing.add_argument("project")
        diff = sub.add_parser("diff", help="what changed between two versions (JSON)")
        diff.add_argument("project")
        diff.add_argument("old")
        diff.add_argument("new")
        export = sub.add_parser("export", help="write the version's JSONL and its checksum")
        export.add_argument("project")
        export.add_argument("name")
        export.add_argument("-o", "--output", help="file name (default: the version's)")

    def handle(self, *args, subcommand: str, **options):
        project = find_project(options["project"])
        try:
            getattr(self, f"_{subcommand}")(project, options)
        except (InvalidInput, ConflictError) as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, project: Project, options: dict) -> None:
        version = services.create_version(
            project=project, name=options["name"], tags=options["tag"], notes=options["notes"],
            by=None,
        )  # fmt: skip
        if not options["now"]:
            self.stdout.write(f"version {version.name} ({version.pk}) queued for the worker")
            return
        version = services.build_version(version_id=version.pk)
        if version.status != DatasetVersion.Status.DONE:
            raise CommandError(f"version {version.name}: {version.message}")
        self.stdout.write(f"{version.version_id}  {version.name}  {version.record_count} items")

    def _list(self, project: Project, options: dict) -> None:
        for v in DatasetVersion.objects.filter(project=project).order_by("created_at", "id"):
            self.stdout.write(
                f"{v.name}\t{v.status}\t{v.record_count}\t{v.version_id or '-'}\t"
                f"{v.created_at:%Y-%m-%d %H:%M}\t{','.join(v.tags)}"
            )

    def _diff(self, project: Project, options: dict) -> None:
        result = services.diff_versions(
            old=find_version(project, options["old"]), new=find_version(project, options["new"])
        )
        self.stdout.write(json.dumps(result.as_dict(limit=services.DIFF_ID_LIMIT), indent=2))

    def _export(self, project: Project, options: dict) -> None:
        out = services.export_version(version=find_version(project, options["name"]), by=None)
        path = Path(options["output"] or out.filename)
        path.write_bytes(out.content)
        # The checksum names the file as written, so `sha256sum -c` works beside it.
        Path(f"{path}.sha256").write_text(f"{out.sha256}  {path.name}\n", encoding="utf-8")
        self.stdout.write(f"{out.sha256}  {path}")
