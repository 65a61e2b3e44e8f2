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


class NewRecoveryCodesForm(_CodeForm):
    """Creating new recovery codes asks for the second factor again."""

    label = "Code from your authenticator app"
    hint = "To create new codes, enter the 6-digit code your app shows now."
    button = "Create new recovery codes"


# --- Administration: an organisation's people ---------------------------------------------
# The forms parse input only. A role is offered from the roles the organisation's kind holds,
# but any value reaches the service, which refuses (and records) a role the kind does not
# hold: the same bad case through page and service.


class _AnyRole(forms.ChoiceField):
    """Radios of the roles offered; the service, not the form, decides what is allowed."""

    def valid_value(self, value: Any) -> bool:
        return True


def _role_field(label: str) -> _AnyRole:
    return _AnyRole(
        label=label,
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": "Select a role"},
    )


class PersonAddForm(forms.Form):
    first_name = forms.CharField(
        label="First name", max_length=150, error_messages={"required": "Enter their first name"}
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, error_messages={"required": "Enter their last name"}
    )
    email = forms.CharField(
        label="Email address",
        max_length=254,
        error_messages={"required": "Enter their email address"},
    )
    username = forms.CharField(
        label="Username",
        help_text="What they will type to sign in. Letters, numbers and @ . + - _ only.",
        max_length=150,
        error_messages={"required": "Enter a username"},
    )
    role = _role_field("Role")

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
        self.fields["email"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "type": "email"}
        )
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("first_name", field_width=20),
            Field.text("last_name", field_width=20),
            Field.text("email", field_width=30),
            Field.text("username", field_width=20),
            Field.radios("role", legend_size="m"),
            Submit("add", "Add person"),
        )


class RoleForm(forms.Form):
    role = _role_field("Role")

    def __init__(self, *args: Any, roles: list[tuple[str, str]], legend: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
        self.fields["role"].label = legend
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("role", legend_size="l", legend_tag="h1"),
            Submit("save", "Save role"),
        )


class ConfirmForm(forms.Form):
    """A confirmation with one button (deactivate, reactivate, reset): nothing to parse."""
