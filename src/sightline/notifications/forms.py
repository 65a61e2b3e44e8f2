"""Forms of the urgent lane's settings and of a person's own alerts. They parse input only:
the rules (a UK mobile, the target's range, who may be the duty contact) are the services'."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms

from sightline.notifications.subscriptions import DAY_NAMES

_TIME = re.compile(r"([01]?\d|2[0-3])[:.]?([0-5]\d)")


def parse_time(value: str) -> dt.time | None:
    """ "22:00", "2200", "7:30" or "07.30"; None for an empty value; ValueError otherwise."""
    text = value.strip()
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError(text)
    return dt.time(int(match.group(1)), int(match.group(2)))


class UrgentSettingsForm(forms.Form):
    ack_minutes = forms.IntegerField(
        label="How many minutes do your people have to acknowledge an urgent alert?",
        help_text="Missing, away and child safe alerts. After this time, the duty contact is "
        "told. For example, 30.",
        min_value=1,
        max_value=1440,
        error_messages={
            "required": "Enter the number of minutes to acknowledge an urgent alert",
            "invalid": "Enter the number of minutes as a whole number, like 30",
            "min_value": "Enter a number of minutes between 1 and 1440",
            "max_value": "Enter a number of minutes between 1 and 1440",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    duty_contact = forms.ChoiceField(
        label="Duty contact",
        help_text="The person told when an urgent alert is not acknowledged in time. With "
        "nobody named, your managers are e-mailed instead.",
        required=False,
    )
    duty_phone = forms.CharField(
        label="Duty contact's mobile phone number",
        help_text="Texted when an urgent alert is not acknowledged in time. For example, "
        "07700 900 982.",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contact = self.fields["duty_contact"]
        assert isinstance(contact, forms.ChoiceField)
        contact.choices = [("", "Nobody named"), *people]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("ack_minutes", field_width=5),
            Field.select("duty_contact"),
            Field.text("duty_phone", field_width=20),
            Submit("save", "Save settings"),
        )


class AlertPreferencesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label="Which alerts do you want by e-mail?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sms_kinds = forms.MultipleChoiceField(
        label="Which alerts do you want by text message?",
        help_text="Text messages are sent through GOV.UK Notify. They never name the child.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mobile = forms.CharField(
        label="Mobile phone number",
        help_text="A UK mobile, for text messages. For example, 07700 900 982.",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    days = forms.MultipleChoiceField(
        label="Which days are you on duty?",
        choices=[(str(i), name) for i, name in enumerate(DAY_NAMES)],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one day you are on duty"},
    )
    starts_at = forms.CharField(
        label="Start time",
        help_text="24-hour clock, UK time. For example, 22:00. Leave both times empty to get "
        "alerts at any time of the days you are on duty.",
        required=False,
        max_length=5,
    )
    ends_at = forms.CharField(
        label="End time",
        help_text="If you work overnight, the end can be before the start: 22:00 to 07:00.",
        required=False,
        max_length=5,
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("email_kinds", "sms_kinds"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = kinds
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.checkboxes("email_kinds", legend_size=Size.MEDIUM, small=True),
            Field.checkboxes("sms_kinds", legend_size=Size.MEDIUM, small=True),
            Field.text("mobile", field_width=20),
            Field.checkboxes("days", legend_size=Size.MEDIUM, small=True),
            Fieldset(
                Field.text("starts_at", field_width=5),
                Field.text("ends_at", field_width=5),
                legend="When are you on duty?",
                legend_size=Size.MEDIUM,
            ),
            Submit("save", "Save your alerts"),
        )

    def _time(self, name: str, what: str) -> dt.time | None:
        try:
            return parse_time(self.cleaned_data.get(name, ""))
        except ValueError:
            raise forms.ValidationError(
                f"Enter the time you {what} on the 24-hour clock, like 22:00"
            ) from None

    def clean_starts_at(self) -> dt.time | None:
        return self._time("starts_at", "start")

    def clean_ends_at(self) -> dt.time | None:
        return self._time("ends_at", "end")
