"""Behavioural test suites (CheckList-style, issue 12): a project's suites, their tests,
the cases generated from them (or collected from items), runs of a model version against a
suite, and the fitted state of baseline versions so a suite can ask them about new text.

The pure core is `evaluation/checklist.py`; a test's `spec` is the core's test dict
without its name and type (those are columns), plus where its source texts come from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trainerdesk.evaluation.models import ModelVersion
from trainerdesk.workbench.models import Item, Project
from trainerdesk.workbench.runs import BackgroundRun


class Suite(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="eval_suites")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The choice field whose labels the tests name (expected labels, directional labels).
    field_name = models.CharField(max_length=64)
    seed = models.BigIntegerField(default=0)
    # Fill-in lists: {placeholder: [values]}; the core's built-in ones need no entry.
    lexicons = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="eval_suite_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SuiteTest(models.Model):
    class Kind(models.TextChoices):
        MFT = "mft", "Minimum functionality"
        INV = "inv", "Invariance"
        DIR = "dir", "Directional"

    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, related_name="tests")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # mft: {"templates": [...], "expected": "...", "max_cases": n}, or {"collected": true}
    # for a test of cases added from items (each case has its own expected label);
    # inv/dir: {"perturbation": {...}, "texts": [...] | "items": [ids] | "sample": n,
    # "max_cases": n} and for dir also "label", "direction", "tolerance".
    spec = models.JSONField(default=dict)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["suite", "name"], name="eval_suite_test_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def collected(self) -> bool:
        return bool(self.spec.get("collected"))


class SuiteCase(models.Model):
    class Origin(models.TextChoices):
        GENERATED = "generated", "Generated from the test"
        ITEM = "item", "Added from an item"

    test = models.ForeignKey(SuiteTest, on_delete=models.CASCADE, related_name="cases")
    text = models.TextField()
    original = models.TextField(blank=True)  # inv/dir: the unperturbed text
    expected = models.CharField(max_length=255, blank=True)  # mft
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.GENERATED)
    source_item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Sent to annotators: the item made for the case, and the final label they gave it
    # (empty until they agree on one); a confirmed label is what the case expects.
    confirm_item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_label = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["test_id", "position", "id"]

    def __str__(self) -> str:
        return f"case {self.pk} of {self.test_id}"

    @property
    def expected_label(self) -> str:
        return self.confirmed_label or self.expected

    @property
    def disputed(self) -> bool:
        return bool(self.confirmed_label) and self.confirmed_label != self.expected


class SuiteRun(BackgroundRun):
    """One model version against a suite's stored cases. Built-in versions run in the
    worker; an external model's imported predictions are scored at once (a done run)."""

    class Mode(models.TextChoices):
        BUILTIN = "builtin", "Built-in model (in the worker)"
        EXTERNAL = "external", "External model (imported predictions)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.BUILTIN)
    # Per test, in the suite's order: the core's TestResult.as_dict() plus "kind".
    results = models.JSONField(default=list, blank=True)
    cases = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    # sha256 over "case id<TAB>text<TAB>expected" lines: which cases were run.
    cases_digest = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"suite run {self.pk} of {self.suite_id} on {self.version_id} ({self.status})"

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.cases if self.cases else None

    def stale_message(self) -> str:
        return (
            f"The suite run stopped without finishing (its worker was last heard from at "
            f"{self.last_heard()}); no results were kept: start it again"
        )


class BaselineState(models.Model):
    """A baseline version's fitted parameters (vocabulary, idf, coefficients) as a NumPy
    .npz archive (read with allow_pickle=False: no code in the database), so a suite run
    can predict texts that are not items. Kept when the version is trained, or rebuilt by
    retraining when the training set's digest still matches the version's."""

    version = models.OneToOneField(ModelVersion, on_delete=models.CASCADE, related_name="+")
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"fitted state of version {self.version_id}"
