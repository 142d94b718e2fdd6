from __future__ import annotations

from django import forms


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(max_length=70)
    iban = forms.CharField(max_length=42, label="IBAN")
    bic = forms.CharField(max_length=11, required=False, label="BIC (optional)")


class StatementForm(forms.Form):
    file = forms.FileField(label="Bank statement (camt.053 XML)")


class ResolveCaseForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[("not_paid", "Not paid (bank confirmed)"), ("dismissed", "Dismissed")]
    )
    note = forms.CharField(max_length=2000)
