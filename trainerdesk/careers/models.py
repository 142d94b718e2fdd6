"""A career self-assessment a visitor chose to keep (consent ticked). Nothing else is
stored: no name, e-mail or IP address; the visitor reaches it again, and the membership
application reads it, through the random `token`."""

from __future__ import annotations

from django.db import models

from trainerdesk.careers.scoring import RECOMMENDATIONS


class CareerAssessmentResult(models.Model):
    questionnaire_version = models.PositiveSmallIntegerField()
    # {question key: option value}, every question of the version answered.
    answers = models.JSONField()
    score = models.PositiveSmallIntegerField()
    recommendation = models.CharField(max_length=32, choices=list(RECOMMENDATIONS.items()))
    consented_at = models.DateTimeField()
    # secrets.token_urlsafe(32): 43 characters, unguessable; the only way to the row.
    token = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recommendation__in=list(RECOMMENDATIONS)),
                name="careerresult_recommendation_known",
            )
        ]

    def __str__(self) -> str:
        return f"career assessment #{self.pk} (v{self.questionnaire_version}, {self.score})"
