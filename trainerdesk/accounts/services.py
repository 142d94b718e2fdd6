"""Account workflows: organizations, memberships, users and API tokens."""

from __future__ import annotations

import hmac
from datetime import UTC
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from trainerdesk.accounts.models import ApiToken, Membership, Organization

if TYPE_CHECKING:  # the model get_user_model() returns (AUTH_USER_MODEL is Django's)
    from django.contrib.auth.models import User as AuthUser

User = get_user_model()


class AccountError(Exception):
    pass


def create_organization(*, name: str, owner: AuthUser) -> Organization:
    base = slugify(name)[:70] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        org = Organization.objects.create(name=name, slug=slug)
        Membership.objects.create(organization=org, user=owner, role=Membership.Role.OWNER)
    return org


def add_member(
    *, organization: Organization, user: AuthUser, role: str = Membership.Role.MEMBER
) -> Membership:
    if role not in Membership.Role.values:
        raise AccountError(f"role: {role!r} is not one of {', '.join(Membership.Role.values)}")
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


def create_user(
    *, username: str, password: str, email: str = "", check_password: bool = True
) -> AuthUser:
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


def create_api_token(*, user: AuthUser, name: str) -> tuple[ApiToken, str]:
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


def user_for_token(raw: str) -> AuthUser | None:
    """The active user behind a bearer token, or None.

    One raw query joins token and user: this runs on every API call, and the ORM's
    select_related form cost about five times more to build than to run.
    """
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "td":
        return None
    sql = (
        f"SELECT u.*, t.id AS token_id, t.digest AS token_digest, "
        f"t.last_used_at AS token_last_used_at FROM {User._meta.db_table} u "
        f"JOIN {ApiToken._meta.db_table} t ON t.user_id = u.id "
        "WHERE t.prefix = %s AND t.revoked_at IS NULL"
    )
    user = next(iter(User.objects.raw(sql, [parts[1]])), None)
    if user is None or not user.is_active:
        return None
    token = vars(user)  # raw() sets the extra token_* columns as plain instance attributes
    if not hmac.compare_digest(token["token_digest"], ApiToken.hash_secret(parts[2])):
        return None
    now = timezone.now()
    last_used = token["token_last_used_at"]
    if isinstance(last_used, str):  # SQLite returns the raw column text here
        last_used = parse_datetime(last_used)
    if last_used is not None and last_used.tzinfo is None:
        last_used = last_used.replace(tzinfo=UTC)
    # Written at most once a minute so an API client's calls don't all become writes.
    if last_used is None or (now - last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token["token_id"]).update(last_used_at=now)
    return user
