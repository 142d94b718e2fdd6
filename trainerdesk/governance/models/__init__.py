"""Dataset versions: immutable snapshots of a project's labelled data (issue 13)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trainerdesk.workbench.models import Project
from trainerdesk.workbench.runs import BackgroundRun


class DatasetVersion(BackgroundRun):
    """One snapshot: its name, tags and notes, who asked for it, and once the worker has
    built it the version id (governance/manifest.py) over its records.

    The manifest is a related table of (item id, record hash, final answer) rows rather
    than a compressed blob: a diff merge-joins two versions by reading both in item-id
    order from the (version, item id) index, page by page, and the detail page links to
    single items, neither of which a blob allows without decompressing all of it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dataset_versions")
    name = models.CharField(max_length=100)
    tags = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # sha256 hex over the sorted "item id<TAB>record hash" lines; blank until built.
    version_id = models.CharField(max_length=64, blank=True)
    record_count = models.PositiveIntegerField(default=0)
    # The final label rule the finals were computed under (QualitySettings).
    final_label_rule = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="dataset_version_name_unique")
        ]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"dataset version {self.name} of project {self.project_id} ({self.status})"

    def stale_message(self) -> str:
        return "The worker stopped while building this version; create it again."


class VersionRecord(models.Model):
    """One manifest line. item_id is a plain id, not a foreign key: a version outlives
    the items it describes (an item deleted later stays in the versions that hold it)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="records")
    item_id = models.BigIntegerField()
    record_hash = models.CharField(max_length=64)
    final = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "item_id"], name="version_record_unique")
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} in version {self.version_id}"


class BiasAudit(models.Model):
    """One bias audit, of one `kind` (label parity, the default; model fairness of a model
    version's predictions; annotator parity). For label parity: the project's final labels on
    an item-data attribute (or the intersection of two). Each is stored with the digest of
    the rows it read so a later recomputation can tell whether the data changed. results
    holds fairness.py's / fairness_model.py's reports as_dict() (they own the numbers)."""

    class Kind(models.TextChoices):
        LABEL_PARITY = "label_parity", "Label parity (data only)"
        MODEL_FAIRNESS = "model_fairness", "Model fairness (predictions vs final labels)"
        ANNOTATOR_PARITY = "annotator_parity", "Annotator parity"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="bias_audits")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LABEL_PARITY)
    # The model version whose predictions a model-fairness audit read (governance sits
    # above evaluation, so this foreign key points down the layers).
    model_version = models.ForeignKey(
        "evaluation.ModelVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attributes = models.JSONField(default=list)  # item-data field names, one or two
    field = models.CharField(max_length=100)  # the label field audited
    positive = models.CharField(max_length=255)  # its favourable label
    privileged = models.CharField(max_length=255, blank=True)  # as given; blank = highest rate
    # The labels came from this version's stored finals instead of the live project.
    dataset_version = models.ForeignKey(
        DatasetVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # lib/digest over "item id<TAB>attribute values (JSON)<TAB>favourable 0/1", id order.
    inputs_digest = models.CharField(max_length=64)
    item_count = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["project", "-computed_at"])]

    def __str__(self) -> str:
        by = ", ".join(self.attributes)
        return f"bias audit of {self.field} by {by} (project {self.project_id})"

    @property
    def parity(self) -> dict:
        return self.results.get("parity", {})

    @property
    def representation(self) -> dict:
        return self.results.get("representation", {})

    @property
    def model_fairness(self) -> dict:
        return self.results.get("model_fairness", {})

    @property
    def annotators(self) -> dict:
        return self.results.get("annotator_parity", {})


from trainerdesk.governance.models.documents import (  # noqa: E402 - the area's own file
    ApprovedDocumentError,
    DataGap,
    DocumentVersion,
)
from trainerdesk.governance.models.heads import ChainHead  # noqa: E402
from trainerdesk.governance.models.lineage import UsedVersion  # noqa: E402

__all__ = [
    "ApprovedDocumentError",
    "BiasAudit",
    "ChainHead",
    "DataGap",
    "DatasetVersion",
    "DocumentVersion",
    "UsedVersion",
    "VersionRecord",
]
