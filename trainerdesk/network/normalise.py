"""Normalised forms of what identifies a person or a company (no Django imports).

A candidate is one record per person: two members typing the same e-mail, phone or
profile URL differently must land on the same stored value, so the unique constraints
on `Candidate` catch the second record. Each function returns the stored form or raises
`InvalidInput` naming the field.
"""

from __future__ import annotations

import re
from functools import cache

from trainerdesk.lib.errors import InvalidInput

EU = "EU"
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email(value: str | None, field: str = "email") -> str | None:
    value = (value or "").strip().lower()
    if not value:
        return None
    if not _EMAIL.match(value) or len(value) > 254:
        raise InvalidInput([f"{field}: not an e-mail address"])
    return value


def phone(value: str | None, region: str = "", field: str = "phone") -> str | None:
    """E.164 (`+4366412345678`). A number without `+` is read in `region` (the person's
    country); without one it must be international."""
    import phonenumbers  # a large module, used only when a phone number is typed

    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = phonenumbers.parse(value, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            [f"{field}: not a phone number (write it with the country code, e.g. +43 …)"]
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput([f"{field}: {value!r} is not a valid phone number"])
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def profile_url(value: str | None, field: str = "profile_url") -> str | None:
    """`https://www.LinkedIn.com/in/cara/` -> `linkedin.com/in/cara`: no scheme, no `www.`,
    host lower-cased, no trailing slash, query and fragment dropped."""
    value = (value or "").strip()
    if not value:
        return None
    rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", value)
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    host, _, path = rest.partition("/")
    host = host.lower().removeprefix("www.")
    if "." not in host or any(c in host for c in " @\\"):
        raise InvalidInput([f"{field}: not a web address"])
    result = f"{host}/{path}".rstrip("/")
    if len(result) > 300:
        raise InvalidInput([f"{field}: longer than 300 characters"])
    return result


def country(value: str | None, field: str = "country", *, allow_eu: bool = False) -> str:
    """An ISO 3166-1 alpha-2 code, upper case; "EU" too where `allow_eu`."""
    import pycountry

    code = (value or "").strip().upper()
    if allow_eu and code == EU:
        return EU
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise InvalidInput([f"{field}: {value!r} is not an ISO 3166 country code (e.g. AT)"])
    return code


def language(value: str | None, field: str = "language") -> str:
    """ISO 639-1 where the language has one, else ISO 639-3 (`de`, `en`, `yue`)."""
    import pycountry

    code = (value or "").strip().lower()
    found = None
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        raise InvalidInput([f"{field}: {value!r} is not an ISO 639 language code (e.g. en)"])
    return getattr(found, "alpha_2", None) or found.alpha_3


def level(value: str | None, field: str = "level") -> str:
    raw = (value or "").strip()
    for known in LEVELS:
        if raw.lower() == known.lower():
            return known
    raise InvalidInput([f"{field}: {value!r} is not one of {', '.join(LEVELS)}"])


def level_rank(value: str) -> int:
    return LEVELS.index(value) if value in LEVELS else -1


def vat_id(value: str | None, field: str = "vat_id") -> str:
    """An EU VAT id checked for format and checksum (python-stdnum); compact form
    (`ATU13585627`). The online VIES check needs the network and is not done here."""
    from stdnum.eu import vat
    from stdnum.exceptions import ValidationError

    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return vat.validate(raw)
    except ValidationError as exc:
        raise InvalidInput([f"{field}: {raw!r} is not a valid EU VAT id ({exc})"]) from None


@cache
def language_names() -> dict[str, str]:
    """Code -> English name for the languages a form offers (those with a 639-1 code)."""
    import pycountry

    return {
        lang.alpha_2: lang.name
        for lang in sorted(pycountry.languages, key=lambda lang: lang.name)
        if hasattr(lang, "alpha_2")
    }
