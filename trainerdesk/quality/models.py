"""Quality records: what was computed (gold accuracy, agreement, review decisions,
scorecards, label-error runs), when, and over which items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.workbench.models import Item, Project
from trainerdesk.workbench.runs import BackgroundRun

# --- the project's quality settings ----------------------------------------------------


class QualitySettings(models.Model):
    """The quality app's part of a project's settings: how each item's final answer is
    chosen and when an annotator passes on gold. One row per project, made when the
    project is created (`services.create_quality_settings`, hooked in through the
    workbench's extension registry); `settings_for(project)` reads it, with the defaults
    for a project that has none. Changed only by `services.update_quality_settings`.

    Settings the workbench itself reads stay on `Project` (`gold_rate`, `gold_feedback`:
    the queue draws gold and locks gold answers on its hot path), so the workbench never
    needs this model (DEVELOPERS.md, "Per-app project settings")."""

    class FinalLabelRule(models.TextChoices):
        REVIEWER = "reviewer", "Reviewer's decision (a fix, else the accepted answers' majority)"
        MAJORITY = "majority", "Majority vote"
        DAWID_SKENE = "dawid_skene", "Dawid–Skene (votes weighted by estimated accuracy)"

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="quality_settings"
    )
    final_label_rule = models.CharField(
        max_length=16, choices=FinalLabelRule.choices, default=FinalLabelRule.REVIEWER
    )
    gold_threshold = models.FloatField(
        default=0.95, help_text="Pass when the 95% lower bound of gold accuracy reaches this."
    )
    gold_min_items = models.PositiveSmallIntegerField(
        default=20, help_text="Gold items an annotator must answer before pass/fail is judged."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    # The fields a caller may change (the settings page, the project API, the service).
    FIELDS = ("final_label_rule", "gold_threshold", "gold_min_items")

    def __str__(self) -> str:
        return f"quality settings of {self.project_id}"

    @classmethod
    def for_project(cls, project: Project) -> QualitySettings:
        """The project's row, or an unsaved one with the defaults (a project created
        before this app, or by code that bypassed create_project): reading never writes."""
        try:
            return project.quality_settings
        except cls.DoesNotExist:
            return cls(project=project)


# --- label-error detection ---------------------------------------------------------------


class LabelErrorRun(BackgroundRun):
    """One detection over a project's labelled items: its inputs, its progress, its counts.

    The parameters, the label source, the classes, the digest of the (item, label) pairs
    and the time the labels were read let anyone repeat the run and check they got the
    same input; the findings are what it computed.
    """

    class LabelSource(models.TextChoices):
        MAJORITY = "majority", "Majority vote over the non-skipped annotations"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="label_error_runs")
    field_name = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # {"folds": asked, "model": "sgd", "seed": 0}; the folds used are in folds_used.
    parameters = models.JSONField(default=dict)
    folds_used = models.PositiveSmallIntegerField(null=True, blank=True)
    label_source = models.CharField(
        max_length=16, choices=LabelSource.choices, default=LabelSource.MAJORITY
    )
    # The field's label values in class-index order when the run read them.
    classes = models.JSONField(default=list)
    labels_as_of = models.DateTimeField(null=True, blank=True)
    # sha256 over the sorted "item id<TAB>label" lines the model was trained on.
    items_digest = models.CharField(max_length=64, blank=True)
    items_considered = models.PositiveIntegerField(default=0)
    # Items with no final label for the field (no non-skipped annotation giving one, or
    # a label no longer in the schema) or without text; they are left out of the run.
    items_left_out = models.PositiveIntegerField(default=0)
    issues_found = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"label-error run {self.pk} on {self.project_id}.{self.field_name} ({self.status})"

    def stale_message(self) -> str:
        return (
            f"The run stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); no findings were kept: start a new run"
        )


class LabelErrorFindingQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=LabelErrorFinding.Status.OPEN)

    def corrections(self):
        """Confirmed errors that name the right label, newest verdict first: what the review
        flow can take as reviewer fixes of the final label (nothing applies them yet)."""
        return (
            self.filter(status=LabelErrorFinding.Status.CONFIRMED_ERROR)
            .exclude(corrected_label="")
            .order_by("-decided_at", "-id")
        )


class LabelErrorFinding(models.Model):
    """An item whose given label the run found likely wrong, and a reviewer's verdict."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED_ERROR = "confirmed_error", "Confirmed error"
        NOT_AN_ERROR = "not_an_error", "Not an error"

    run = models.ForeignKey(LabelErrorRun, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    given_label = models.CharField(max_length=200)
    likely_label = models.CharField(max_length=200)
    confidence_given = models.FloatField()
    quality_score = models.FloatField()
    rank = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The label the reviewer says is right, when they confirmed an error and gave one.
    corrected_label = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = LabelErrorFindingQuerySet.as_manager()

    class Meta:
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "rank"], name="quality_finding_run_rank"),
            models.UniqueConstraint(fields=["run", "item"], name="quality_finding_run_item"),
        ]

    def __str__(self) -> str:
        return f"finding {self.rank} of run {self.run_id}: item {self.item_id}"


# --- review: reviewers' decisions on annotations ------------------------------------------


class ReviewQuerySet(models.QuerySet):
    def latest_per_annotation(self) -> ReviewQuerySet:
        """Only the newest review of each annotation (older ones are history)."""
        newer = self.model.objects.filter(
            annotation=models.OuterRef("annotation"), created_at__gt=models.OuterRef("created_at")
        )
        return self.filter(annotation__isnull=False).exclude(models.Exists(newer))


class Review(models.Model):
    """A reviewer's decision on one annotation. Several reviews of an annotation are kept;
    the latest counts. The annotation itself is never changed: a fix carries the reviewer's
    answer, and a rejection sent back to the annotator removes the annotation (so it leaves
    the counts and the item can be answered again) after its answer was copied here."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        FIXED = "fixed", "Fixed"

    project = models.ForeignKey("workbench.Project", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("workbench.Item", on_delete=models.CASCADE, related_name="reviews")
    # Null once a rejected annotation was sent back (its answer is in original_answer).
    annotation = models.ForeignKey(
        "workbench.Annotation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
    )
    # The annotation's author, kept after a send-back (imported annotations: name only).
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    annotator_name = models.CharField(max_length=255, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_given"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True, help_text="Shown to the annotator on rejection.")
    fixed_answer = models.JSONField(null=True, blank=True)
    original_answer = models.JSONField(null=True, blank=True)
    sent_back = models.BooleanField(default=False)
    # False: sent back for another look without a verdict on the annotator's work (the
    # model disagreed, evaluation's "relabel"); not counted in their review acceptance.
    judged = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["item", "created_at"], name="review_by_item"),
            models.Index(fields=["project", "reviewer", "created_at"], name="review_by_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} review of annotation {self.annotation_id} on item {self.item_id}"


# --- gold accuracy --------------------------------------------------------------------------


class GoldAccuracySnapshot(models.Model):
    """One annotator's accuracy on gold as computed at computed_at: the numbers, the rule
    they were judged by, and exactly which gold items and annotations went in (item_ids,
    annotation_ids and their digest), so anyone can recompute and compare."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_snapshots")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The time window the annotations were taken from (None: open).
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    n = models.PositiveIntegerField()
    correct = models.PositiveIntegerField()
    accuracy = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16)  # pass / fail / not_enough_data
    passed = models.BooleanField()
    threshold = models.FloatField()
    min_items = models.PositiveIntegerField()
    # sha256 over sorted "item id<TAB>annotation id" lines.
    items_digest = models.CharField(max_length=64)
    item_ids = models.JSONField(default=list)
    annotation_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["project", "annotator", "-computed_at"])]

    def __str__(self) -> str:
        return f"gold snapshot {self.pk}: {self.annotator_id} on {self.project_id}"


# --- agreement reports and scorecards (qpage) --------------------------------------------


class AgreementReport(BackgroundRun):
    """One agreement computation over a project's non-skipped annotations: the parameters,
    the figures (results), and the digest of the (annotation id, updated_at) pairs read, so
    anyone can check a later computation saw the same annotations."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreement_reports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # When the figures were computed (the governance evidence; finished_at of a done report).
    computed_at = models.DateTimeField(null=True, blank=True)
    parameters = models.JSONField(default=dict)  # {"fields": {name: {type, level}}, ...}
    results = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField(default=0)
    annotation_count = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"agreement report {self.pk} of project {self.project_id} ({self.status})"

    def stale_message(self) -> str:
        return (
            f"The computation stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); compute the report again"
        )


class ItemAgreementQuerySet(models.QuerySet):
    def items_below(self, items: models.QuerySet, project: Project, threshold: float):
        """`items` narrowed to those with a field scored under threshold in the project's
        latest agreement report; none when there is no report yet. The data manager's
        "agreement below" filter (registered in apps.py)."""
        latest = (
            AgreementReport.objects.filter(project=project, status="done")
            .order_by("-computed_at", "-id")
            .values("id")[:1]
        )
        low = self.filter(report_id=models.Subquery(latest), score__lt=threshold)
        return items.filter(id__in=low.values("item_id"))


class ItemAgreement(models.Model):
    """Per item and field: the item's agreement score in a report (share of agreeing
    annotator pairs, mean Jaccard or mean pair F1, by field type)."""

    # No database-level foreign keys (Django still cascades the deletes of reports and
    # items): a report writes one row per item and field in one COPY, and on PostgreSQL
    # checking the two deferred constraints row by row at commit took twice as long as
    # the COPY itself, ~10 s of a report over 1,000,000 annotations (docs/benchmarks.md,
    # "Issue 9's last two targets"). The item ids come from the rows the report has just
    # read. No index of report alone: the unique constraint starts with it.
    report = models.ForeignKey(
        AgreementReport,
        on_delete=models.CASCADE,
        related_name="items",
        db_constraint=False,
        db_index=False,
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    field = models.CharField(max_length=64)
    score = models.FloatField()
    n_annotators = models.PositiveIntegerField()

    objects = ItemAgreementQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["report", "score"])]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "item", "field"], name="quality_itemagreement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} {self.field}: {self.score:.3f}"


class Scorecard(models.Model):
    """A recorded annotator scorecard: the numbers shown, when, and over which annotations
    (digest of their sorted (id, updated_at) pairs), plus the agreement report used."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scorecards")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorecards"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)
    report = models.ForeignKey(
        AgreementReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    digest = models.CharField(max_length=64)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["project", "annotator", "-computed_at"])]

    def __str__(self) -> str:
        return f"scorecard of {self.annotator_id} in {self.project_id} at {self.computed_at}"
