"""Shared by the import and export commands (the underscore keeps it out of the command list)."""

from __future__ import annotations

from django.core.management.base import CommandError

from trainerdesk.workbench.models import Project


def find_project(ref: str) -> Project:
    """A project by id or by exact name; an ambiguous name lists the candidates."""
    if ref.isdigit():
        project = Project.objects.filter(pk=int(ref)).first()
        if project is not None:
            return project
    matches = list(Project.objects.filter(name=ref).select_related("organization"))
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f"{p.pk} ({p.organization})" for p in matches)
        raise CommandError(
            f"project: {len(matches)} projects are named {ref!r}; use an id: {listed}"
        )
    raise CommandError(f"project: no project has the id or name {ref!r}")
