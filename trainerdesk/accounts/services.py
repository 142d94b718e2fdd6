"""Account workflows: organizations, memberships, users and API tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from trainerdesk.accounts.models import ApiToken, Membership, Organization

User = get_user_model()


class AccountError(Exception):
    pass


def create_organization(*, name: str, owner) -> Organization:
    base = slugify(name)[:70] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        org = Organization.objects.create(name=name, slug=slug)
        Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org


def add_member(*, organization: Organization, user, role: str = Membership.Role.MEMBER):
    if role not in Membership.Role.values:
        raise AccountError(f"role: {role!r} is not one of {', '.join(Membership.Role.values)}")
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


def create_user(*, username: str, password: str, email: str = "", check_password: bool = True):
    if User.objects.filter(username=username).exists():
        raise AccountError(f"username: {username!r} is taken")
    user = User(username=username, email=email)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise AccountError("password: " + " ".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    return user


def create_api_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its full secret, which is never stored."""
    name = name.strip()[:100]
    if not name:
        raise AccountError("name: give the token a name, e.g. the script that uses it")
    prefix, secret, full = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=ApiToken.hash_secret(secret)
    )
    return token, full


def revoke_api_token(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def user_for_token(raw: str):
    """The active user behind a bearer token, or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "td":
        return None
    token = ApiToken.objects.active().select_related("user").filter(prefix=parts[1]).first()
    if token is None or not token.matches(parts[2]) or not token.user.is_active:
        return None
    now = timezone.now()
    # Written at most once a minute so an API client's calls don't all become writes.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
