"""Who may see what of accounts' own records; the one place that answers 404 here.

The audit log of an organization is for its owners and admins (Membership.ADMIN_ROLES);
anyone else gets a 404, so a denial never tells whether the organization exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from trainerdesk.accounts.models import Membership, Organization

# Largest id a database integer column holds: bigger ids are simply "not found".
MAX_ID = 2**63 - 1


def audit_organizations(user) -> QuerySet[Organization]:
    """The organizations whose audit log `user` may read."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=Membership.ADMIN_ROLES
    ).order_by("name", "pk")


def get_audit_organization(user, organization_id) -> Organization:
    try:
        key = int(organization_id)
    except (TypeError, ValueError):
        raise Http404("No such organization") from None
    if not 1 <= key <= MAX_ID:
        raise Http404("No such organization")
    org = audit_organizations(user).filter(pk=key).first()
    if org is None:
        raise Http404("No such organization")
    return org
