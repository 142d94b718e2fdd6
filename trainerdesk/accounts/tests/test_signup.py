"""Sign-up: a visitor makes an ordinary account (nothing else), or is told exactly why not."""

import pytest
from django.contrib.auth import get_user_model

from trainerdesk.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD = {
    "username": "mira",
    "email": "Mira@Example.org",
    "password1": "a long passphrase 42",
    "password2": "a long passphrase 42",
}


def test_a_visitor_signs_up_and_lands_where_they_were_going(client):
    assert (
        'id="signup-link"' in client.get("/accounts/login/?next=/network/apply/").content.decode()
    )
    r = client.post("/accounts/signup/", GOOD | {"next": "/network/apply/"})
    assert r.status_code == 302 and r["Location"] == "/network/apply/"
    user = User.objects.get(username="mira")
    assert user.email == "Mira@example.org"  # the domain is lower-cased, the name kept
    assert not (user.is_staff or user.is_superuser) and user.check_password(GOOD["password1"])
    assert client.get("/accounts/tokens/").status_code == 200  # signed in
    event = AuditEvent.objects.get(action="accounts.user.create")
    assert (event.actor_id, event.actor_system, event.object_id) == (None, "signup", str(user.pk))


def test_an_unsafe_next_goes_home(client):
    r = client.post("/accounts/signup/", GOOD | {"next": "https://evil.example/"})
    assert r["Location"] == "/"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "OWNER"}, "is taken"),
        ({"email": "OWNER@example.org"}, "already has an account"),
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password2": "something else"}, "The two passwords differ"),
        ({"username": "no spaces"}, "letters, digits and @ . + - _ only"),
    ],
)
def test_refusals_name_the_field_and_make_nothing(client, owner, change, message):
    owner.email = "owner@example.org"
    owner.save(update_fields=["email"])
    before = User.objects.count()
    r = client.post("/accounts/signup/", GOOD | change)
    assert r.status_code == 200 and message in r.content.decode()
    assert User.objects.count() == before


def test_closed_sign_up_is_not_found(client, settings):
    settings.SIGNUP_OPEN = False
    assert client.get("/accounts/signup/").status_code == 404
    assert 'id="signup-link"' not in client.get("/accounts/login/").content.decode()
