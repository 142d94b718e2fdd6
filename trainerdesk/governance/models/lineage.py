"""Which dataset version a run used (issue 13, "Dataset versions", last bullet).

The runs live in lower layers (quality: agreement reports, label-error runs; evaluation:
evaluation runs, training runs and the model versions they make), which may not point up
at governance, so the link is kept here: one row per (run, version), saying how it was
established. The matching rule is services/lineage.py's docstring.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UsedVersion(models.Model):
    class RunType(models.TextChoices):
        AGREEMENT_REPORT = "agreement_report", "Agreement report"
        LABEL_ERROR_RUN = "label_error_run", "Label-error run"
        EVALUATION_RUN = "evaluation_run", "Evaluation run"
        TRAINING_RUN = "training_run", "Training run"
        MODEL_VERSION = "model_version", "Model version"

    class Match(models.TextChoices):
        DIGEST = "digest", "Input digest equals the version's (recomputed in the run's format)"
        EXPLICIT = "explicit", "Recorded by a person"

    version = models.ForeignKey(
        "governance.DatasetVersion", on_delete=models.CASCADE, related_name="used_by"
    )
    # Denormalised from the version so a project's links are one index read.
    project_id = models.BigIntegerField()
    run_type = models.CharField(max_length=24, choices=RunType.choices)
    # A plain id: the run may be deleted with its project's history kept here.
    run_id = models.BigIntegerField()
    match = models.CharField(max_length=12, choices=Match.choices)
    # The digest both sides gave (for a digest match), so the claim can be rechecked.
    digest = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "run_type", "run_id"], name="used_version_unique"
            )
        ]
        indexes = [models.Index(fields=["run_type", "run_id"], name="used_version_run")]

    def __str__(self) -> str:
        return f"{self.run_type} {self.run_id} used version {self.version_id} ({self.match})"
