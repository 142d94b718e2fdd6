"""Assessments: a gold project offered to candidates, its versions and its status."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from trainerdesk.lib import audit
from trainerdesk.lib.digest import lines_digest
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.jsonutil import content_hash
from trainerdesk.vetting.models import Assessment, AssessmentRevision, Domain, TaskType
from trainerdesk.vetting.services.workspace import network_organization
from trainerdesk.workbench.models import Item, Project

# A change to any of these changes what a result means: a new version. Title, wording,
# validity and the retake wait do not (they are recorded in the audit log all the same).
MEASURED = ("items_per_attempt", "pass_threshold")
EDITABLE = (
    "title",
    "description",
    "items_per_attempt",
    "pass_threshold",
    "validity_days",
    "retake_wait_days",
)
MAX_ITEMS_PER_ATTEMPT = 500
MAX_DAYS = 3650


def gold_pool(project: Project):
    """The items an attempt may draw: the project's gold items with a reference."""
    return Item.objects.filter(project=project, is_gold=True, reference__isnull=False)


def pool_digest(project: Project) -> tuple[str, int]:
    """(digest, size) of what an attempt can be asked: lib/digest's lines of `item id<TAB>
    content hash of the data<TAB>content hash of the reference`, by item id. Adding or
    removing a gold item, or changing a text or a reference, changes it."""
    rows = gold_pool(project).order_by("pk").values_list("pk", "data", "reference")
    lines = [(pk, content_hash(data), content_hash(ref)) for pk, data, ref in rows.iterator()]
    return lines_digest(lines), len(lines)


def note_pool_changes(*, assessment: Assessment, by) -> Assessment:
    """Make the version follow the pool: a pool that differs from the one the current
    version was measured on makes a new version and its AssessmentRevision (attempts keep
    theirs, so nothing earned is invalidated). The caller holds the assessment's row lock.
    The first computation (assessments made before digests were kept) only records it."""
    digest, size = pool_digest(assessment.project)
    if digest == assessment.pool_digest:
        return assessment
    fields = ["pool_digest", "pool_size"]
    if assessment.pool_digest:
        change = {"pool": {"before": assessment.pool_size, "after": size}}
        assessment.version += 1
        AssessmentRevision.objects.create(
            assessment=assessment, version=assessment.version, changes=change, created_by=by
        )
        fields.append("version")
        audit.record(
            action="vetting.assessment.update",
            obj=assessment,
            project=assessment.project_id,
            changes={**change, "pool_sha256": digest, "version": assessment.version},
            by=by,
        )
    assessment.pool_digest, assessment.pool_size = digest, size
    assessment.save(update_fields=fields)
    return assessment


def _errors(values: dict[str, Any], *, project: Project | None) -> list[str]:
    errors = []
    if "title" in values and not str(values["title"] or "").strip():
        errors.append("title: must not be empty")
    if "task_type" in values and values["task_type"] not in TaskType.values:
        errors.append(f"task_type: must be one of {', '.join(TaskType.values)}")
    if "domain" in values and values["domain"] not in Domain.values:
        errors.append(f"domain: must be one of {', '.join(Domain.values)}")
    for name, low, high in (
        ("items_per_attempt", 1, MAX_ITEMS_PER_ATTEMPT),
        ("validity_days", 1, MAX_DAYS),
        ("retake_wait_days", 0, MAX_DAYS),
    ):
        if name in values:
            v = values[name]
            if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
                errors.append(f"{name}: must be a whole number from {low} to {high}, got {v!r}")
    if "pass_threshold" in values:
        v = values["pass_threshold"]
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
            errors.append(f"pass_threshold: must be a number from 0 to 1, got {v!r}")
    size = values.get("items_per_attempt")
    if project is not None and isinstance(size, int) and not errors:
        pool = gold_pool(project).count()
        if pool < size:
            errors.append(
                f"project: {project.name} has {pool} gold item(s) with a reference; an "
                f"attempt draws {size} (items_per_attempt)"
            )
    return errors


def create_assessment(
    *,
    project: Project,
    slug: str,
    title: str,
    task_type: str,
    domain: str,
    items_per_attempt: int,
    pass_threshold: float,
    validity_days: int = 365,
    retake_wait_days: int = 30,
    description: str = "",
    by,
) -> Assessment:
    """A draft assessment over the project's gold pool (activate it to offer it)."""
    values = {
        "title": title,
        "task_type": task_type,
        "domain": domain,
        "items_per_attempt": items_per_attempt,
        "pass_threshold": pass_threshold,
        "validity_days": validity_days,
        "retake_wait_days": retake_wait_days,
    }
    errors = _errors(values, project=project)
    if slug != slugify(slug) or not slug:
        errors.insert(0, "slug: lower-case letters, digits and hyphens only")
    elif Assessment.objects.filter(slug=slug).exists():
        errors.insert(0, f"slug: {slug} is taken")
    if Assessment.objects.filter(project=project).exists():
        errors.append(f"project: {project.name} is already an assessment's pool")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        network_organization(by=by)  # attempts need it; staff make it with the first one
        digest, size = pool_digest(project)
        assessment = Assessment.objects.create(
            project=project,
            slug=slug,
            description=description,
            created_by=by,
            pool_digest=digest,
            pool_size=size,
            **values,
        )
        facts = {**{k: values[k] for k in MEASURED}, "pool": size}
        AssessmentRevision.objects.create(
            assessment=assessment, version=1, changes={"created": facts}, created_by=by
        )
        audit.record(
            action="vetting.assessment.create",
            obj=assessment,
            project=project,
            changes={"slug": slug, "project_id": project.pk, **values},
            by=by,
        )
    return assessment


def update_assessment(*, assessment: Assessment, by, **changes: Any) -> Assessment:
    """Change an assessment. A change of what is measured (MEASURED) makes a new version
    with its AssessmentRevision; attempts keep the version they were taken under, so
    nothing already earned is invalidated."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput([f"{k}: not an assessment setting" for k in unknown])
    if errors := _errors(changes, project=assessment.project):
        raise InvalidInput(errors)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        before = audit.snapshot(assessment, list(EDITABLE))
        updated = [k for k, v in changes.items() if getattr(assessment, k) != v]
        for key in updated:
            setattr(assessment, key, changes[key])
        if not updated:
            return assessment
        diff = audit.changed_fields(before, assessment, list(EDITABLE))
        measured = {k: v for k, v in diff.items() if k in MEASURED}
        if measured:
            assessment.version += 1
            AssessmentRevision.objects.create(
                assessment=assessment, version=assessment.version, changes=measured, created_by=by
            )
            updated.append("version")
        assessment.save(update_fields=updated)
        audit.record(
            action="vetting.assessment.update",
            obj=assessment,
            project=assessment.project_id,
            changes={**diff, "version": assessment.version},
            by=by,
        )
    return assessment


def _set_status(*, assessment: Assessment, status: str, allowed: set[str], action: str, by):
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if assessment.status == status:
            return assessment
        if assessment.status not in allowed:
            raise ConflictError(
                f"status: a {assessment.get_status_display().lower()} assessment cannot "
                f"become {status}"
            )
        if status == Assessment.Status.ACTIVE and (
            errors := _errors(
                {"items_per_attempt": assessment.items_per_attempt}, project=assessment.project
            )
        ):
            raise InvalidInput(errors)
        before = audit.snapshot(assessment, ["status"])
        assessment.status = status
        assessment.save(update_fields=["status"])
        audit.record(
            action=action,
            obj=assessment,
            project=assessment.project_id,
            changes=audit.changed_fields(before, assessment, ["status"]),
            by=by,
        )
    return assessment


def activate_assessment(*, assessment: Assessment, by) -> Assessment:
    """Offer the assessment to candidates (from draft, or again after retiring it)."""
    return _set_status(
        assessment=assessment,
        status=Assessment.Status.ACTIVE,
        allowed={Assessment.Status.DRAFT, Assessment.Status.RETIRED},
        action="vetting.assessment.activate",
        by=by,
    )


def retire_assessment(*, assessment: Assessment, by) -> Assessment:
    """No new attempts; attempts in progress may still be finished, results stay valid."""
    return _set_status(
        assessment=assessment,
        status=Assessment.Status.RETIRED,
        allowed={Assessment.Status.DRAFT, Assessment.Status.ACTIVE},
        action="vetting.assessment.retire",
        by=by,
    )


def assessments_for_skill(task_type: str, domain: str):
    """The active assessments that measure this skill (what a candidate could take)."""
    return Assessment.objects.filter(
        task_type=task_type, domain=domain, status=Assessment.Status.ACTIVE
    )
