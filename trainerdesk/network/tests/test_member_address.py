"""The member's postal address: asked on the apply page, stored by the service (too long
is refused naming the field), shown to staff."""

import pytest

from trainerdesk.accounts.services import create_user
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.network import services
from trainerdesk.network.models import Member


@pytest.fixture
def visitor(db):
    return create_user(username="addressee", password="x", check_password=False)


def test_apply_page_takes_the_address_and_staff_see_it(client_for, visitor, staff):
    c = client_for(visitor)
    assert b'name="postal_code"' in c.get("/network/apply/").content
    ok = c.post(
        "/network/apply/",
        {"display_name": "Ada Address", "country": "AT", "vat_status": "not_registered",
         "street": " Mariahilfer Straße 1/4 ", "postal_code": "1060", "city": "Wien"},
    )  # fmt: skip
    assert ok.status_code == 302
    m = Member.objects.get(user=visitor)
    assert (m.street, m.postal_code, m.city) == ("Mariahilfer Straße 1/4", "1060", "Wien")
    page = client_for(staff).get("/network/staff/members/").content.decode()
    assert "Mariahilfer Straße 1/4, 1060 Wien, AT" in page


def test_a_too_long_address_is_refused_naming_the_field(visitor):
    with pytest.raises(InvalidInput, match="postal_code"):
        services.apply_for_membership(
            user=visitor, display_name="Ada", country="AT", vat_status="not_registered",
            postal_code="9" * 21, by=visitor,
        )  # fmt: skip
    assert not Member.objects.filter(user=visitor).exists()
