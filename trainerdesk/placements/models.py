"""The pipeline: submissions of candidates to openings, their stage history, the
fair-play policy they were made under, ownership, interviews, offers and placements.

Money is integer minor units plus an ISO 4217 code. A placement stores its fee terms and
split as they were when it was made, so invoices, the ledger and refunds (issue 11) read
the row and never recompute from an opening or plan that may have changed since. Every
state change goes through `placements.services`, which writes the audit event; nothing
here rejects anyone by a score: a person moves every stage.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.network.models import Candidate, Client, Consent, Member, Opening

User = settings.AUTH_USER_MODEL


class FairPlayPolicyQuerySet(models.QuerySet):
    def current(self) -> FairPlayPolicy:
        """The latest version (migration 0002 creates version 1, so there always is one)."""
        return self.order_by("-version").first()  # type: ignore[return-value]


class FairPlayPolicy(models.Model):
    """The network's fair-play rules, versioned: a new version is a new row, and every
    submission keeps the version it was judged under."""

    version = models.PositiveIntegerField(unique=True)
    # Pending = submitted and not yet decided (submitted, client review, interview, offer).
    pending_cap_per_member_per_opening = models.PositiveSmallIntegerField(default=5)
    # The first member to submit a candidate to a client owns them there this long.
    ownership_days = models.PositiveIntegerField(default=365)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = FairPlayPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "fair-play policies"

    def __str__(self) -> str:
        return f"fair-play policy v{self.version}"


class Stage(models.TextChoices):
    SOURCED = "sourced", "Sourced"
    SUBMITTED = "submitted", "Submitted"
    CLIENT_REVIEW = "client_review", "Client review"
    INTERVIEW = "interview", "Interview"
    OFFER = "offer", "Offer"
    PLACED = "placed", "Placed"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The forward path, in order (the funnel); rejected and withdrawn leave it.
FUNNEL = (
    Stage.SOURCED,
    Stage.SUBMITTED,
    Stage.CLIENT_REVIEW,
    Stage.INTERVIEW,
    Stage.OFFER,
    Stage.PLACED,
)
PENDING = frozenset({Stage.SUBMITTED, Stage.CLIENT_REVIEW, Stage.INTERVIEW, Stage.OFFER})
CLOSED = frozenset({Stage.PLACED, Stage.REJECTED, Stage.WITHDRAWN})
# Stages a client can see: everything the member has submitted (never "sourced").
CLIENT_VISIBLE = frozenset(Stage.values) - {Stage.SOURCED}


class SubmissionQuerySet(models.QuerySet):
    def live(self):
        """Not rejected or withdrawn: what counts as a duplicate."""
        return self.exclude(stage__in=[Stage.REJECTED, Stage.WITHDRAWN])

    def pending(self):
        return self.filter(stage__in=PENDING)

    def visible_to_client(self, client_ids):
        return self.filter(opening__client_id__in=client_ids, stage__in=CLIENT_VISIBLE)


class Submission(models.Model):
    """A candidate put forward for an opening by a member, on the strength of a recorded
    consent to be submitted to that client."""

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="submissions")
    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="submissions")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="submissions")
    # The consent the submission relied on (null only while sourced: no data has gone
    # to the client yet).
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    policy = models.ForeignKey(FairPlayPolicy, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.SOURCED)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "opening", "stage"]),
            models.Index(fields=["opening", "stage"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "opening"],
                condition=~models.Q(stage__in=["rejected", "withdrawn"]),
                name="submission_live_once",
            )
        ]

    def __str__(self) -> str:
        return f"submission {self.pk}: candidate {self.candidate_id} to {self.opening_id}"

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED


class StageChangeQuerySet(models.QuerySet):
    def in_order(self):
        return self.order_by("submission_id", "at", "id")

    def for_openings(self, opening_ids):
        return self.filter(submission__opening_id__in=opening_ids)

    def between(self, start=None, end=None):
        qs = self
        if start is not None:
            qs = qs.filter(submission__created_at__gte=start)
        if end is not None:
            qs = qs.filter(submission__created_at__lt=end)
        return qs


class StageChange(models.Model):
    """One move of a submission (from_stage empty: its creation). The funnel reads these."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="history")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    objects = StageChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["submission", "at"])]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_stage or '-'} -> {self.to_stage}"


class OwnershipQuerySet(models.QuerySet):
    def active(self, at=None):
        return self.filter(ends_at__gt=at or timezone.now(), starts_at__lte=at or timezone.now())


class Ownership(models.Model):
    """The first member to submit a candidate to a client owns the candidate for that
    client for the policy's `ownership_days`. Staff may reassign (a new row; the old one
    ends at that moment, with the reason)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="ownerships")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ownerships")
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    policy = models.ForeignKey(FairPlayPolicy, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reassigned_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_early_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["candidate", "client", "ends_at"])]

    def __str__(self) -> str:
        return f"member {self.member_id} owns {self.candidate_id} at {self.client_id}"


class OwnershipDispute(models.Model):
    """A member's claim that a candidate's ownership at a client should be theirs; staff
    decide (keep, or reassign to the claimant), with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Ownership kept"
        REASSIGNED = "reassigned", "Ownership reassigned"

    ownership = models.ForeignKey(Ownership, on_delete=models.PROTECT, related_name="disputes")
    claimant = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["status", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"dispute {self.pk} of ownership {self.ownership_id}"


class Interview(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for feedback"
        ADVANCE = "advance", "Advance"
        HOLD = "hold", "Undecided"
        DO_NOT_ADVANCE = "do_not_advance", "Do not advance"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="interviews")
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    # {"<requirement id>": {"rating": "meets" | "partly" | "does_not_meet", "note": "..."}}
    feedback = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    # The interviewer's view; it moves no stage (a person does that, separately).
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return f"interview {self.pk} of submission {self.submission_id}"


class PayUnit(models.TextChoices):
    HOUR = "hour", "per hour"
    MONTH = "month", "per month"
    YEAR = "year", "per year"


class Offer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="offers")
    pay_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    unit = models.CharField(max_length=8, choices=PayUnit.choices)
    hours_per_week = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission"],
                condition=models.Q(status="accepted"),
                name="offer_accepted_once",
            )
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} of submission {self.submission_id}"


class PlacementQuerySet(models.QuerySet):
    def not_fallen_off(self):
        return self.exclude(status=Placement.Status.FELL_OFF)


class Placement(models.Model):
    """A placed submission and what it earns.

    The fee and its split are fixed when the placement is made (services.placements
    `create_placement`, where the rule is stated) and stored with the terms they came
    from: integer minor units in `currency`, `member_commission_cents +
    platform_cents == fee_cents` always. `guarantee_ends_on` = start + the opening's
    guarantee days; a fall-off on or before it is within the guarantee (refund rules)."""

    class Status(models.TextChoices):
        PENDING_START = "pending_start", "Pending start"
        STARTED = "started", "Started"
        IN_GUARANTEE = "in_guarantee", "In guarantee"
        EARNED = "earned", "Earned"
        FELL_OFF = "fell_off", "Fell off"

    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, related_name="placement"
    )
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="placement")
    # Denormalised for invoices, statements and the ledger (who is billed, who is paid).
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="placements")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="placements")
    # The terms as they were: percent (of `fee_basis_cents`, annualised first-year pay)
    # or flat.
    fee_type = models.CharField(max_length=8, choices=Opening.FeeType.choices)
    fee_basis_points = models.PositiveIntegerField(null=True, blank=True)
    fee_basis_cents = models.PositiveBigIntegerField(null=True, blank=True)
    fee_cents = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    commission_basis_points = models.PositiveIntegerField()
    member_commission_cents = models.PositiveBigIntegerField()
    platform_cents = models.PositiveBigIntegerField()
    start_date = models.DateField()
    guarantee_days = models.PositiveSmallIntegerField()
    guarantee_ends_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_START)
    started_on = models.DateField(null=True, blank=True)
    earned_on = models.DateField(null=True, blank=True)
    fell_off_on = models.DateField(null=True, blank=True)
    fell_off_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "guarantee_ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    fee_cents=models.F("member_commission_cents") + models.F("platform_cents")
                ),
                name="placement_split_sums_to_fee",
            )
        ]

    def __str__(self) -> str:
        return f"placement {self.pk} of submission {self.submission_id}"

    def fell_off_within_guarantee(self) -> bool | None:
        if self.fell_off_on is None:
            return None
        return self.fell_off_on <= self.guarantee_ends_on

    def guarantee_passed(self, today: datetime.date) -> bool:
        return today > self.guarantee_ends_on
