import pytest
from django.urls import reverse

from conftest import PASSWORD
from trainerdesk.accounts.models import ApiToken
from trainerdesk.accounts.services import user_for_token

pytestmark = pytest.mark.django_db


def test_pages_need_login(client):
    for name in ("workbench:home", "accounts:tokens", "accounts:password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_login_page_renders(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_login_with_right_password_lands_on_projects(client, owner):
    response = client.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:home")
    assert client.get(reverse("workbench:home")).status_code == 200


def test_wrong_password_shows_the_form_again(client, owner):
    response = client.post(reverse("accounts:login"), {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client_for, owner):
    client = client_for(owner)
    # A GET (e.g. a prefetching browser or an <img> on another site) must not log out.
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_lockout_after_five_failures_refuses_the_right_password(client, owner):
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"username": "owner", "password": "wrong"})
    response = client.post(url, {"username": "owner", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "Too many failed logins" in text
    assert "Try again in" in text


def test_password_change(client_for, owner):
    client = client_for(owner)
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-newer-passphrase-42",
            "new_password2": "a-much-newer-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    owner.refresh_from_db()
    assert owner.check_password("a-much-newer-passphrase-42")
    assert client.get(response["Location"]).status_code == 200


def test_password_change_with_wrong_old_password_changes_nothing(client_for, owner):
    client = client_for(owner)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "nope",
            "new_password1": "x-y-z-passphrase-1",
            "new_password2": "x-y-z-passphrase-1",
        },
    )
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_token_is_shown_once_and_works(client_for, owner):
    client = client_for(owner)
    response = client.post(reverse("accounts:tokens"), {"name": "export script"})
    assert response.status_code == 200
    full = response.context["new_token"]
    assert full.startswith("td_") and full in response.content.decode()
    assert user_for_token(full) == owner
    # The secret exists only in that response: the list page never shows it again.
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert "export script" in again
    assert full not in again


def test_token_needs_a_name(client_for, owner):
    response = client_for(owner).post(reverse("accounts:tokens"), {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoke_token_through_the_page(client_for, owner):
    client = client_for(owner)
    full = client.post(reverse("accounts:tokens"), {"name": "ci"}).context["new_token"]
    token = ApiToken.objects.get(user=owner)
    response = client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert response.status_code == 302
    assert user_for_token(full) is None
    assert "revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_cannot_revoke_someone_elses_token(client_for, owner, outsider):
    client_for(owner).post(reverse("accounts:tokens"), {"name": "mine"})
    token = ApiToken.objects.get(user=owner)
    client = client_for(outsider)
    assert client.post(reverse("accounts:revoke_token", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active
