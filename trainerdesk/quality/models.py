"""Quality records: what was computed (gold accuracy, agreement, review decisions,
scorecards, label-error runs), when, and over which items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

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
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["item", "created_at"], name="review_by_item"),
            models.Index(fields=["project", "reviewer", "created_at"], name="review_by_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} review of annotation {self.annotation_id} on item {self.item_id}"
