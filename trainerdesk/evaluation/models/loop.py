"""The feedback loop (issue 12): active-learning settings and queue re-orderings, batches of
items sent back to people (review or relabel), and named iterations label -> train ->
evaluate whose error rates the Model page charts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.evaluation.models import EvaluationRun, ModelVersion
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.runs import BackgroundRun


class Strategy(models.TextChoices):
    OFF = "off", "Off (the project's own ordering)"
    LEAST_CONFIDENCE = "least_confidence", "Least confidence"
    MARGIN = "margin", "Margin"
    ENTROPY = "entropy", "Entropy"


class ActiveLearningSettings(models.Model):
    """A project's active-learning setting (its own row, like QualitySettings): which
    version's probabilities order the queue, by which uncertainty, with what random share."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="active_learning"
    )
    strategy = models.CharField(max_length=24, choices=Strategy.choices, default=Strategy.OFF)
    random_share = models.FloatField(default=0.10)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seed = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"active learning of project {self.project_id}: {self.strategy}"


class QueueReorder(BackgroundRun):
    """One re-ordering of the annotation queue by a version's uncertainty: what it used
    (version, strategy, seed, share) and the digest of the order it wrote, so running it
    again with the same inputs can be checked to give the same order."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="queue_reorders")
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    field_name = models.CharField(max_length=64)
    strategy = models.CharField(max_length=24, choices=Strategy.choices)
    random_share = models.FloatField()
    seed = models.BigIntegerField()
    items_ordered = models.PositiveIntegerField(default=0)
    random_items = models.PositiveIntegerField(default=0)
    # Open items left where they were: held out, gold, or without a probability vector.
    items_kept = models.PositiveIntegerField(default=0)
    # sha256 over "position<TAB>item id<TAB>random or uncertain" lines, first served first.
    order_digest = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"queue re-order {self.pk} by {self.strategy} ({self.status})"

    def stale_message(self) -> str:
        return (
            f"The re-ordering stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); the queue kept its previous order: start it again"
        )


class FeedbackBatch(models.Model):
    """Items a manager sent back to people in one action: to the review queue (a reviewer
    looks at the item's answers in the review app) or to relabel (the answers are
    rejected and sent back to their authors through the review app)."""

    class Kind(models.TextChoices):
        REVIEW = "review", "Sent to review"
        RELABEL = "relabel", "Sent to relabel"

    class Source(models.TextChoices):
        DISAGREEMENT = "disagreement", "Disagreement queue"
        ERRORS = "errors", "Error analysis"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="feedback_batches")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(
        EvaluationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # [{"item": id, "reason": "...", "model": label, "human": label}], in the order sent.
    entries = models.JSONField(default=list)
    items_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {len(self.entries)} items"


class Iteration(models.Model):
    """One named round of the loop: the labels so far, the version trained on them and its
    evaluation. `change` (vs the previous iteration) is computed when it is recorded."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="iterations")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="+")
    labelled_items = models.PositiveIntegerField(default=0)
    trained_items = models.PositiveIntegerField(null=True, blank=True)
    # {"computed_on": "...", "paired": bool, "error_rate": {...}, "accuracy": {...}}
    change = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="eval_iteration_number")
        ]

    def __str__(self) -> str:
        return f"iteration {self.number} ({self.name})"
