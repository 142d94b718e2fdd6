"""Where a candidate answers an attempt: a small workbench project of its own.

Why a project per attempt, and not the pool project with the drawn items assigned to the
candidate: the queue (workbench/services/queue.py) serves gold to every annotator of a
project, at the project's gold rate and in one fixed order per item, and its hot path has
no notion of "only these items for this person". A project holding copies of exactly the
drawn items, with the candidate its only annotator, needs no change to the queue, and
everything the workbench already guarantees holds unchanged: the normal annotation page
and `/next` (the candidate cannot tell it from any other project), the lead time the page
measures, visibility.py's annotator view, and quality's `record_gold_snapshots` and
`gold_accuracy`, which then measure exactly this attempt. The candidate is a plain member
of the platform's organization (`NetworkOrganization`): plain members see only projects
they hold a role in (`ProjectQuerySet.visible_to`), so never the pool project, other
candidates' attempts, the references or which item is gold.
"""

from __future__ import annotations

from django.db import transaction

from trainerdesk.accounts import services as accounts
from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.lib.jsonutil import content_hash
from trainerdesk.vetting.models import NetworkOrganization
from trainerdesk.workbench import services as workbench
from trainerdesk.workbench import visibility
from trainerdesk.workbench.models import Item, Project

NETWORK_ORG_NAME = "TrainerDesk Network"


def network_organization(*, by=None) -> Organization:
    """The platform's organization for attempt workspaces; made on first use with `by`
    (platform staff: creating the first assessment) as its owner."""
    row = NetworkOrganization.objects.select_related("organization").first()
    if row is not None:
        return row.organization
    if by is None:
        raise InvalidInput(["organization: the network organization does not exist yet"])
    with transaction.atomic():
        org = accounts.create_organization(name=NETWORK_ORG_NAME, owner=by, by=by)
        NetworkOrganization.objects.create(organization=org)
    return org


def _shown_data(pool: Project, item: Item) -> dict:
    # The copy carries only what an annotator of the pool would be shown: keys a
    # candidate never sees (sources, file names) have no reason to leave the pool.
    return visibility.annotator_data(pool, item.data)


def create_workspace(
    *, pool: Project, name: str, user, item_ids: list[int], threshold: float, by
) -> tuple[Project, list[int]]:
    """The attempt's project: copies of `item_ids` (gold, with their references), every
    served item gold (gold_rate 1), no feedback, `user` its only annotator. Returns the
    project and the copies' ids in the order of `item_ids`. Runs in the caller's
    transaction."""
    org = network_organization()
    items = {i.pk: i for i in Item.objects.filter(project=pool, pk__in=item_ids)}
    rows, hashes = [], []
    for pk in item_ids:
        item = items[pk]
        data = _shown_data(pool, item)
        hashes.append(content_hash(data))
        rows.append({"data": data, "reference": item.reference, "gold": True})
    with transaction.atomic():
        if not Membership.objects.filter(organization=org, user=user).exists():
            accounts.add_member(organization=org, user=user, by=by)
        project = workbench.create_project(
            organization=org,
            created_by=by,
            name=name,
            label_schema=pool.label_schema,
            instructions=pool.instructions,
            description="An assessment attempt: the items drawn for one candidate.",
            overlap=1,
            blind_order=pool.blind_order,
            annotator_fields=list(pool.annotator_fields or []),
        )
        project = workbench.update_project(
            project=project,
            by=by,
            gold_rate=1.0,
            gold_feedback=False,
            annotators_see_comments=False,
            gold_threshold=threshold,
            gold_min_items=len(item_ids),
        )
        workbench.set_project_member(project=project, user=user, role="annotator", by=by)
        result = workbench.add_items(project=project, items=rows, by=by)
        if result.errors or result.added != len(rows):
            problems = [e.message for e in result.errors[:3]] or ["duplicate items in the pool"]
            raise InvalidInput(
                [f"project: the pool's items could not be copied: {p}" for p in problems]
            )
        ids = dict(project.items.values_list("content_hash", "id"))
    return project, [ids[h] for h in hashes]
