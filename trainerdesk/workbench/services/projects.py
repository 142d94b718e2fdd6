"""Projects: creating one, changing its settings, queue priority."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.jsonutil import content_hash
from trainerdesk.workbench import extensions, visibility
from trainerdesk.workbench.models import GuidelineVersion, Project
from trainerdesk.workbench.schema import SchemaError, parse_schema
from trainerdesk.workbench.services.queue import _shift_counters

logger = logging.getLogger(__name__)


# --- projects --------------------------------------------------------------------------


def _validated_schema(schema: Any) -> dict:
    try:
        return parse_schema(schema).to_dict()
    except SchemaError as exc:
        raise InvalidInput([f"label_schema.{e}" for e in exc.errors]) from None


def create_project(
    *,
    organization,
    created_by,
    name: str,
    label_schema: Any,
    instructions: str = "",
    description: str = "",
    overlap: int = 1,
    ordering: str = Project.Ordering.SEQUENTIAL,
    annotators_see_others: bool = False,
    blind_order: bool = True,
    annotator_fields: list[str] | None = None,
    annotators_see_external_id: bool = False,
) -> Project:
    if overlap < 1:
        raise InvalidInput(["overlap: must be at least 1"])
    annotator_fields = _annotator_fields(annotator_fields or [])
    with transaction.atomic():
        project = Project.objects.create(
            organization=organization,
            created_by=created_by,
            name=name,
            description=description,
            instructions=instructions,
            label_schema=_validated_schema(label_schema),
            overlap=overlap,
            ordering=ordering,
            annotators_see_others=annotators_see_others,
            blind_order=blind_order,
            annotator_fields=annotator_fields,
            annotators_see_external_id=annotators_see_external_id,
        )
        GuidelineVersion.objects.create(
            project=project, version=1, text=instructions, created_by=created_by
        )
        # Apps above the workbench make their settings rows (extensions.py).
        extensions.project_created(project=project, by=created_by)
        audit.record(
            action="workbench.project.create",
            obj=project,
            project=project,
            changes={
                **audit.changed_fields(None, project, AUDITED_FIELDS),
                **_schema_facts(project.label_schema),
            },
            by=created_by,
        )
    return project


# The settings update_project stores as given (the instructions and the label schema are
# checked and versioned first; the gold settings are below).
PLAIN_SETTINGS = (
    "name",
    "description",
    "overlap",
    "ordering",
    "annotators_see_others",
    "blind_order",
    "annotators_see_comments",
    "annotator_fields",
    "annotators_see_external_id",
)


def _schema_facts(schema: dict) -> dict[str, Any]:
    return {
        "schema_hash": content_hash(schema),
        "schema_fields": [f.get("name") for f in schema.get("fields", [])],
    }


def _annotator_fields(value: Any) -> list[str]:
    try:
        return visibility.clean_annotator_fields(value)
    except ValueError as exc:
        raise InvalidInput([f"annotator_fields: {exc}"]) from None


def update_project(*, project: Project, by, **changes: Any) -> Project:
    """Apply settings changes. New instructions become a new guideline version; a new
    overlap re-opens or closes items for the queue; a schema change is validated.
    Settings an app above the workbench owns (e.g. quality's `final_label_rule`) go to
    that app's settings section (extensions.SettingsSection.update), in this transaction."""
    by_section: dict[str, dict[str, Any]] = {}
    for key in list(changes):
        if (section := extensions.settings_section_of(key)) is not None:
            by_section.setdefault(section.app, {})[key] = changes.pop(key)
    allowed = {*PLAIN_SETTINGS, "instructions", "label_schema", *GOLD_SETTINGS}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput([f"{key}: not a project setting" for key in sorted(unknown)])
    if "label_schema" in changes:
        changes["label_schema"] = _validated_schema(changes["label_schema"])
    if "overlap" in changes and changes["overlap"] < 1:
        raise InvalidInput(["overlap: must be at least 1"])
    if "annotator_fields" in changes:
        changes["annotator_fields"] = _annotator_fields(changes["annotator_fields"])
    if gold_errors := _gold_setting_errors(changes):
        raise InvalidInput(gold_errors)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        before = audit.snapshot(project, AUDITED_FIELDS)
        old_schema = project.label_schema
        sections = {section.app: section for section in extensions.settings_sections()}
        for app, section_changes in by_section.items():
            sections[app].update(project=project, by=by, **section_changes)
        updated = [key for key, value in changes.items() if getattr(project, key) != value]
        for key in updated:
            setattr(project, key, changes[key])
        if "instructions" in updated:
            project.guideline_version += 1
            GuidelineVersion.objects.create(
                project=project,
                version=project.guideline_version,
                text=project.instructions,
                created_by=by,
            )
            updated.append("guideline_version")
        if not updated:
            return project
        project.updated_at = timezone.now()
        project.save(update_fields=[*updated, "updated_at"])
        if "ordering" in updated:
            project.items.update(queue_rank=project.queue_rank_expression())
        if "overlap" in updated:
            _shift_counters(overlap=project.overlap, project_id=project.pk)
        _record_update(project=project, before=before, old_schema=old_schema, by=by)
    project.__dict__.pop("schema", None)
    return project


def _record_update(*, project: Project, before: dict, old_schema: dict, by) -> None:
    """The events of one settings change: the settings, a new label schema, a new
    guideline version (each its own action, so the log can be filtered for them)."""
    if changes := audit.changed_fields(before, project, AUDITED_FIELDS):
        audit.record(
            action="workbench.project.update", obj=project, project=project, changes=changes, by=by
        )
    if project.label_schema != old_schema:
        old, new = _schema_facts(old_schema), _schema_facts(project.label_schema)
        audit.record(
            action="workbench.project.schema_change",
            obj=project,
            project=project,
            changes={k: {"before": old[k], "after": new[k]} for k in new},
            by=by,
        )
    if project.guideline_version != before["guideline_version"]:
        audit.record(
            action="workbench.guideline.create",
            object_type="workbench.guidelineversion",
            object_id=project.guideline_version,
            project=project,
            changes={
                "version": project.guideline_version,
                "text_hash": content_hash(project.instructions),
            },
            by=by,
        )


def set_priority(*, project: Project, item_ids: list[int], priority: int, by) -> int:
    """Give items a new priority; under priority ordering their queue place moves too."""
    items = project.items.filter(pk__in=item_ids)
    with transaction.atomic():
        updated = items.update(priority=priority)
        items.update(queue_rank=project.queue_rank_expression())
        audit.record_bulk(
            action="workbench.item.bulk_priority",
            object_type="workbench.item",
            ids=items.values_list("pk", flat=True),
            changes={"priority": priority},
            project=project,
            by=by,
        )
    return updated


# --- gold items --------------------------------------------------------------------------------

# The gold settings the workbench itself reads (the queue's gold draw and the lock on a
# gold answer with feedback on); the pass rule (threshold, minimum items) is quality's.
GOLD_SETTINGS = ("gold_rate", "gold_feedback")

# What a project's events show of its settings: the schema and the instructions (long
# texts) are named by their own events' facts, not copied.
AUDITED_FIELDS = (*PLAIN_SETTINGS, *GOLD_SETTINGS, "guideline_version")


def _gold_setting_errors(changes: dict) -> list[str]:
    if "gold_rate" in changes and not 0 <= changes["gold_rate"] <= 1:
        return [f"gold_rate: must be between 0 and 1, got {changes['gold_rate']}"]
    return []
