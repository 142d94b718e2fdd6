"""The handlers of the two apps below or at privacy's layer: accounts (the login: it sits
below privacy, so it cannot register itself) and privacy's own data-subject requests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from trainerdesk.accounts.models import ApiToken, Membership
from trainerdesk.privacy.models import DataSubjectRequest
from trainerdesk.privacy.registry import ERASED, PersonalDataHandler, Retained, Subject, Table

User = get_user_model()

USER_COLUMNS = ("id", "username", "email", "first_name", "last_name", "date_joined", "last_login")


def erased_username(user_id: int) -> str:
    return f"erased-{user_id}"


class AccountsHandler(PersonalDataHandler):
    app = "accounts"
    personal_fields = {
        "auth.user": frozenset({"username", "email", "first_name", "last_name"}),
        "accounts.apitoken": frozenset({"name"}),
    }

    def identify(self, subject: Subject) -> Subject:
        if subject.user_id:
            email = User.objects.filter(pk=subject.user_id).values_list("email", flat=True).first()
            return subject.merged(Subject(email=email or ""))
        if subject.email:
            found = list(User.objects.filter(email__iexact=subject.email).values_list("pk")[:2])
            # An address shared by two logins names neither: staff pick the user.
            if len(found) == 1:
                return subject.merged(Subject(user_id=found[0][0]))
        return subject

    def _users(self, subject: Subject) -> Any:
        return User.objects.filter(pk=subject.user_id) if subject.user_id else User.objects.none()

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        users = self._users(subject)
        return {
            "auth.user": list(users.values_list("pk", flat=True)),
            "accounts.apitoken": list(
                ApiToken.objects.filter(user__in=users).values_list("pk", flat=True)
            ),
            "accounts.membership": list(
                Membership.objects.filter(user__in=users).values_list("pk", flat=True)
            ),
        }

    def export(self, subject: Subject) -> list[Table]:
        users = self._users(subject)
        return [
            Table.from_queryset("auth.user", users, USER_COLUMNS),
            Table.from_queryset(
                "accounts.membership",
                Membership.objects.filter(user__in=users),
                ("id", "organization_id", "role", "created_at"),
            ),
            Table.from_queryset(
                "accounts.apitoken",
                ApiToken.objects.filter(user__in=users),
                ("id", "name", "created_at", "last_used_at", "revoked_at"),
            ),
        ]

    def personal_values(self, subject: Subject) -> set[str]:
        values: set[str] = set()
        for row in self._users(subject).values("username", "email", "first_name", "last_name"):
            values |= {row["email"], row["username"]}
            values |= {row["first_name"], row["last_name"]}
            values.add(f"{row['first_name']} {row['last_name']}".strip())
        return values

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        users = list(self._users(subject))
        tokens = ApiToken.objects.filter(user__in=users, revoked_at__isnull=True)
        sessions = [s for s in Session.objects.all() if _session_user(s) in {u.pk for u in users}]
        counts = {
            "auth.user": len(users),
            "accounts.apitoken": tokens.count(),
            "django_session": len(sessions),
        }
        if dry_run:
            return counts
        for user in users:
            # The row stays (annotations, memberships and the audit log point at the id):
            # no name, no address, no way to sign in.
            user.username = erased_username(user.pk)
            user.email = ""
            user.first_name = user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
        tokens.update(revoked_at=timezone.now(), name=ERASED)
        Session.objects.filter(pk__in=[s.pk for s in sessions]).delete()
        return counts


def _session_user(session: Session) -> int | None:
    try:
        raw = session.get_decoded().get("_auth_user_id")
    except Exception:  # a session that no longer decodes holds nobody we can name
        return None
    return int(raw) if raw and str(raw).isdigit() else None


class PrivacyHandler(PersonalDataHandler):
    """The requests themselves: kept as proof of what was asked and done (Art. 5(2)
    accountability), with the address and free text erased."""

    app = "privacy"

    def _requests(self, subject: Subject) -> Any:
        from django.db.models import Q

        q = Q(pk__in=[])
        if subject.user_id:
            q |= Q(subject_user_id=subject.user_id)
        if subject.candidate_id:
            q |= Q(subject_candidate_id=subject.candidate_id)
        if subject.email:
            q |= Q(subject_email__iexact=subject.email)
        return DataSubjectRequest.objects.filter(q)

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        return {
            "privacy.datasubjectrequest": list(self._requests(subject).values_list("pk", flat=True))
        }

    def export(self, subject: Subject) -> list[Table]:
        columns = ("id", "kind", "subject_email", "details", "received_at", "due_on", "status")
        return [Table.from_queryset("privacy.datasubjectrequest", self._requests(subject), columns)]

    def personal_values(self, subject: Subject) -> set[str]:
        values: set[str] = set()
        for email, details in self._requests(subject).values_list("subject_email", "details"):
            values |= {email, details}
        return values

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        requests = self._requests(subject).exclude(subject_email="", details="")
        if dry_run:
            return {"privacy.datasubjectrequest": requests.count()}
        return {"privacy.datasubjectrequest": requests.update(subject_email="", details="")}

    def retained(self, subject: Subject) -> list[Retained]:
        ids = tuple(self._requests(subject).values_list("pk", flat=True))
        if not ids:
            return []
        return [
            Retained(
                "privacy.datasubjectrequest",
                ids,
                ("kind", "received_at", "due_on", "status", "result"),
                "proof that the request was answered (GDPR Art. 5(2), accountability); "
                "no address or free text",
            )
        ]
