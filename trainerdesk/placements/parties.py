"""Who a user is in the network, read from network's models: the member behind a login,
the clients whose contact they are, staff. Read-only lookups shared by access, services
and pages."""

from __future__ import annotations

from trainerdesk.network.models import ClientContact, Member


def member_for(user) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user=user).first()


def client_ids_for(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(ClientContact.objects.filter(user=user).values_list("client_id", flat=True))


def is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def roles_on(user, submission) -> set[str]:
    """The capacities in which `user` acts on `submission`: staff, member (theirs),
    client (a contact of the opening's client)."""
    roles: set[str] = set()
    if is_staff(user):
        roles.add("staff")
    if getattr(user, "is_authenticated", False):
        if submission.member.user_id == user.pk:
            roles.add("member")
        if submission.opening.client_id in client_ids_for(user):
            roles.add("client")
    return roles
