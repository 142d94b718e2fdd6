"""A candidate's own login, by invitation: the member who represents them (or staff) gets
a link to send; the candidate opens it, makes their account (or links the one they have)
and from then on answers representation requests, gives and withdraws consent and takes
assessments themselves. Nobody but the candidate chooses their password.

The link is a signed token (django.core.signing, salted, 14 days), not a stored row: it
names the candidate and the e-mail address it was sent for, so it stops working once used
(the candidate has a login), when the address on the profile changes, or when the
candidate is merged or anonymised. Nothing to revoke, nothing to clean up."""

from __future__ import annotations

import datetime
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.network.models import Candidate

SALT = "trainerdesk.network.candidate-invitation"
VALID_DAYS = 14


def _check_inviter(candidate: Candidate, by: Any) -> None:
    represents = (
        by is not None
        and candidate.representations.filter(member__user=by, ended_at__isnull=True).exists()
    )
    if not (represents or (by is not None and by.is_staff)):
        raise ConflictError("only staff or a member who represents this candidate can invite them")


def invite_candidate(*, candidate: Candidate, by: Any) -> tuple[str, datetime.datetime]:
    """(token, expires at) of a new invitation; the page turns the token into a link."""
    _check_inviter(candidate, by)
    if candidate.merged_into_id or candidate.anonymised_at:
        raise ConflictError("this record is merged or anonymised: invite the kept record")
    if candidate.user_id is not None:
        raise ConflictError("this candidate already has a login")
    if not candidate.email:
        raise InvalidInput(["email: the candidate needs an e-mail address to be invited"])
    token = signing.dumps({"c": candidate.pk, "e": candidate.email.lower()}, salt=SALT)
    expires = timezone.now() + datetime.timedelta(days=VALID_DAYS)
    audit.record(
        action="network.candidate.invite",
        obj=candidate,
        by=by,
        changes={"valid_days": VALID_DAYS},
    )
    return token, expires


def invited_candidate(token: str) -> Candidate:
    """The candidate a valid, unused invitation is for, or an error saying what to do."""
    try:
        data = signing.loads(token, salt=SALT, max_age=datetime.timedelta(days=VALID_DAYS))
    except signing.SignatureExpired:
        raise ConflictError(
            "invitation: this link has expired; ask your recruiter for a new one"
        ) from None
    except signing.BadSignature:
        raise InvalidInput(["invitation: this is not a valid invitation link"]) from None
    candidate = Candidate.objects.filter(
        pk=data.get("c"), merged_into__isnull=True, anonymised_at__isnull=True
    ).first()
    if candidate is None or (candidate.email or "").lower() != data.get("e"):
        raise ConflictError("invitation: this link is no longer valid; ask for a new one")
    if candidate.user_id is not None:
        raise ConflictError("invitation: it has been used; log in to see your profile")
    return candidate


def accept_invitation(
    *,
    token: str,
    user: Any = None,
    username: str = "",
    password: str = "",
) -> Candidate:
    """Link the invited candidate to `user` (signed in, with the invited address and no
    candidate profile yet), or to a new account made here from `username` and `password`
    with the invited address. The candidate acts."""
    from trainerdesk.accounts.services import AccountError, create_user

    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=invited_candidate(token).pk)
        if candidate.user_id is not None:  # a second tab won the race
            raise ConflictError("invitation: it has been used; log in to see your profile")
        if user is not None:
            if (user.email or "").lower() != (candidate.email or "").lower():
                raise ConflictError(
                    f"invitation: it was sent to {candidate.email}; log in with the account "
                    "of that address, or log out and make a new one"
                )
            if Candidate.objects.filter(user=user).exists():
                raise ConflictError("invitation: your account already has a candidate profile")
        else:
            try:
                user = create_user(
                    username=username.strip(),
                    password=password,
                    email=candidate.email or "",
                    system="invitation",
                )
            except AccountError as exc:
                raise InvalidInput([str(exc)]) from None
        candidate.user = user
        candidate.save(update_fields=["user"])
        audit.record(
            action="network.candidate.update",
            obj=candidate,
            by=user,
            changes={"login": {"before": None, "after": user.pk}, "by_invitation": True},
        )
    return candidate
