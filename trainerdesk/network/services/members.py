"""Applying for membership and staff's decision on it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import normalise
from trainerdesk.network.models import Member, VatStatus
from trainerdesk.network.services.common import choice, decide_application, text


def apply_for_membership(
    *,
    user: Any,
    display_name: str,
    country: str,
    vat_status: str,
    vat_id: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    bio: str = "",
    application: dict | None = None,
    by: Any,
) -> Member:
    """A signed-in person applies to join; staff approve. `application` carries what they
    answered in the career assessment (only with their consent: they chose to bring it)."""
    if by is None or by.pk != user.pk:
        raise ConflictError("only the applicant can apply for themselves")
    name = text(display_name, "display_name", max_length=200)
    country = normalise.country(country)
    vat_status = choice(vat_status, "vat_status", VatStatus.choices)
    vat = normalise.vat_id(vat_id)
    if vat_status == VatStatus.REGISTERED and not vat:
        raise InvalidInput(["vat_id: required when VAT registered"])
    address = {
        "street": text(street, "street", max_length=200, required=False),
        "postal_code": text(postal_code, "postal_code", max_length=20, required=False),
        "city": text(city, "city", max_length=100, required=False),
    }
    if application is not None and not isinstance(application, dict):
        raise InvalidInput(["application: must be an object"])
    with transaction.atomic():
        if Member.objects.select_for_update().filter(user=user).exists():
            raise ConflictError("you have already applied; your application is on file")
        member = Member.objects.create(
            user=user,
            display_name=name,
            country=country,
            vat_status=vat_status,
            vat_id=vat,
            **address,
            bio=text(bio, "bio", max_length=5000, required=False),
            application=application or {},
        )
        audit.record(
            action="network.member.apply",
            obj=member,
            by=by,
            changes={
                "country": country,
                "vat_status": vat_status,
                "from_career_assessment": bool(application),
            },
        )
    return member


def decide_member(*, member: Member, approve: bool, reason: str = "", by: Any) -> Member:
    """Approve (which opens the first membership period, waiting for payment) or reject."""
    from trainerdesk.network.services.memberships import open_membership

    with transaction.atomic():
        member = decide_application(model=Member, obj=member, approve=approve, reason=reason, by=by)
        if approve:
            open_membership(member=member, by=by)
    return member
