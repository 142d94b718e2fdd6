"""Forms of the quality app."""

from __future__ import annotations

from django import forms

from trainerdesk.quality.models import QualitySettings
from trainerdesk.quality.services.settings import MAX_GOLD_MIN_ITEMS


class QualitySettingsForm(forms.Form):
    """Quality's section of the project settings page (registered in apps.py). Field names
    are the setting names the API takes; a field not posted leaves its setting alone."""

    final_label_rule = forms.ChoiceField(
        choices=QualitySettings.FinalLabelRule.choices,
        required=False,
        label="Final label rule",
        help_text="How each item's final answer is chosen for the export.",
    )
    gold_threshold = forms.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        initial=0.95,
        label="Gold pass threshold",
        help_text="Pass when the 95% Wilson lower bound of gold accuracy is at least this.",
    )
    gold_min_items = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_GOLD_MIN_ITEMS,
        initial=20,
        label="Gold items needed before pass/fail",
    )

    def clean(self):
        data = super().clean()
        # A form posted without a field (an older page, a script) leaves it unchanged.
        return {key: value for key, value in data.items() if value not in (None, "")}
