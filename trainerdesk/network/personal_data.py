"""The network's personal data for the privacy registry (registered in apps.py): the
candidate (profile, languages, consents, representations and requests) and, for a user
who is a member, their member profile. Retention of candidates is decided by the
placements handler, where their activity (submissions) is."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from trainerdesk.network.models import (
    Candidate,
    CandidateLanguage,
    ClientContact,
    Consent,
    GuideCompletion,
    Member,
    Membership,
    Representation,
    RepresentationRequest,
)
from trainerdesk.privacy.registry import (
    PersonalDataHandler,
    Retained,
    Subject,
    Table,
    bao_until,
    retained_ids,
)

CANDIDATE_COLUMNS = ("id", *Candidate.PROFILE_FIELDS, "created_at", "anonymised_at")
MEMBER_COLUMNS = (
    "id",
    "display_name",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_status",
    "vat_id",
    "bio",
    "status",
)


def candidates_of(subject: Subject) -> Any:
    q = Q(pk__in=[])
    if subject.candidate_id:
        q |= Q(pk=subject.candidate_id)
    if subject.user_id:
        q |= Q(user_id=subject.user_id)
    # A merged duplicate is the same person: it goes with the record it was merged into.
    base = Candidate.objects.filter(q)
    return Candidate.objects.filter(Q(pk__in=base) | Q(merged_into__in=base))


def _members(subject: Subject) -> Any:
    if not subject.user_id:
        return Member.objects.none()
    return Member.objects.filter(user_id=subject.user_id)


def _contacts(subject: Subject) -> Any:
    if not subject.user_id:
        return ClientContact.objects.none()
    return ClientContact.objects.filter(user_id=subject.user_id)


class NetworkHandler(PersonalDataHandler):
    app = "network"
    personal_fields = {
        "network.candidate": frozenset(
            {"full_name", "email", "phone", "profile_url", "location", "available_from"}
        ),
        "network.member": frozenset(
            {"display_name", "street", "postal_code", "city", "bio", "vat_id", "application"}
        ),
        "network.representationrequest": frozenset({"message"}),
    }

    def identify(self, subject: Subject) -> Subject:
        found = Candidate.objects.filter(merged_into__isnull=True)
        if subject.candidate_id:
            row = found.filter(pk=subject.candidate_id).values("user_id", "email").first()
            if row:
                return subject.merged(Subject(user_id=row["user_id"], email=row["email"] or ""))
        if subject.user_id:
            pk = found.filter(user_id=subject.user_id).values_list("pk", flat=True).first()
            if pk:
                return subject.merged(Subject(candidate_id=pk))
        if subject.email:
            row = found.filter(email=subject.email.strip().lower()).values("pk", "user_id").first()
            if row:
                return subject.merged(Subject(candidate_id=row["pk"], user_id=row["user_id"]))
        return subject

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        people = candidates_of(subject)
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        return {
            "network.candidate": ids(people),
            "network.candidatelanguage": ids(
                CandidateLanguage.objects.filter(candidate__in=people)
            ),
            "network.consent": ids(Consent.objects.filter(candidate__in=people)),
            "network.representation": ids(Representation.objects.filter(candidate__in=people)),
            "network.representationrequest": ids(
                RepresentationRequest.objects.filter(candidate__in=people)
            ),
            "network.member": ids(_members(subject)),
            "network.membership": ids(Membership.objects.filter(member__in=_members(subject))),
            "network.clientcontact": ids(_contacts(subject)),
        }

    def export(self, subject: Subject) -> list[Table]:
        people = candidates_of(subject)
        return [
            Table.from_queryset("network.candidate", people, CANDIDATE_COLUMNS),
            Table.from_queryset(
                "network.candidatelanguage",
                CandidateLanguage.objects.filter(candidate__in=people),
                ("id", "candidate_id", "code", "level"),
            ),
            Table.from_queryset(
                "network.consent",
                Consent.objects.filter(candidate__in=people),
                (
                    "id",
                    "candidate_id",
                    "purpose",
                    "client__name",
                    "text_version",
                    "method",
                    "granted_at",
                    "withdrawn_at",
                ),
            ),
            Table.from_queryset(
                "network.representation",
                Representation.objects.filter(candidate__in=people),
                ("id", "candidate_id", "member__display_name", "created_at", "ended_at"),
            ),
            Table.from_queryset(
                "network.representationrequest",
                RepresentationRequest.objects.filter(candidate__in=people),
                ("id", "candidate_id", "member__display_name", "message", "status", "created_at"),
            ),
            Table.from_queryset("network.member", _members(subject), MEMBER_COLUMNS),
            Table.from_queryset(
                "network.membership",
                Membership.objects.filter(member__in=_members(subject)),
                ("id", "status", "price_cents", "currency", "period_start", "period_end"),
            ),
            Table.from_queryset(
                "network.guidecompletion",
                GuideCompletion.objects.filter(member__in=_members(subject)),
                ("id", "guide", "guide_version", "completed_at"),
            ),
            Table.from_queryset(
                "network.clientcontact",
                _contacts(subject),
                ("id", "client__name", "job_title", "is_primary", "created_at"),
            ),
        ]

    def personal_values(self, subject: Subject) -> set[str]:
        values: set[str] = set()
        for row in candidates_of(subject).values(
            "full_name", "email", "phone", "profile_url", "location"
        ):
            values |= {v for v in row.values() if v}
        for message in RepresentationRequest.objects.filter(
            candidate__in=candidates_of(subject)
        ).values_list("message", flat=True):
            values.add(message)
        kept = set(retained_ids(subject, "network.member"))
        for pk, name, bio, street in _members(subject).values_list(
            "pk", "display_name", "bio", "street"
        ):
            values |= {bio} if pk in kept else {name, bio, street}
        return values

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        people = candidates_of(subject)
        languages = CandidateLanguage.objects.filter(candidate__in=people)
        requests = RepresentationRequest.objects.filter(candidate__in=people).exclude(message="")
        members = _members(subject)
        contacts = _contacts(subject).exclude(job_title="")
        counts = {
            "network.clientcontact": contacts.count(),
            "network.candidate": people.count(),
            "network.candidatelanguage": languages.count(),
            "network.representationrequest": requests.count(),
            "network.member": members.count(),
        }
        if dry_run:
            return counts
        now = timezone.now()
        for person in people:
            # In place: submissions, consents and placements keep pointing at the row.
            # What stays is what matching statistics need and names nobody (country,
            # domains, tools); the unique identifiers become NULL.
            person.full_name = f"Erased candidate #{person.pk}"
            person.email = person.phone = person.profile_url = None
            person.location = ""
            person.work_authorisation = []
            person.available_from = None
            person.anonymised_at = person.anonymised_at or now
            person.save()
        languages.delete()
        requests.update(message="")
        contacts.update(job_title="")
        # Financial records (registered by placements and billing) may need the member's
        # name and VAT id for seven years: those stay, the rest goes.
        kept = set(retained_ids(subject, "network.member"))
        for member in members:
            member.bio = ""
            member.application = {}
            if member.pk not in kept:
                member.display_name = f"Erased member #{member.pk}"
                member.vat_id = ""
                member.street = member.postal_code = member.city = ""
            member.save()
        return counts

    def retained(self, subject: Subject) -> list[Retained]:
        out = []
        consents = tuple(
            Consent.objects.filter(candidate__in=candidates_of(subject)).values_list(
                "pk", flat=True
            )
        )
        if consents:
            out.append(
                Retained(
                    "network.consent",
                    consents,
                    ("purpose", "client", "text_version", "method", "granted_at", "withdrawn_at"),
                    "proof that past submissions were lawful (GDPR Art. 7(1)); no personal "
                    "field, linked to the anonymised record",
                )
            )
        paid = list(
            Membership.objects.filter(
                member__in=_members(subject), activated_at__isnull=False
            ).values("pk", "member_id", "activated_at")
        )
        if paid:
            until = bao_until(max(timezone.localdate(m["activated_at"]) for m in paid))
            law = "membership fees paid: Austrian BAO § 132, seven years from the end of the year"
            out.append(
                Retained(
                    "network.membership",
                    tuple(m["pk"] for m in paid),
                    ("price_cents", "currency", "period_start", "period_end"),
                    law,
                    until,
                )
            )
            out.append(
                Retained(
                    "network.member",
                    tuple(sorted({m["member_id"] for m in paid})),
                    (
                        "display_name",
                        "street",
                        "postal_code",
                        "city",
                        "country",
                        "vat_status",
                        "vat_id",
                    ),
                    "named on membership invoices: " + law,
                    until,
                )
            )
        return out
