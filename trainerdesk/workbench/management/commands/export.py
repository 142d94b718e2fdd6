"""`trainerdesk export PROJECT`: stream a project's items and annotations to a file or stdout.

A file is written under a temporary name and renamed at the end, so an interrupted export
never leaves a truncated file where a complete one is expected.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trainerdesk.workbench import formats, services
from trainerdesk.workbench.management.commands._project import find_project

_BY_EXTENSION = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "labelstudio"}
_BY_EXTENSION[".conll"] = "conll"


class Command(BaseCommand):
    help = "Export a project's items, reference answers and annotations."
    # Django's system checks (URLs, templates, every app's checks) cost about a second of
    # start-up here and check nothing a data command uses; `trainerdesk serve` and
    # `migrate` still run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or exact name")
        parser.add_argument(
            "--format",
            choices=formats.EXPORT_FORMATS,
            help="output format (default: from the --output extension, else jsonl)",
        )
        parser.add_argument(
            "--output", "-o", default="-", help="file to write, or - for stdout (default)"
        )
        parser.add_argument(
            "--only-labeled", action="store_true", help="only items with at least one answer"
        )
        parser.add_argument(
            "--no-annotations",
            action="store_true",
            help="leave out the individual annotations (keep the final answers)",
        )
        parser.add_argument(
            "--labels",
            choices=["both", "final", "annotations"],
            help="final labels by the project's final label rule, every annotation (with "
            "reviewers' decisions), or both (default: both, or final with --no-annotations). "
            "COCO and CoNLL hold one answer per image/text: 'annotations' writes one per "
            "annotation, the others the final answer (items without one are left out and "
            "listed on stderr)",
        )

    def handle(self, *args, project: str, output: str, **options):
        target = find_project(project)
        fmt = options["format"] or _BY_EXTENSION.get(Path(output).suffix.lower(), "jsonl")
        labels = options["labels"] or ("final" if options["no_annotations"] else "both")
        left_out: list[dict] = []
        try:
            chunks = services.export_stream(
                project=target,
                fmt=fmt,
                only_labeled=options["only_labeled"],
                include_annotations=labels != "final",
                include_final=labels != "annotations",
                left_out=left_out,
                by=None,  # the command's own events (cli:export)
            )
        except services.InvalidInput as exc:
            raise CommandError(str(exc)) from None

        if output == "-":
            out = sys.stdout.buffer
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            self._report_left_out(left_out)
            return

        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"--output {output}: the folder {path.parent} does not exist")
        partial = path.with_name(f".{path.name}.partial")
        written = 0
        try:
            with partial.open("wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        self.stderr.write(
            f"Exported {target.name} (project {target.pk}) as {fmt} to {path}: {written:,} bytes"
        )
        self._report_left_out(left_out)

    def _report_left_out(self, left_out: list[dict]) -> None:
        """One stderr line per item (or annotation) the file could not hold, so a COCO or
        CoNLL file is never taken for complete when it is not."""
        if left_out:
            self.stderr.write(f"Left out of the file ({len(left_out):,}):")
        for entry in left_out:
            what = f"item {entry.get('item_id')}"
            if entry.get("annotation_id") is not None:
                what += f" annotation {entry['annotation_id']} by {entry.get('annotator')}"
            self.stderr.write(f"  {what}: {entry['reason']}")
