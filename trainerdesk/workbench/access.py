"""The one place that decides who may see or change a workbench object.

Each getter raises Http404 for anything the user may not touch, so a denial never
reveals whether the object exists.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from trainerdesk.workbench import runs
from trainerdesk.workbench.models import (
    Annotation,
    Comment,
    ImageAsset,
    ImportJob,
    Item,
    Lease,
    Notification,
    Project,
    ProjectMember,
    Webhook,
    WebhookDelivery,
)

Role = ProjectMember.Role

# What each action needs, as the set of project roles allowed to do it.
CAN = {
    "view": {Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR},
    "annotate": {Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR},
    "see_all_work": {Role.MANAGER, Role.REVIEWER},
    "manage": {Role.MANAGER},
    # Accept, reject, fix and send back annotations (quality app's review queue).
    "review": {Role.MANAGER, Role.REVIEWER},
}


def key_or_404(value) -> int:
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
        project = Project.objects.get_with_role(pk=key_or_404(project_id), user=user)
    except Project.DoesNotExist:
        raise Http404("No such project") from None
    role = project.role
    if role is None or role not in CAN[action]:
        raise Http404("No such project")
    project.user_role = role
    return project


def get_project_with_runs(user, project_id, *, action: str = "view") -> Project:
    """get_project_for_user for a page or API read that shows background runs (imports,
    reports, label-error runs): the project's runs not heard from within the stale window
    are failed first (runs.fail_stale_runs), so a dead worker's run never shows as running
    nor blocks a new one."""
    project = get_project_for_user(user, project_id, action=action)
    runs.fail_stale_runs(project=project)
    return project


def can(project: Project, action: str) -> bool:
    return getattr(project, "user_role", None) in CAN[action]


def get_item_for_user(user, project: Project, item_id) -> Item:
    """Items of a project the user can already see (get_project_for_user checked that)."""
    try:
        return Item.objects.get(pk=key_or_404(item_id), project=project)
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
        return annotations_visible_to(user, project).get(pk=key_or_404(annotation_id))
    except Annotation.DoesNotExist:
        raise Http404("No such annotation") from None


def get_import_for_user(user, project: Project, job_id) -> ImportJob:
    try:
        return ImportJob.objects.get(pk=key_or_404(job_id), project=project)
    except ImportJob.DoesNotExist:
        raise Http404("No such import") from None


# --- comments, inbox and webhooks -------------------------------------------------------


def comments_visible(project: Project) -> bool:
    """Whether the user get_project_for_user loaded the project for may read and write
    comments at all: managers and reviewers always, annotators as the project allows."""
    role = getattr(project, "user_role", None)
    return role in CAN["see_all_work"] or (
        role == Role.ANNOTATOR and project.annotators_see_comments
    )


def items_reachable_by(user, project: Project):
    """Items the user may open outside the queue: all of them for managers and reviewers;
    for annotators, the items they answered or skipped, hold a lease on, or are assigned."""
    items = Item.objects.filter(project=project)
    if can(project, "see_all_work"):
        return items
    return items.filter(
        Q(pk__in=Annotation.objects.filter(project=project, annotator=user).values("item_id"))
        | Q(pk__in=Lease.objects.filter(project=project, annotator=user).values("item_id"))
        | Q(assignee=user)
    )


def get_commented_item_for_user(user, project: Project, item_id) -> Item:
    """An item whose comment thread the user may read and write."""
    if not comments_visible(project):
        raise Http404("No such item")
    try:
        return items_reachable_by(user, project).get(pk=key_or_404(item_id))
    except Item.DoesNotExist:
        raise Http404("No such item") from None


def get_comment_for_user(user, project: Project, comment_id) -> Comment:
    """A comment on an item the user may read the thread of."""
    if not comments_visible(project):
        raise Http404("No such comment")
    try:
        return Comment.objects.select_related("author", "item").get(
            pk=key_or_404(comment_id),
            project=project,
            item__in=items_reachable_by(user, project).values("pk"),
        )
    except Comment.DoesNotExist:
        raise Http404("No such comment") from None


def project_roles(project: Project) -> dict[int, str]:
    """Every user with a role in the project, as {user id: effective role}: organization
    owners and admins act as managers; project members must still be in the organization."""
    from trainerdesk.accounts.models import Membership

    in_org = Membership.objects.filter(organization_id=project.organization_id)
    roles = dict(
        ProjectMember.objects.filter(project=project, user__in=in_org.values("user")).values_list(
            "user_id", "role"
        )
    )
    for user_id in in_org.filter(role__in=Membership.ADMIN_ROLES).values_list("user_id", flat=True):
        roles[user_id] = Role.MANAGER
    return roles


def comment_readers(project: Project, item: Item, roles: dict[int, str]) -> set[int]:
    """Of the users in `roles` (from project_roles), those who may read the item's comments."""
    readers = {uid for uid, role in roles.items() if role in CAN["see_all_work"]}
    annotators = [uid for uid, role in roles.items() if role == Role.ANNOTATOR]
    if annotators and project.annotators_see_comments:
        reached = set(
            Annotation.objects.filter(item=item, annotator__in=annotators).values_list(
                "annotator_id", flat=True
            )
        )
        reached |= set(
            Lease.objects.filter(item=item, annotator__in=annotators).values_list(
                "annotator_id", flat=True
            )
        )
        if item.assignee_id in annotators:
            reached.add(item.assignee_id)
        readers |= reached
    return readers


def projects_seeing_all_work(user) -> set[int]:
    """Ids of the projects where the user sees all work (manager or reviewer, or admin of
    the organization): there they see items whole, external ids included."""
    from trainerdesk.accounts.models import Membership

    admin_orgs = Membership.objects.filter(user=user, role__in=Membership.ADMIN_ROLES)
    return set(
        Project.objects.filter(
            Q(organization__in=admin_orgs.values("organization"))
            | Q(members__user=user, members__role__in=CAN["see_all_work"])
        ).values_list("pk", flat=True)
    )


def notifications_for(user):
    """The user's inbox, limited to comments they may still read: projects they can still
    open, and for annotators only while the project lets annotators see comments."""
    from trainerdesk.accounts.models import Membership

    if not user.is_authenticated:
        return Notification.objects.none()
    admin_orgs = Membership.objects.filter(user=user, role__in=Membership.ADMIN_ROLES)
    sees_all = ProjectMember.objects.filter(
        project=OuterRef("comment__project"), user=user, role__in=CAN["see_all_work"]
    )
    visible = Project.objects.visible_to(user).values("pk")
    comment_readable = (
        Q(comment__project__organization__in=admin_orgs.values("organization"))
        | Exists(sees_all)
        | Q(comment__project__annotators_see_comments=True)
    )
    return Notification.objects.filter(
        # A sent-back answer is the user's own: readable while they may open the project.
        (comment_readable & Q(comment__project__in=visible))
        | Q(comment__isnull=True, item__project__in=visible),
        user=user,
    )


def get_webhook_for_user(user, project: Project, webhook_id) -> Webhook:
    """Webhooks belong to managers (get_project_for_user(action="manage") checked that)."""
    if not can(project, "manage"):
        raise Http404("No such webhook")
    try:
        return Webhook.objects.get(pk=key_or_404(webhook_id), project=project)
    except Webhook.DoesNotExist:
        raise Http404("No such webhook") from None


def deliveries_visible_to(user, project: Project):
    if not can(project, "manage"):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(webhook__project=project)


def organizations_managed_by(user):
    """Organizations where the user may create projects: those they own or administer."""
    from trainerdesk.accounts.models import Membership, Organization

    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=Membership.ADMIN_ROLES
    ).order_by("name")
