"""The pipeline's personal data for the privacy registry (registered in apps.py):
submissions of a candidate with their history, interviews (notes and feedback are free
text about the person), offers, placements and ownership disputes.

Placements and offers are financial records (the fee invoiced to the client, the member's
commission): kept with their amounts, dates and ids (Austrian BAO § 132: seven years from
the end of the year), and they keep the placing member's name and VAT id in the network.
The candidate's retention (rejected candidates, talent pool) is decided here too, since
a candidate's activity is their submissions."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from trainerdesk.network.models import Candidate, Consent
from trainerdesk.network.personal_data import candidates_of
from trainerdesk.placements.models import (
    Interview,
    Offer,
    OwnershipDispute,
    Placement,
    StageChange,
    Submission,
)
from trainerdesk.privacy.registry import (
    ERASED,
    Due,
    Obligation,
    PersonalDataHandler,
    Retained,
    Subject,
    Table,
    bao_until,
)

OPEN_PLACEMENT = ("pending_start", "started", "in_guarantee")


def _submissions(subject: Subject) -> Any:
    return Submission.objects.filter(candidate__in=candidates_of(subject))


class PlacementsHandler(PersonalDataHandler):
    app = "placements"
    personal_fields = {
        "placements.interview": frozenset({"notes", "feedback"}),
        "placements.submission": frozenset({"reason"}),
        "placements.placement": frozenset({"fell_off_reason"}),
    }

    def find(self, subject: Subject) -> dict[str, list[Any]]:
        subs = _submissions(subject)
        ids = lambda qs: list(qs.values_list("pk", flat=True))  # noqa: E731
        return {
            "placements.submission": ids(subs),
            "placements.stagechange": ids(StageChange.objects.filter(submission__in=subs)),
            "placements.interview": ids(Interview.objects.filter(submission__in=subs)),
            "placements.offer": ids(Offer.objects.filter(submission__in=subs)),
            "placements.placement": ids(Placement.objects.filter(submission__in=subs)),
            "placements.ownershipdispute": ids(
                OwnershipDispute.objects.filter(ownership__candidate__in=candidates_of(subject))
            ),
        }

    def export(self, subject: Subject) -> list[Table]:
        subs = _submissions(subject)
        return [
            Table.from_queryset(
                "placements.submission",
                subs,
                (
                    "id",
                    "candidate_id",
                    "opening__title",
                    "opening__client__name",
                    "stage",
                    "created_at",
                    "submitted_at",
                    "closed_at",
                ),
            ),  # fmt: skip
            Table.from_queryset(
                "placements.stagechange",
                StageChange.objects.filter(submission__in=subs),
                ("id", "submission_id", "from_stage", "to_stage", "at", "reason"),
            ),
            Table.from_queryset(
                "placements.interview",
                Interview.objects.filter(submission__in=subs),
                ("id", "submission_id", "scheduled_at", "outcome", "notes", "feedback"),
            ),
            Table.from_queryset(
                "placements.offer",
                Offer.objects.filter(submission__in=subs),
                (
                    "id",
                    "submission_id",
                    "pay_cents",
                    "currency",
                    "unit",
                    "hours_per_week",
                    "start_date",
                    "status",
                ),
            ),  # fmt: skip
            Table.from_queryset(
                "placements.placement",
                Placement.objects.filter(submission__in=subs),
                (
                    "id",
                    "submission_id",
                    "start_date",
                    "status",
                    "guarantee_ends_on",
                    "fell_off_on",
                    "fell_off_reason",
                ),
            ),  # fmt: skip
        ]

    def personal_values(self, subject: Subject) -> set[str]:
        subs = _submissions(subject)
        values = set(Interview.objects.filter(submission__in=subs).values_list("notes", flat=True))
        values |= set(
            StageChange.objects.filter(submission__in=subs).values_list("reason", flat=True)
        )
        values |= set(
            Placement.objects.filter(submission__in=subs).values_list("fell_off_reason", flat=True)
        )
        for feedback in Interview.objects.filter(submission__in=subs).values_list(
            "feedback", flat=True
        ):
            values |= _strings(feedback)
        return values

    def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, int]:
        subs = _submissions(subject)
        interviews = Interview.objects.filter(submission__in=subs).exclude(notes="", feedback={})
        changes = StageChange.objects.filter(submission__in=subs).exclude(reason="")
        placements = Placement.objects.filter(submission__in=subs).exclude(fell_off_reason="")
        disputes = OwnershipDispute.objects.filter(ownership__candidate__in=candidates_of(subject))
        counts = {
            "placements.interview": interviews.count(),
            "placements.stagechange": changes.count(),
            "placements.placement": placements.count(),
            "placements.ownershipdispute": disputes.count(),
        }
        if dry_run:
            return counts
        # Free text only: stages, dates, amounts and every id stay, so the funnel, the
        # fees and the commissions still add up.
        interviews.update(notes="", feedback={})
        changes.update(reason=ERASED)
        placements.update(fell_off_reason=ERASED)
        disputes.update(reason=ERASED)
        disputes.exclude(resolution="").update(resolution=ERASED)
        return counts

    def _placements(self, subject: Subject) -> Any:
        """The person's placements: as the candidate placed, or as the member placing."""
        q = Q(submission__in=_submissions(subject))
        if subject.user_id:
            q |= Q(member__user_id=subject.user_id)
        return Placement.objects.filter(q)

    def retained(self, subject: Subject) -> list[Retained]:
        placed = list(self._placements(subject).values("pk", "member_id", "created_at"))
        if not placed:
            return []
        until = bao_until(max(timezone.localdate(p["created_at"]) for p in placed))
        law = "financial record (fee invoiced, commission paid): Austrian BAO § 132, seven years"
        return [
            Retained(
                "placements.placement",
                tuple(p["pk"] for p in placed),
                ("fee", "commission", "currency", "dates", "client", "member"),
                law,
                until,
            ),
            Retained(
                "network.member",
                tuple(sorted({p["member_id"] for p in placed})),
                ("display_name", "country", "vat_status", "vat_id"),
                "the placing member is named on commission statements: " + law,
                until,
            ),
        ]

    def obligations(self, subject: Subject) -> list[Obligation]:
        subs = _submissions(subject)
        out = [
            Obligation(
                "placements.placement",
                p.pk,
                f"placement {p.get_status_display().lower()} until {p.guarantee_ends_on}: "
                "the fee may still be credited or clawed back",
            )
            for p in self._placements(subject).filter(status__in=OPEN_PLACEMENT)
        ]
        live = subs.filter(stage__in=["submitted", "client_review", "interview", "offer"])
        out += [
            Obligation("placements.submission", pk, "an application is still open")
            for pk in live.values_list("pk", flat=True)
        ]
        return out

    # -- retention ---------------------------------------------------------------------

    def _classified(self, days_for: Any) -> list[tuple[Due, bool]]:
        live_pool = set(
            Consent.objects.filter(
                purpose=Consent.Purpose.PROFILE, withdrawn_at__isnull=True
            ).values_list("candidate_id", flat=True)
        )
        # A live application or a placement keeps the profile: only people whose every
        # submission was rejected or withdrawn (or who have none) fall under the rules.
        busy = set(
            Submission.objects.exclude(stage__in=["rejected", "withdrawn"]).values_list(
                "candidate_id", flat=True
            )
        )
        rows = (
            Candidate.objects.live()
            .annotate(
                last_consent=Max("consents__granted_at"),
                last_stage=Max("submissions__stage_changed_at"),
            )
            .values("pk", "country", "created_at", "last_consent", "last_stage")
        )
        out = []
        for row in rows:
            if row["pk"] in busy:
                continue
            moments = [m for m in (row["created_at"], row["last_consent"], row["last_stage"]) if m]
            last = timezone.localdate(max(moments))
            pool = row["pk"] in live_pool
            category = "talent_pool" if pool else "rejected_candidate"
            due_on = last + datetime.timedelta(days=days_for(category, row["country"]))
            subject = Subject(candidate_id=row["pk"])
            label = f"candidate #{row['pk']}"
            out.append((Due(subject, category, row["country"], last, due_on, label), pool))
        return out

    def retention_due(self, days_for: Any, today: datetime.date) -> list[Due]:
        return [due for due, _ in self._classified(days_for) if due.due_on <= today]

    def reconsent_due(self, days_for: Any, today: datetime.date, window_days: int) -> list[Due]:
        soon = today + datetime.timedelta(days=window_days)
        return [
            due for due, pool in self._classified(days_for) if pool and today < due.due_on <= soon
        ]


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return set()
