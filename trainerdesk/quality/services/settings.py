"""The quality app's project settings (`QualitySettings`): made with the project, read
with defaults, changed in one audited transaction.

The workbench reaches these through the settings section `quality/apps.py` registers
(`workbench/extensions.py`): the project settings page shows the section's form, and
`PATCH /api/v1/projects/<id>` and `workbench.services.update_project` hand the section's
fields to `update_quality_settings`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.quality.models import QualitySettings
from trainerdesk.workbench.models import Project

MAX_GOLD_MIN_ITEMS = 10_000
FIELDS = QualitySettings.FIELDS


def settings_for(project: Project) -> QualitySettings:
    """The project's quality settings (the defaults, unsaved, if it has no row yet)."""
    return QualitySettings.for_project(project)


def create_quality_settings(*, project: Project, by: Any = None) -> QualitySettings:
    """The settings row of a new project, with the defaults; called by the workbench's
    create_project in its transaction (the project's own create event covers it)."""
    settings, _ = QualitySettings.objects.get_or_create(project=project)
    project.quality_settings = settings
    return settings


def quality_settings_errors(changes: dict[str, Any]) -> list[str]:
    """What is wrong with these changes, one "field: message" per problem."""
    errors = [f"{key}: not a quality setting" for key in sorted(changes) if key not in FIELDS]
    rules = QualitySettings.FinalLabelRule.values
    if "final_label_rule" in changes and changes["final_label_rule"] not in rules:
        errors.append(f"final_label_rule: must be one of {', '.join(rules)}")
    threshold = changes.get("gold_threshold", 0)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        errors.append(f"gold_threshold: must be a number, got {threshold!r}")
    elif not 0 <= threshold <= 1:
        errors.append(f"gold_threshold: must be between 0 and 1, got {threshold}")
    min_items = changes.get("gold_min_items", 1)
    if not isinstance(min_items, int) or isinstance(min_items, bool):
        errors.append(f"gold_min_items: must be a whole number, got {min_items!r}")
    elif not 1 <= min_items <= MAX_GOLD_MIN_ITEMS:
        errors.append(
            f"gold_min_items: must be between 1 and {MAX_GOLD_MIN_ITEMS}, got {min_items}"
        )
    return errors


def update_quality_settings(*, project: Project, by: Any, **changes: Any) -> QualitySettings:
    """Change the project's final label rule or gold pass rule; one audit event
    (`quality.settings.update`) with the fields that changed. Raises InvalidInput naming
    each bad field before anything is written."""
    if errors := quality_settings_errors(changes):
        raise InvalidInput(errors)
    with transaction.atomic():
        settings, _ = QualitySettings.objects.select_for_update().get_or_create(project=project)
        before = audit.snapshot(settings, FIELDS)
        updated = [key for key, value in changes.items() if getattr(settings, key) != value]
        for key in updated:
            setattr(settings, key, changes[key])
        if updated:
            settings.updated_at = timezone.now()
            settings.save(update_fields=[*updated, "updated_at"])
            audit.record(
                action="quality.settings.update",
                obj=settings,
                project=project,
                changes=audit.changed_fields(before, settings, FIELDS),
                by=by,
            )
    # Callers keep using `project`: its cached settings are the new ones.
    project.quality_settings = settings
    return settings
