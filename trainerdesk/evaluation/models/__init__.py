"""Models, their versions, the project's held-out split and evaluation runs (issue 12).

Predictions stay where imports and the API put them (`workbench.Prediction`, with its
`model_version` string): a `ModelVersion` of a project is the version whose `name` equals
that string, so every prediction ever stored belongs to a version without touching the
workbench's table (`services.version_for` gets or creates it). Probability vectors, which
the workbench's prediction has no place for, are kept here per (version, item).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.workbench.models import Item, Project
from trainerdesk.workbench.runs import BackgroundRun


class Model(models.Model):
    """A model a project tests: a name for a line of versions."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="eval_models")
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="eval_model_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    """One version of a model; its predictions are the project's `Prediction` rows whose
    `model_version` is this version's `name` (unique within the project for that reason)."""

    class Source(models.TextChoices):
        IMPORTED = "imported", "Imported (file or API)"
        BASELINE = "baseline", "Built-in baseline trainer"

    model = models.ForeignKey(Model, on_delete=models.CASCADE, related_name="versions")
    # Denormalised from model.project so the name is unique per project, as the
    # prediction's string is.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.IMPORTED)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # For the baseline trainer (issue 12): item ids + label digest, parameters, library
    # versions; empty for imported versions.
    training_digest = models.CharField(max_length=64, blank=True)
    training = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="eval_version_name_unique")
        ]

    def __str__(self) -> str:
        return self.name or "(unnamed version)"


class PredictedProbabilities(models.Model):
    """A version's probability per class (the field's label order) on one item."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="probs")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    field_name = models.CharField(max_length=64)
    probabilities = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "item", "field_name"], name="eval_probs_unique"
            )
        ]

    def __str__(self) -> str:
        return f"probabilities of {self.version_id} on item {self.item_id}"


class EvaluationSplit(models.Model):
    """The project's held-out items, fixed when first created (services refuse a change)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="eval_split")
    field_name = models.CharField(max_length=64)
    fraction = models.FloatField()
    seed = models.BigIntegerField(default=0)
    stratified = models.BooleanField(default=True)
    # Sorted item ids; gold items are always among them.
    item_ids = models.JSONField(default=list)
    items_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"evaluation split of project {self.project_id} ({len(self.item_ids)} items)"


class EvaluationRun(BackgroundRun):
    """One evaluation of a version on the split (or on all labelled items, said so)."""

    class Scope(models.TextChoices):
        SPLIT = "split", "Evaluation split"
        ALL = "all", "All labelled items (not held out)"

    class Against(models.TextChoices):
        FINAL = "final", "Final labels (the project's final label rule)"
        GOLD = "gold", "Gold references"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="eval_runs")
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="runs")
    field_name = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.SPLIT)
    against = models.CharField(max_length=8, choices=Against.choices, default=Against.FINAL)
    # {"resamples": 1000, "seed": 0, "confidence": 0.95, "slices": [...], "bins": 10}
    parameters = models.JSONField(default=dict)
    classes = models.JSONField(default=list)
    # sha256 over sorted "item id<TAB>reference<TAB>prediction" lines (lib/digest).
    items_digest = models.CharField(max_length=64, blank=True)
    items_evaluated = models.PositiveIntegerField(default=0)
    items_left_out = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    slices = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"evaluation run {self.pk} of {self.version} ({self.status})"

    def stale_message(self) -> str:
        return (
            f"The evaluation stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); no metrics were kept: start it again"
        )


class TrainingRun(BackgroundRun):
    """One training of the built-in baseline (issue 12): the worker reads the final labels
    minus the evaluation split, fits, and stores a baseline version with its predictions
    on every item of the project; `version` is set once that is stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="eval_trainings")
    # The version's (and its model's) name, kept from the request until the version exists.
    name = models.CharField(max_length=255)
    field_name = models.CharField(max_length=64)
    # {"seed": 0, "params": {...}}; the version's `training` keeps the full record.
    parameters = models.JSONField(default=dict)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"training run {self.pk} of {self.name} ({self.status})"

    def stale_message(self) -> str:
        return (
            f"The training stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); no version was kept: start it again"
        )


# The feedback loop's and the behavioural suites' models live in their own modules
# (imported last: they import the models above from here).
from trainerdesk.evaluation.models.loop import (  # noqa: E402
    ActiveLearningSettings,
    FeedbackBatch,
    Iteration,
    QueueReorder,
)
from trainerdesk.evaluation.models.suites import (  # noqa: E402, F401
    BaselineState,
    Suite,
    SuiteCase,
    SuiteRun,
    SuiteTest,
)

__all__ = [
    "ActiveLearningSettings",
    "BaselineState",
    "EvaluationRun",
    "EvaluationSplit",
    "FeedbackBatch",
    "Iteration",
    "Model",
    "ModelVersion",
    "PredictedProbabilities",
    "QueueReorder",
    "Suite",
    "SuiteCase",
    "SuiteRun",
    "SuiteTest",
    "TrainingRun",
]
