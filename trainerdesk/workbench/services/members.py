"""Project membership: adding, changing and removing a member's role."""

from __future__ import annotations

from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.workbench.models import Item, Lease, Project, ProjectMember
from trainerdesk.workbench.services.queue import _drop_lease


def set_project_member(*, project: Project, user, role: str, by) -> ProjectMember:
    if role not in ProjectMember.Role.values:
        raise InvalidInput([f"role: {role!r} is not one of {', '.join(ProjectMember.Role.values)}"])
    if project.organization.role_of(user) is None:
        raise InvalidInput([f"user: {user.get_username()} is not in {project.organization}"])
    with transaction.atomic():
        old = ProjectMember.objects.filter(project=project, user=user).first()
        before = None if old is None else audit.snapshot(old, ["role"])
        member, created = ProjectMember.objects.update_or_create(
            project=project, user=user, defaults={"role": role}
        )
        if changes := audit.changed_fields(before, member, ["role"]):
            audit.record(
                action="workbench.projectmember.create"
                if created
                else "workbench.projectmember.update",
                obj=member,
                project=project,
                changes={**changes, "user_id": user.pk},
                by=by,
            )
    return member


def remove_project_member(*, project: Project, user, by) -> None:
    with transaction.atomic():
        member = ProjectMember.objects.filter(project=project, user=user).first()
        if member is None:
            return
        member.delete()
        # Their assigned items go back to the shared queue instead of waiting for nobody.
        Item.objects.filter(project=project, assignee=user).update(assignee=None)
        for lease_id, item_id in Lease.objects.filter(project=project, annotator=user).values_list(
            "id", "item_id"
        ):
            _drop_lease(lease_id=lease_id, item_id=item_id, overlap=project.overlap)
        audit.record(
            action="workbench.projectmember.delete",
            object_type="workbench.projectmember",
            object_id=user.pk,
            project=project,
            changes={"user_id": user.pk, "role": member.role},
            by=by,
        )
