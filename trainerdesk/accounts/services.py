"""Account workflows: organizations, memberships, users and API tokens."""

from __future__ import annotations

import hmac
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from trainerdesk.accounts.models import ApiToken, Membership, Organization
from trainerdesk.lib import audit

if TYPE_CHECKING:  # the model get_user_model() returns (AUTH_USER_MODEL is Django's)
    from django.contrib.auth.models import User as AuthUser
    from django.http import HttpRequest

User = get_user_model()


class AccountError(Exception):
    pass


def create_organization(*, name: str, owner: AuthUser, by: AuthUser | None = None) -> Organization:
    """A new organization with `owner` as its owner (`by`: who created it, default the
    owner)."""
    base = slugify(name)[:70] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    by = by or owner
    with transaction.atomic():
        org = Organization.objects.create(name=name, slug=slug)
        membership = Membership.objects.create(
            organization=org, user=owner, role=Membership.Role.OWNER
        )
        audit.record(
            action="accounts.organization.create",
            obj=org,
            organization=org,
            changes=audit.changed_fields(None, org, ["name", "slug"]),
            by=by,
        )
        _record_membership("accounts.membership.create", membership, None, by=by)
    return org


def _record_membership(
    action: str,
    membership: Membership,
    before: dict[str, Any] | None,
    *,
    by: AuthUser | None,
    system: str | None = None,
) -> None:
    changes = audit.changed_fields(before, membership, ["role"])
    changes["user_id"] = membership.user_id
    audit.record(
        action=action,
        obj=membership,
        organization=membership.organization_id,
        changes=changes,
        by=by,
        system=system,
    )


def add_member(
    *,
    organization: Organization,
    user: AuthUser,
    role: str = Membership.Role.MEMBER,
    by: AuthUser | None = None,
    system: str | None = None,
) -> Membership:
    """Add `user` with `role`, or change their role if they are a member already."""
    if role not in Membership.Role.values:
        raise AccountError(f"role: {role!r} is not one of {', '.join(Membership.Role.values)}")
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(organization=organization, user=user)
            .first()
        )
        if membership is None:
            membership = Membership.objects.create(organization=organization, user=user, role=role)
            _record_membership("accounts.membership.create", membership, None, by=by, system=system)
        elif membership.role != role:
            before = audit.snapshot(membership, ["role"])
            membership.role = role
            membership.save(update_fields=["role"])
            _record_membership(
                "accounts.membership.update", membership, before, by=by, system=system
            )
    return membership


def remove_member(
    *,
    organization: Organization,
    user: AuthUser,
    by: AuthUser | None = None,
    system: str | None = None,
) -> None:
    """Take `user` out of `organization`. The last owner stays: an organization nobody
    can manage would be lost."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(organization=organization, user=user)
            .first()
        )
        if membership is None:
            raise AccountError(f"user: {user} is not a member of {organization}")
        owners = Membership.objects.filter(organization=organization, role=Membership.Role.OWNER)
        if membership.role == Membership.Role.OWNER and owners.count() == 1:
            raise AccountError(f"user: {user} is the last owner of {organization}")
        audit.record(
            action="accounts.membership.delete",
            obj=membership,
            organization=organization,
            changes={"user_id": membership.user_id, "role": {"before": membership.role}},
            by=by,
            system=system,
        )
        membership.delete()


def create_user(
    *,
    username: str,
    password: str,
    email: str = "",
    check_password: bool = True,
    by: AuthUser | None = None,
    system: str | None = None,
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
    with transaction.atomic():
        user.save()
        # The username and e-mail stay in the user table (personal data by reference).
        audit.record(action="accounts.user.create", obj=user, by=by, system=system)
    return user


def sign_up(*, username: str, email: str, password: str) -> AuthUser:
    """A self-made account (settings.SIGNUP_OPEN): an ordinary user with no organisation,
    role or staff flag. The e-mail address must be free too (case-insensitively): it is
    how the network tells people apart and how they are reached. The new user acts."""
    from django.contrib.auth.validators import UnicodeUsernameValidator

    errors = []
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        errors.append("username: letters, digits and @ . + - _ only")
    if User.objects.filter(username__iexact=username).exists():
        errors.append(f"username: {username!r} is taken")
    email = User.objects.normalize_email(email.strip())
    if not email or User.objects.filter(email__iexact=email).exists():
        errors.append("email: this address already has an account (log in instead)")
    if errors:
        raise AccountError("; ".join(errors))
    # The visitor has no account until this returns: recorded as the system actor
    # "signup" (like careers' "public"), the new user's id in the event's object.
    return create_user(username=username, password=password, email=email, system="signup")


def create_api_token(
    *, user: AuthUser, name: str, by: AuthUser | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its full secret, which is never stored."""
    name = name.strip()[:100]
    if not name:
        raise AccountError("name: give the token a name, e.g. the script that uses it")
    prefix, secret, full = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, digest=ApiToken.hash_secret(secret)
        )
        # Name and prefix identify the token; the digest (and so the secret) stays out.
        audit.record(
            action="accounts.apitoken.create",
            obj=token,
            changes={**audit.changed_fields(None, token, ["name", "prefix"]), "user_id": user.pk},
            by=by or user,
        )
    return token, full


def revoke_api_token(*, token: ApiToken, by: AuthUser | None = None) -> ApiToken:
    """Revoke `token` (again: nothing changes, nothing is recorded) and return it."""
    with transaction.atomic():
        # Locked, so two revokes at once record one event.
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit.record(
                action="accounts.apitoken.revoke",
                obj=locked,
                changes={"prefix": locked.prefix, "user_id": locked.user_id},
                by=by or locked.user,
            )
        token.revoked_at = locked.revoked_at
    return token


def change_password(*, user: AuthUser, password: str, by: AuthUser | None = None) -> None:
    """Set a new password (already validated by the form that asked for it)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(action="accounts.user.password_change", obj=user, by=by or user)


def _client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wrote unless a proxy that
    # TrainerDesk is told to trust set it, and django-axes reads it the same way.
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or None


def record_login(*, user: AuthUser, request: HttpRequest | None = None) -> None:
    """A successful sign-in, in the global chain (a user signs in to no organization)."""
    with transaction.atomic():
        audit.record(action="accounts.user.login", obj=user, by=user, ip=_client_ip(request))


def record_login_failed(*, username: str | None, request: HttpRequest | None = None) -> None:
    """A failed sign-in. The typed username is not stored (people type passwords into
    it); the account is referenced by id when one has that name."""
    user_id = (
        User.objects.filter(username=username).values_list("pk", flat=True).first()
        if username
        else None
    )
    with transaction.atomic():
        audit.record(
            action="accounts.user.login_failed",
            object_type=User._meta.label_lower if user_id else "",
            object_id=user_id,
            changes={"known_user": user_id is not None},
            ip=_client_ip(request),
        )


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
