"""Who may see which invoice: the one place that answers 404. Staff see every invoice and
draft; a client's contacts see their client's issued invoices and credit notes; a member
sees their own issued membership invoices (and the credit notes of those). Drafts are
staff's only. Anything else, and anyone else, is "not found"."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from trainerdesk.invoicing.models import Invoice
from trainerdesk.network.access import client_ids_of, member_of

MAX_ID = 2**63 - 1


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def require_staff(user: Any) -> None:
    if not is_staff(user):
        raise Http404("Not found")


def invoices_for(user: Any) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("series", "credit_note_for")
    if not (user and user.is_authenticated):
        return qs.none()
    if user.is_staff:
        return qs
    visible = qs.none()
    clients = client_ids_of(user)
    if clients:
        visible = visible | qs.filter(client_id__in=clients)
    member = member_of(user)
    if member is not None:
        # Placement invoices carry no member (they are the client's); membership invoices
        # and their credit notes carry the member.
        visible = visible | qs.filter(member_id=member.pk)
    return visible.issued()


def get_invoice_for_user(user: Any, invoice_id: int) -> Invoice:
    if not 0 < invoice_id <= MAX_ID:
        raise Http404("Not found")
    found = invoices_for(user).filter(pk=invoice_id).first()
    if found is None:
        raise Http404("Not found")
    return found
