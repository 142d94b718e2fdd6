"""Assessments and the evidence they (and real client work) produce.

An `Assessment` is a workbench project of gold items for one task type and domain. A
candidate takes an `Attempt`: a sample of the gold pool drawn for them alone, answered in
the normal annotation page, scored by the quality app (`GoldAccuracySnapshot`), valid for
a set time. `Evidence` is what matching reads: one row per person, skill and source, with
the interval's lower bound that a requirement is judged by. Nothing here is typed in by a
recruiter: every figure points at the stored inputs it was computed from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.quality.models import GoldAccuracySnapshot, Scorecard
from trainerdesk.workbench.models import Project


class TaskType(models.TextChoices):
    TEXT_CLASSIFICATION = "text_classification", "Text classification"
    SENTIMENT = "sentiment", "Sentiment"
    NER = "ner", "Named-entity recognition"
    LLM_EVALUATION = "llm_evaluation", "LLM response evaluation"
    IMAGE_CLASSIFICATION = "image_classification", "Image classification"


class Domain(models.TextChoices):
    GENERAL = "general", "General"
    NEWS = "news", "News and media"
    REVIEWS = "reviews", "Product and film reviews"
    HEALTHCARE = "healthcare", "Healthcare"
    FINANCE = "finance", "Finance"
    LAW = "law", "Law"
    SOFTWARE = "software", "Software"
    SCIENCE = "science", "Science"


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    task_type = models.CharField(max_length=32, choices=TaskType.choices)
    domain = models.CharField(max_length=32, choices=Domain.choices, default=Domain.GENERAL)
    # The gold pool: every gold item of this project may be drawn.
    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="assessment")
    items_per_attempt = models.PositiveIntegerField(default=20)
    pass_threshold = models.FloatField(default=0.8)  # on the Wilson lower bound
    validity_days = models.PositiveIntegerField(default=365)
    retake_wait_days = models.PositiveIntegerField(default=30)
    # Bumped by every change of what is measured (pool, sample size, threshold); an
    # attempt keeps the version it was taken under, so nothing earned is invalidated.
    version = models.PositiveIntegerField(default=1)
    # sha256 of the gold pool as the current version measures it (services.assessments
    # `pool_digest`); blank until first computed. The pool is a workbench project, edited
    # where vetting can't hear of it, so each new attempt compares and bumps the version.
    pool_digest = models.CharField(max_length=64, blank=True)
    pool_size = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class AssessmentRevision(models.Model):
    """One row per version of an assessment: what changed, when, by whom."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["assessment", "version"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "version"], name="revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} v{self.version}"


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SCORED = "scored", "Scored"
        ABANDONED = "abandoned", "Abandoned"

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_attempts"
    )
    assessment_version = models.PositiveIntegerField()
    # The pool items drawn for this person (ids in the assessment's gold project), in
    # the order drawn; `copy_item_ids[i]` is the copy of `item_ids[i]` in `workspace`.
    item_ids = models.JSONField(default=list)
    # The attempt's own workbench project (vetting/workspace.py): the one place the
    # candidate answers, holding copies of the drawn items and nothing else.
    workspace = models.OneToOneField(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="attempt"
    )
    copy_item_ids = models.JSONField(default=list)
    # Drawn items the candidate skipped: counted as not correct (a skip must not buy a
    # better score by leaving out the hard items).
    skipped = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Filled when scored, from the quality app's snapshot of exactly these items.
    snapshot = models.OneToOneField(
        GoldAccuracySnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    n = models.PositiveIntegerField(null=True, blank=True)
    correct = models.PositiveIntegerField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    lead_time_seconds = models.FloatField(null=True, blank=True)  # median per item
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "assessment", "-started_at"])]
        constraints = [
            # One open attempt per person and assessment.
            models.UniqueConstraint(
                fields=["assessment", "user"],
                condition=models.Q(status="in_progress"),
                name="attempt_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.assessment_id} by {self.user_id}"


class EvidenceQuerySet(models.QuerySet):
    def valid(self, at=None):
        return self.filter(valid_until__gt=at or timezone.now())


class Evidence(models.Model):
    """A measured skill of one person: what matching reads. Written only by the vetting
    services, from an attempt or (with the person's consent) a client-project scorecard."""

    # The measurement as shown to the person it is about (their API, their data export).
    SHOWN_FIELDS = (
        "id",
        "task_type",
        "domain",
        "source",
        "n",
        "accuracy",
        "low",
        "high",
        "agreement",
        "lead_time_seconds",
        "measured_at",
        "valid_until",
    )

    class Source(models.TextChoices):
        ASSESSMENT = "assessment", "Assessment"
        SCORECARD = "scorecard", "Workbench scorecard"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence"
    )
    task_type = models.CharField(max_length=32, choices=TaskType.choices)
    domain = models.CharField(max_length=32, choices=Domain.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    n = models.PositiveIntegerField()
    accuracy = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True)  # 95 % Wilson lower bound
    high = models.FloatField(null=True, blank=True)
    agreement = models.FloatField(null=True, blank=True)
    lead_time_seconds = models.FloatField(null=True, blank=True)
    measured_at = models.DateTimeField()
    valid_until = models.DateTimeField()
    # sha256 of the inputs (the snapshot's items digest, or the scorecard's).
    inputs_digest = models.CharField(max_length=64)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [
            models.Index(fields=["task_type", "domain", "valid_until"], name="evidence_skill"),
            models.Index(fields=["user", "task_type", "domain"], name="evidence_user_skill"),
        ]

    def __str__(self) -> str:
        return f"{self.task_type}/{self.domain} of user {self.user_id}"


class NetworkOrganization(models.Model):
    """The platform's own organization, where every attempt's workspace project lives.

    Recorded here rather than found by name: anyone may create an organization called
    "TrainerDesk Network", and its owner would manage every attempt put into it."""

    key = models.CharField(max_length=16, unique=True, default="platform")
    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"network organization {self.organization_id}"
