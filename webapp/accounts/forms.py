"""Admins add annotators from the annotators page."""

import secrets

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator


class NewAnnotatorForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to generate one; it is shown once.",
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"The user name {username!r} is taken.")
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data["password"] or secrets.token_urlsafe(9)
        password_validation.validate_password(password)
        return password
