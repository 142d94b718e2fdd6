import pytest

from trainerdesk.lib.errors import InvalidInput
from trainerdesk.network import normalise


def test_email_lower_cased():
    assert normalise.email("  Cara@Example.ORG ") == "cara@example.org"
    assert normalise.email("") is None
    with pytest.raises(InvalidInput, match="email"):
        normalise.email("not-an-email")


def test_phone_to_e164_in_the_persons_country():
    assert normalise.phone("0664 1234567", "AT") == "+436641234567"
    assert normalise.phone("+43 664 123 4567") == "+436641234567"
    with pytest.raises(InvalidInput, match="phone"):
        normalise.phone("12")


@pytest.mark.parametrize(
    "raw",
    [
        "https://www.LinkedIn.com/in/cara/",
        "http://linkedin.com/in/cara",
        "linkedin.com/in/cara/?x=1",
    ],
)
def test_profile_url_without_scheme_www_or_trailing_slash(raw):
    assert normalise.profile_url(raw) == "linkedin.com/in/cara"


def test_languages_countries_and_vat():
    assert normalise.language("EN") == "en"
    assert normalise.language("deu") == "de"
    assert normalise.language("yue") == "yue"
    assert normalise.country("at") == "AT"
    assert normalise.country("eu", allow_eu=True) == "EU"
    assert normalise.vat_id("DE 136 695 976") == "DE136695976"
    for bad, fn in (
        ("xx", normalise.language),
        ("ZZ", normalise.country),
        ("DE136695977", normalise.vat_id),
        ("Z9", normalise.level),
    ):
        with pytest.raises(InvalidInput):
            fn(bad)
