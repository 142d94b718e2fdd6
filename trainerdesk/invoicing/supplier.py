"""The platform as the supplier on its invoices, from `settings.INVOICE_SUPPLIER` (each
field an environment variable, with a placeholder default), checked before it is
printed: a bad VAT id in the settings fails loudly instead of reaching a customer."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from trainerdesk.invoicing import vat
from trainerdesk.lib.errors import InvalidInput

DEFAULT = {
    "name": "TrainerDesk Network GmbH",
    "street": "Stephansplatz 1",
    "postal_code": "1010",
    "city": "Wien",
    "country": "AT",
    "vat_id": "ATU12345675",
}


@dataclass(frozen=True)
class Supplier:
    name: str
    address: str
    country: str
    vat_id: str


def country_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return found.name if found is not None else code


def postal_address(street: str, postal_code: str, city: str, country: str) -> str:
    town = " ".join(part for part in (postal_code, city) if part)
    return "\n".join(part for part in (street, town, country_name(country)) if part)


def supplier() -> Supplier:
    values = {**DEFAULT, **getattr(settings, "INVOICE_SUPPLIER", {})}
    if values["country"] != vat.SUPPLIER_COUNTRY:
        raise ImproperlyConfigured("INVOICE_SUPPLIER: the platform is established in AT")
    try:
        vat_id = vat.check_vat_id(values["vat_id"], country="AT", field="supplier vat_id")
    except InvalidInput as exc:
        raise ImproperlyConfigured(f"TRAINERDESK_SUPPLIER_VAT_ID: {exc}") from None
    if not values["name"].strip():
        raise ImproperlyConfigured("INVOICE_SUPPLIER: TRAINERDESK_SUPPLIER_NAME is empty")
    address = postal_address(values["street"], values["postal_code"], values["city"], "AT")
    return Supplier(name=values["name"], address=address, country="AT", vat_id=vat_id)
