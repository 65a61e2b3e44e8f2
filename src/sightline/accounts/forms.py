"""The code forms of the sign-in journey (GOV.UK Design System through crispy-forms-gds)."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms

from sightline.core.errors import ValidationError


class _CodeForm(forms.Form):
    label = ""
    hint = ""
    button = "Continue"
    width = 5
    numeric = True

    code = forms.CharField(required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = self.label
        field.help_text = self.hint
        attrs = {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        if self.numeric:
            attrs["inputmode"] = "numeric"
        field.widget.attrs.update(attrs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("code", field_width=self.width, label_size="s"),
            Submit("continue", self.button),
        )

    def show(self, exc: ValidationError) -> None:
        """Show a service's error against the code field."""
        self.add_error("code", exc.message)


class AuthenticatorSetupForm(_CodeForm):
    label = "Enter the 6-digit code from your authenticator app"
    hint = "The code changes every 30 seconds."
    button = "Confirm"


class AuthenticatorCodeForm(_CodeForm):
    label = "Code from your authenticator app"
    hint = "The 6-digit code your app shows now. It changes every 30 seconds."


class RecoveryCodeForm(_CodeForm):
    label = "Recovery code"
    hint = "One of the 10 recovery codes you saved when you set up your authenticator app."
    width = 10
    numeric = False
