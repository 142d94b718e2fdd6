"""Client companies (created by staff) and their contacts, who log in to the portal."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from trainerdesk.accounts.services import AccountError, create_user
from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network import normalise
from trainerdesk.network.models import Client, ClientContact
from trainerdesk.network.services.common import decide_application, require_staff, text

CLIENT_FIELDS = (
    "name",
    "legal_name",
    "country",
    "vat_id",
    "street",
    "postal_code",
    "city",
    "billing_email",
)


def _client_values(values: dict[str, Any]) -> dict[str, Any]:
    clean = {
        "name": text(values.get("name"), "name", max_length=200),
        "legal_name": text(values.get("legal_name"), "legal_name", max_length=200, required=False),
        "country": normalise.country(values.get("country")),
        "vat_id": normalise.vat_id(values.get("vat_id")),
        "street": text(values.get("street"), "street", max_length=200, required=False),
        "postal_code": text(
            values.get("postal_code"), "postal_code", max_length=20, required=False
        ),
        "city": text(values.get("city"), "city", max_length=100, required=False),
        "billing_email": normalise.email(values.get("billing_email"), "billing_email") or "",
    }
    if clean["vat_id"] and not clean["vat_id"].startswith(_vat_prefix(clean["country"])):
        raise InvalidInput([f"vat_id: does not belong to country {clean['country']}"])
    return clean


def _vat_prefix(country: str) -> str:
    return "EL" if country == "GR" else country


def create_client(*, by: Any, **values: Any) -> Client:
    """Staff add a company; it starts pending until staff approve it (the contract step of
    issue 11 comes in between)."""
    require_staff(by)
    unknown = set(values) - set(CLIENT_FIELDS)
    if unknown:
        raise InvalidInput([f"{name}: unknown field" for name in sorted(unknown)])
    clean = _client_values(values)
    with transaction.atomic():
        client = Client.objects.create(**clean, created_by=by)
        audit.record(
            action="network.client.create", obj=client, by=by, changes={"country": clean["country"]}
        )
    return client


def update_client(*, client: Client, by: Any, **values: Any) -> Client:
    require_staff(by)
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        merged = {name: getattr(client, name) for name in CLIENT_FIELDS} | values
        clean = _client_values(merged)
        before = audit.snapshot(client, CLIENT_FIELDS)
        for name, value in clean.items():
            setattr(client, name, value)
        client.save(update_fields=list(CLIENT_FIELDS))
        audit.record(
            action="network.client.update",
            obj=client,
            by=by,
            changes=audit.changed_fields(before, client, CLIENT_FIELDS),
        )
    return client


def decide_client(*, client: Client, approve: bool, reason: str = "", by: Any) -> Client:
    with transaction.atomic():
        return decide_application(model=Client, obj=client, approve=approve, reason=reason, by=by)


def add_client_contact(
    *,
    client: Client,
    username: str,
    email: str = "",
    password: str = "",
    job_title: str = "",
    is_primary: bool = False,
    by: Any,
) -> ClientContact:
    """Attach an existing account (by username), or create one when a password is given."""
    require_staff(by)
    username = text(username, "username", max_length=150)
    title = text(job_title, "job_title", max_length=100, required=False)
    with transaction.atomic():
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            if not password:
                raise InvalidInput(
                    [f"username: no account {username!r}; give a password to create it"]
                )
            try:
                user = create_user(
                    username=username,
                    password=password,
                    email=normalise.email(email) or "",
                    by=by,
                )
            except AccountError as exc:
                raise InvalidInput([str(exc)]) from None
        if ClientContact.objects.filter(client=client, user=user).exists():
            raise ConflictError(f"{username} is already a contact of {client.name}")
        contact = ClientContact.objects.create(
            client=client, user=user, job_title=title, is_primary=is_primary
        )
        audit.record(
            action="network.clientcontact.create",
            obj=contact,
            by=by,
            changes={"client": client.pk, "user": user.pk},
        )
    return contact
