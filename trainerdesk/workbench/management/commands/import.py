"""`trainerdesk import PROJECT FILE`: import a file of items in this process, with progress.

The same streaming path as an upload through the web page, run here instead of in the
worker: rows are validated one by one, batches commit as they go, and re-importing a file
adds nothing twice.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from trainerdesk.workbench import formats, services
from trainerdesk.workbench.management.commands._project import find_project

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import items from a JSONL, CSV or Label Studio JSON file into a project."
    # Django's system checks (URLs, templates, every app's checks) cost about a second of
    # start-up here and check nothing a data command uses; `trainerdesk serve` and
    # `migrate` still run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or exact name")
        parser.add_argument("file", help="file to import")
        parser.add_argument(
            "--format",
            choices=formats.FORMATS,
            help="file format (default: from the extension: .jsonl/.ndjson, .csv, .json)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, project: str, file: str, **options):
        target = find_project(project)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            fmt = options["format"] or formats.detect_format(path.name)
        except formats.FormatError as exc:
            raise CommandError(f"{file}: {exc}; or pass --format") from None
        size = path.stat().st_size
        if size == 0:
            raise CommandError(f"{file}: the file is empty")

        bar = tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=options["no_progress"] or None,
            file=self.stderr._out,
        )

        def progress(_total, consumed: int) -> None:
            bar.update(consumed - bar.n)

        try:
            # No user signs in to a command: its events are the command's (cli:import).
            result = services.import_file(
                project=target, path=path, fmt=fmt, on_progress=progress, by=None
            )
        except formats.FormatError as exc:
            bar.close()
            raise CommandError(
                f"{file}: {exc} (rows before the problem that were already imported stay)"
            ) from None
        bar.update(size - bar.n)
        bar.close()

        self.stdout.write(
            f"{target.name} (project {target.pk}): {result.added:,} added, "
            f"{result.duplicates:,} duplicates skipped, {result.error_count:,} errors"
            + (f", {result.annotations:,} annotations" if result.annotations else "")
        )
        for warning in result.warnings:
            self.stderr.write(f"{file}: warning: {warning}")
        if result.error_count:
            # The result keeps the first errors by line (see BatchResult), already in order.
            for error in result.errors[:SHOWN_ERRORS]:
                self.stderr.write(f"{file}: line {error.line}: {error.message}")
            if result.error_count > SHOWN_ERRORS:
                self.stderr.write(f"... and {result.error_count - SHOWN_ERRORS:,} more errors")
            raise CommandError(
                f"{result.error_count:,} row(s) were not imported; fix them and import the "
                "file again (rows already imported are skipped)"
            )
