"""The one place that decides who may see or change a workbench object.

Each getter raises Http404 for anything the user may not touch, so a denial never
reveals whether the object exists.
"""

from __future__ import annotations

from django.http import Http404

from trainerdesk.workbench.models import (
    Annotation,
    ImageAsset,
    ImportJob,
    Item,
    Project,
    ProjectMember,
)

Role = ProjectMember.Role

# What each action needs, as the set of project roles allowed to do it.
CAN = {
    "view": {Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR},
    "annotate": {Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR},
    "see_all_work": {Role.MANAGER, Role.REVIEWER},
    "manage": {Role.MANAGER},
}


def _key(value) -> int:
    """A primary key from user input, or 404: out-of-range numbers would make PostgreSQL
    raise instead of finding nothing."""
    try:
        key = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found") from None
    if not 0 < key < 2**63:
        raise Http404("Not found")
    return key


def get_project_for_user(user, project_id, *, action: str = "view") -> Project:
    if not user.is_authenticated:
        raise Http404("No such project")
    try:
        project = Project.objects.get_with_role(pk=_key(project_id), user=user)
    except Project.DoesNotExist:
        raise Http404("No such project") from None
    role = project.role
    if role is None or role not in CAN[action]:
        raise Http404("No such project")
    project.user_role = role
    return project


def can(project: Project, action: str) -> bool:
    return getattr(project, "user_role", None) in CAN[action]


def get_item_for_user(user, project: Project, item_id) -> Item:
    """Items of a project the user can already see (get_project_for_user checked that)."""
    try:
        return Item.objects.get(pk=_key(item_id), project=project)
    except Item.DoesNotExist:
        raise Http404("No such item") from None


def get_image_for_user(user, project: Project, sha256: str) -> ImageAsset:
    """An image uploaded to a project the user can already see."""
    asset = ImageAsset.objects.filter(project=project, sha256=str(sha256)[:64]).first()
    if asset is None:
        raise Http404("No such image")
    return asset


def annotations_visible_to(user, project: Project):
    qs = Annotation.objects.filter(project=project)
    if can(project, "see_all_work") or project.annotators_see_others:
        return qs
    return qs.filter(annotator=user)


def get_annotation_for_user(user, project: Project, annotation_id) -> Annotation:
    try:
        return annotations_visible_to(user, project).get(pk=_key(annotation_id))
    except Annotation.DoesNotExist:
        raise Http404("No such annotation") from None


def get_import_for_user(user, project: Project, job_id) -> ImportJob:
    try:
        return ImportJob.objects.get(pk=_key(job_id), project=project)
    except ImportJob.DoesNotExist:
        raise Http404("No such import") from None


def organizations_managed_by(user):
    """Organizations where the user may create projects: those they own or administer."""
    from trainerdesk.accounts.models import Membership, Organization

    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=Membership.ADMIN_ROLES
    ).order_by("name")
