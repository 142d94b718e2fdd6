"""The contracts the network's moves need (registered in `ContractsConfig.ready()` with
`network.services.gates`, because the network may not import this app): a member's
membership becomes active only with a signed member agreement, and a client's role opens
only under the client's signed framework agreement. Signed or active both count; an
expired or terminated one does not."""

from __future__ import annotations

from typing import Any

from trainerdesk.contracts import services
from trainerdesk.contracts.models import Kind

DEMO_USER_AGENT = "trainerdesk demo loader (accepted on the demo person's behalf)"


def member_agreement_signed(member: Any) -> str | None:
    if services.in_force(kind=Kind.MEMBER_AGREEMENT, member=member):
        return None
    return (
        "contract: the member has no signed member agreement; staff send it from "
        "Contracts and the member accepts it before the membership can become active"
    )


def client_framework_signed(opening: Any) -> str | None:
    if services.in_force(kind=Kind.CLIENT_FRAMEWORK, client=opening.client):
        return None
    return (
        "contract: the client has no signed framework agreement; a contact of the client "
        "accepts it (staff send it from Contracts) before a role can open"
    )


def sign_member_agreement_for_demo(member: Any, *, by: Any) -> None:
    services.sign_on_behalf(
        kind=Kind.MEMBER_AGREEMENT,
        member=member,
        signer=member.user,
        user_agent=DEMO_USER_AGENT,
        by=by,
    )


def sign_client_framework_for_demo(opening: Any, *, by: Any) -> None:
    contact = opening.client.contacts.order_by("-is_primary", "id").first()
    if contact is None:
        return  # nobody to sign: the gate then refuses the opening, as it should
    services.sign_on_behalf(
        kind=Kind.CLIENT_FRAMEWORK,
        client=opening.client,
        signer=contact.user,
        user_agent=DEMO_USER_AGENT,
        by=by,
    )


def remove_demo_contracts(*, members: Any, clients: Any) -> None:
    """Before the network demo deletes its members and clients (contracts PROTECT them)."""
    from django.db.models import Q

    from trainerdesk.contracts.models import Acceptance, Contract

    contracts = Contract.objects.filter(
        Q(member__in=members) | Q(client__in=clients) | Q(opening__client__in=clients)
    )
    Acceptance.objects.filter(contract__in=contracts).delete()
    contracts.delete()


def register() -> None:
    from trainerdesk.network.services import gates

    gates.register_gate(
        gates.MEMBERSHIP_ACTIVATE,
        member_agreement_signed,
        owner="contracts",
        fulfil=sign_member_agreement_for_demo,
    )
    gates.register_gate(
        gates.OPENING_OPEN,
        client_framework_signed,
        owner="contracts",
        fulfil=sign_client_framework_for_demo,
    )
    gates.register_demo_cleanup(remove_demo_contracts, owner="contracts")
