"""Forms of the pipeline pages: they parse and name fields; the services decide."""

from __future__ import annotations

from django import forms

from trainerdesk.lib import money
from trainerdesk.placements.models import Interview, PayUnit


class SubmitForm(forms.Form):
    candidate = forms.IntegerField(min_value=1)
    opening = forms.IntegerField(min_value=1)
    stage = forms.ChoiceField(
        choices=[("submitted", "Submit to the client"), ("sourced", "Shortlist (sourced)")],
        initial="submitted",
    )


class MoveForm(forms.Form):
    to_stage = forms.CharField(max_length=16)
    reason = forms.CharField(max_length=2000, required=False)


class InterviewForm(forms.Form):
    scheduled_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    duration_minutes = forms.IntegerField(min_value=5, max_value=480, initial=45)


class OfferForm(forms.Form):
    # Typed in major units ("30,00"); cleaned_data["pay_cents"] is the integer the service
    # takes (lib/money.parse_amount: nothing rounded, ambiguous input refused).
    pay = forms.CharField(max_length=30, label="Pay (e.g. 30,00)")
    currency = forms.CharField(min_length=3, max_length=3, initial="EUR")
    unit = forms.ChoiceField(choices=PayUnit.choices)
    hours_per_week = forms.IntegerField(min_value=1, max_value=80, required=False)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        currency = data.get("currency")
        if "pay" in data and currency in money.CURRENCY_EXPONENTS:
            try:
                data["pay_cents"] = money.parse_amount(data["pay"], currency, field="pay")
            except money.MoneyError as exc:
                self.add_error("pay", exc.errors[0].removeprefix("pay: "))
        elif "pay" in data:
            self.add_error("currency", f"{currency!r} is not a supported currency")
        return data


class FeedbackForm(forms.Form):
    outcome = forms.ChoiceField(choices=[c for c in Interview.Outcome.choices if c[0] != "pending"])
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)


class DateReasonForm(forms.Form):
    on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=2000, required=False)


class DisputeForm(forms.Form):
    candidate = forms.IntegerField(min_value=1)
    client = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=2000)


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(choices=[("keep", "Keep the owner"), ("reassign", "Reassign")])
    reason = forms.CharField(max_length=2000)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accepted"), ("decline", "Declined")])
