from django import forms

from trainerdesk.privacy.models import DataSubjectRequest


class NewRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=DataSubjectRequest.Kind.choices)
    email = forms.CharField(max_length=254, required=False, label="E-mail address")
    user_id = forms.IntegerField(required=False, min_value=1, label="User id")
    candidate_id = forms.IntegerField(required=False, min_value=1, label="Candidate id")
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What to correct"
    )
    received_at = forms.DateTimeField(required=False, label="Received (default: now)")


class VerifyForm(forms.Form):
    method = forms.ChoiceField(choices=DataSubjectRequest.IdentityMethod.choices)


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (DataSubjectRequest.Status.COMPLETED, "Completed"),
            (DataSubjectRequest.Status.REJECTED, "Rejected"),
        ]
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
