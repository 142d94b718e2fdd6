from django import forms

from trainerdesk.vetting.models import Domain, TaskType


class AssessmentForm(forms.Form):
    """Edit: what an assessment's settings page posts (field names are the settings)."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    items_per_attempt = forms.IntegerField(min_value=1, help_text="Gold items drawn per attempt.")
    pass_threshold = forms.FloatField(
        min_value=0, max_value=1, help_text="Pass when the 95% Wilson lower bound reaches this."
    )
    validity_days = forms.IntegerField(min_value=1, help_text="How long a result counts.")
    retake_wait_days = forms.IntegerField(min_value=0, help_text="Wait before a retake.")


class NewAssessmentForm(AssessmentForm):
    project = forms.TypedChoiceField(coerce=int, help_text="The gold pool: its gold items.")
    slug = forms.SlugField(max_length=80)
    task_type = forms.ChoiceField(choices=TaskType.choices)
    domain = forms.ChoiceField(choices=Domain.choices)

    field_order = [
        "project",
        "title",
        "slug",
        "task_type",
        "domain",
        "description",
        "items_per_attempt",
        "pass_threshold",
        "validity_days",
        "retake_wait_days",
    ]

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.pk, f"{p.name} ({p.gold} gold)") for p in projects]
