"""Who may see which contract: the one place that answers 404.

Staff see every contract and template. A party sees their own contracts once sent (a
draft is staff's until it goes out): a member their member agreements, a client's contact
the client's framework agreement and role terms. Anyone else: "not found", never a hint
that it exists."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from trainerdesk.contracts.models import Contract, ContractTemplate
from trainerdesk.placements import parties
from trainerdesk.workbench.access import key_or_404


def require_staff(user: Any) -> None:
    if not parties.is_staff(user):
        raise Http404("Not found")


def visible_contracts(user: Any) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("version__template", "member", "client", "opening")
    if parties.is_staff(user):
        return qs
    rule = Q(pk__in=[])
    if (member := parties.member_for(user)) is not None:
        rule |= Q(member=member)
    if client_ids := parties.client_ids_for(user):
        rule |= Q(client_id__in=client_ids)
    return qs.filter(rule).exclude(status=Contract.Status.DRAFT)


def party_contracts(user: Any) -> QuerySet[Contract]:
    """The contracts where `user` is a party (even for staff: their own page)."""
    rule = Q(pk__in=[])
    if (member := parties.member_for(user)) is not None:
        rule |= Q(member=member)
    if client_ids := parties.client_ids_for(user):
        rule |= Q(client_id__in=client_ids)
    return (
        Contract.objects.select_related("version__template", "member", "client", "opening")
        .filter(rule)
        .exclude(status=Contract.Status.DRAFT)
    )


def get_contract_for_user(user: Any, contract_id: Any) -> Contract:
    try:
        return visible_contracts(user).get(pk=key_or_404(contract_id))
    except Contract.DoesNotExist:
        raise Http404("No such contract") from None


def get_template_for_staff(user: Any, template_id: Any) -> ContractTemplate:
    require_staff(user)
    template = ContractTemplate.objects.filter(pk=key_or_404(template_id)).first()
    if template is None:
        raise Http404("No such template")
    return template
