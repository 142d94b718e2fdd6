from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UsernameField

User = get_user_model()


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What uses the token, e.g. “nightly export script”.",
    )


class SignupForm(forms.Form):
    """Names the fields; the service (`accounts.services.sign_up`) checks the password
    rules and that the name and address are free."""

    username = UsernameField(max_length=150, help_text="Letters, digits and @ . + - _ only.")
    email = forms.EmailField(max_length=254, help_text="Where we reach you; not shown to others.")
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean() or {}
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data
