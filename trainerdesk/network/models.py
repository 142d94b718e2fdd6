"""The placement network's parties and openings.

The platform is the legal entity; members (independent recruiters) hold a paid
membership and source candidates; clients post openings ("roles" in the UI: `Role` is
the permission set elsewhere); platform staff are users with `is_staff`. A candidate is
one record per person, de-duplicated on normalised email, phone (E.164) and profile URL;
members reach a candidate through a `Representation`, and a candidate's data goes to a
client only with a recorded `Consent`. Money is integer minor units plus an ISO 4217
code. State changes go through `network.services`, which write the audit event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.vetting.models import Domain, TaskType

User = settings.AUTH_USER_MODEL


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class VatStatus(models.TextChoices):
    REGISTERED = "registered", "VAT registered"
    SMALL_BUSINESS = "small_business", "Small business exemption"
    NOT_REGISTERED = "not_registered", "Not VAT registered (private person)"


# -- members ----------------------------------------------------------------------------


class MembershipPlan(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    price_cents = models.PositiveIntegerField(default=17700)
    currency = models.CharField(max_length=3, default="EUR")
    period_months = models.PositiveSmallIntegerField(default=12)
    grace_days = models.PositiveSmallIntegerField(default=30)
    # The share of each placement fee paid to the member, in basis points (5000 = 50 %).
    commission_basis_points = models.PositiveIntegerField(default=5000)
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="network_member")
    display_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)  # ISO 3166-1 alpha-2
    vat_status = models.CharField(max_length=20, choices=VatStatus.choices)
    vat_id = models.CharField(max_length=20, blank=True)  # validated with python-stdnum
    # Postal address: the customer's address on membership invoices (VAT Directive
    # Art. 226 (5)); blank for members who applied before it was asked.
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    bio = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    # What the applicant answered in the career assessment, carried over with consent.
    application = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return self.display_name


class Membership(models.Model):
    """One paid period of a member's membership."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        ACTIVE = "active", "Active"
        GRACE = "grace", "In grace period"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="+")
    price_cents = models.PositiveIntegerField()  # the plan's price when this period began
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)  # also the renewal date
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.status} {self.period_start}..{self.period_end}"


class GuideCompletion(models.Model):
    """A member read an onboarding guide (the guides are files in network/guides/)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="guides_done")
    guide = models.SlugField(max_length=80)
    guide_version = models.PositiveIntegerField()
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "guide", "guide_version"], name="guide_once")
        ]

    # -- clients ----------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.guide} v{self.guide_version} by {self.member_id}"


class Client(models.Model):
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2)
    vat_id = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    billing_email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ClientContact(models.Model):
    """A person at a client who logs in to the client portal."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="client_contacts")
    job_title = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="contact_once"),
        ]

    # -- candidates -------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"contact {self.user_id} at {self.client_id}"


class CandidateQuerySet(models.QuerySet):
    def live(self):
        return self.filter(merged_into__isnull=True, anonymised_at__isnull=True)


class Candidate(models.Model):
    """One person. Email, phone and profile URL are stored normalised (lower-cased email,
    E.164 phone, URL without scheme/trailing slash) so the unique constraints catch a
    second record of the same person."""

    # What the person (or their member) edits as "the profile": the service's edit, its
    # audit snapshot and the privacy export all name these.
    PROFILE_FIELDS = (
        "full_name",
        "email",
        "phone",
        "profile_url",
        "country",
        "location",
        "work_authorisation",
        "domains",
        "tools",
        "hours_per_week",
        "available_from",
        "rate_cents",
        "rate_currency",
    )

    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="candidate"
    )
    full_name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    profile_url = models.CharField(max_length=300, null=True, blank=True)  # noqa: DJ001
    country = models.CharField(max_length=2, blank=True)
    location = models.CharField(max_length=200, blank=True)
    # Where the person may work without sponsorship: ISO country codes and/or "EU".
    work_authorisation = models.JSONField(default=list, blank=True)
    domains = models.JSONField(default=list, blank=True)  # Domain values
    tools = models.JSONField(default=list, blank=True)  # names from network.skills.TOOLS
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    available_from = models.DateField(null=True, blank=True)
    rate_cents = models.PositiveIntegerField(null=True, blank=True)  # per hour
    rate_currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(email__isnull=False, merged_into__isnull=True),
                name="candidate_email_once",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(phone__isnull=False, merged_into__isnull=True),
                name="candidate_phone_once",
            ),
            models.UniqueConstraint(
                fields=["profile_url"],
                condition=models.Q(profile_url__isnull=False, merged_into__isnull=True),
                name="candidate_profile_once",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class CandidateLanguage(models.Model):
    class Level(models.TextChoices):
        A1 = "A1"
        A2 = "A2"
        B1 = "B1"
        B2 = "B2"
        C1 = "C1"
        C2 = "C2"
        NATIVE = "native", "Native"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(max_length=3)  # ISO 639-1 (or 639-3 where there is no 639-1)
    level = models.CharField(max_length=6, choices=Level.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["candidate", "code"], name="language_once")]
        # Matching reads the ids of everyone speaking a language at a level or above from
        # this index alone (candidate last, so no table row is visited): ~3 ms for 45,000
        # of 100,000 candidates on SQLite, where a correlated EXISTS per candidate cost
        # ~20 ms (docs/benchmarks.md, match10).
        indexes = [models.Index(fields=["code", "level", "candidate"], name="language_match")]

    def __str__(self) -> str:
        return f"{self.code} {self.level}"


class Representation(models.Model):
    """A member works with a candidate: the member sees the candidate and may submit them.
    The first is the member who added the person; later ones the candidate grants."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="representations")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="representations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "candidate"],
                condition=models.Q(ended_at__isnull=True),
                name="representation_once",
            )
        ]

    def __str__(self) -> str:
        return f"member {self.member_id} represents {self.candidate_id}"


class Consent(models.Model):
    """A candidate's recorded consent for one purpose; withdrawn, never deleted."""

    class Purpose(models.TextChoices):
        PROFILE = "profile", "Keep my profile in the network"
        SUBMIT_TO_CLIENT = "submit_to_client", "Submit my profile to this client"
        USE_WORKBENCH_RESULTS = "use_workbench_results", "Show my workbench scorecard"

    class Method(models.TextChoices):
        CANDIDATE_PORTAL = "candidate_portal", "Given by the candidate in the portal"
        MEMBER_RECORDED = "member_recorded", "Recorded by the member (written consent held)"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text_version = models.PositiveIntegerField(default=1)
    method = models.CharField(max_length=20, choices=Method.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["candidate", "purpose", "client"])]

    # -- openings ---------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.purpose} of candidate {self.candidate_id}"


class Opening(models.Model):
    """A client's job order ("role" in the UI)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On hold"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class Workplace(models.TextChoices):
        REMOTE = "remote", "Remote"
        HYBRID = "hybrid", "Hybrid"
        ONSITE = "onsite", "On site"

    class ContractType(models.TextChoices):
        FREELANCE = "freelance", "Freelance"
        FIXED_TERM = "fixed_term", "Fixed-term employment"
        PERMANENT = "permanent", "Permanent employment"

    class PayUnit(models.TextChoices):
        HOUR = "hour", "per hour"
        MONTH = "month", "per month"
        YEAR = "year", "per year"

    class FeeType(models.TextChoices):
        PERCENT = "percent", "Percentage of first-year pay"
        FLAT = "flat", "Flat fee"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="openings")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    task_type = models.CharField(max_length=32, choices=TaskType.choices)
    domain = models.CharField(max_length=32, choices=Domain.choices)
    workplace = models.CharField(max_length=8, choices=Workplace.choices, default="remote")
    location = models.CharField(max_length=200, blank=True)
    contract_type = models.CharField(max_length=16, choices=ContractType.choices)
    duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    hours_per_week = models.PositiveSmallIntegerField()
    pay_cents = models.PositiveIntegerField()
    pay_currency = models.CharField(max_length=3, default="EUR")
    pay_unit = models.CharField(max_length=8, choices=PayUnit.choices, default="hour")
    positions = models.PositiveSmallIntegerField(default=1)
    # Fee terms: none set means no fee can be computed (refused, not guessed).
    fee_type = models.CharField(max_length=8, choices=FeeType.choices, blank=True)
    fee_basis_points = models.PositiveIntegerField(null=True, blank=True)  # 2000 = 20 %
    fee_flat_cents = models.PositiveIntegerField(null=True, blank=True)
    fee_currency = models.CharField(max_length=3, default="EUR")
    guarantee_days = models.PositiveSmallIntegerField(default=90)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "task_type", "domain"])]

    def __str__(self) -> str:
        return self.title


class Requirement(models.Model):
    """One requirement of an opening. Hard ones filter; measured ones are judged on the
    evidence's lower bound (or upper bound for lead time) and weigh into the score."""

    class Kind(models.TextChoices):
        LANGUAGE = "language", "Language (hard)"
        WORK_AUTHORISATION = "work_authorisation", "Work authorisation (hard)"
        AVAILABILITY = "availability", "Hours per week available (hard)"
        ACCURACY = "accuracy", "Measured accuracy (lower bound)"
        AGREEMENT = "agreement", "Measured agreement with peers"
        LEAD_TIME = "lead_time", "Measured lead time per item (seconds, at most)"

    HARD = frozenset({"language", "work_authorisation", "availability"})

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="requirements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # language: ISO 639 code + minimum CEFR level; work_authorisation: country or "EU".
    language = models.CharField(max_length=3, blank=True)
    level = models.CharField(max_length=6, blank=True)
    region = models.CharField(max_length=2, blank=True)
    hours = models.PositiveSmallIntegerField(null=True, blank=True)
    # Measured: the skill the evidence must be about and the minimum (maximum for lead time).
    task_type = models.CharField(max_length=32, choices=TaskType.choices, blank=True)
    domain = models.CharField(max_length=32, choices=Domain.choices, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["opening", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of opening {self.opening_id}"

    @property
    def is_hard(self) -> bool:
        return self.kind in self.HARD


class Ranking(models.Model):
    """One run of matching for an opening: the rule and its version, the inputs' digest,
    and the ranked result (every candidate's per-requirement contributions for the top
    ones), so the order shown can be explained and recomputed."""

    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="rankings")
    # Whose candidates were ranked (a member sees only the people they represent); None:
    # the whole network, for staff.
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rule = models.CharField(max_length=40)
    rule_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)
    computed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    considered = models.PositiveIntegerField()
    passed_hard = models.PositiveIntegerField()
    inputs_digest = models.CharField(max_length=64)
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"ranking {self.pk} of opening {self.opening_id}"


class RepresentationRequest(models.Model):
    """A second member asks to represent a person already in the network; only the
    candidate (in their portal) grants it, so no member reaches someone another member
    brought in without that person's say."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the candidate"
        GRANTED = "granted", "Granted"
        DECLINED = "declined", "Declined"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="representation_requests"
    )
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "candidate"],
                condition=models.Q(status="pending"),
                name="representation_request_once",
            )
        ]

    def __str__(self) -> str:
        return f"member {self.member_id} asks to represent {self.candidate_id}"
