"""Forms for the child's words, the plan and parents and carers.

They check that answers are complete and well formed; the services check the rules, and a
service's message is shown against the field it names. The professionals' free text is
checked against the appropriate-language list (``ChildAgeMixin``); the child's own words are
not (ADR: "the child's words are kept as said").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from sightline.children.forms import DateField
from sightline.family.models import (
    ContactPreference,
    Relationship,
    SharingChannel,
    StatementOccasion,
    StatementTopic,
)
from sightline.language.forms import LANGUAGE_CONFIRM_FIELD, LANGUAGE_SEEN_FIELD
from sightline.missing.forms import ChildAgeMixin, TimeField, london_moment
from sightline.organisations.models import Organisation

TEXT_MAX = 10_000
YES_NO = [("yes", "Yes"), ("no", "No")]


def _language_fields() -> list[Any]:
    return [Field.checkbox(LANGUAGE_CONFIRM_FIELD), Field(LANGUAGE_SEEN_FIELD)]


def _text(label: str, *, required: bool, message: str = "", help_text: str = "") -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": message or f"Enter {label.lower()}"},
    )


def _helper(*fields: Any, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*fields, Submit("save", submit))
    return helper


class _ChildForm(ChildAgeMixin, forms.Form):
    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age


class StatementForm(_ChildForm):
    language_checked_fields = ("context",)

    words = _text(
        "What the child said, in their own words",
        required=True,
        message="Enter what the child said",
        help_text="Write their words as they said them. They are not changed or checked.",
    )
    topic = forms.ChoiceField(
        label="What was it about?",
        choices=StatementTopic.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what it was about"},
    )
    occasion = forms.ChoiceField(
        label="When did they say it?",
        choices=StatementOccasion.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the occasion"},
    )
    said_date = DateField(noun="date", label="Date", help_text="For example, 2 2 2026")
    said_time = TimeField(noun="time", label="Time", help_text="For example, 4pm or 16:00")
    said_to = forms.CharField(
        label="Who did they say it to?",
        help_text="Their role, for example the allocated social worker",
        max_length=200,
        error_messages={"required": "Enter who the child said it to"},
    )
    context = _text("Your note about the conversation (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("words", rows=5),
            Field.radios("topic", legend_size=Size.SMALL),
            Field.radios("occasion", legend_size=Size.SMALL),
            Field.text("said_date", field_width=10),
            Field.text("said_time", field_width=5),
            Field.text("said_to", field_width="two-thirds"),
            Field.textarea("context", rows=3),
            *_language_fields(),
            submit="Save the child's words",
        )

    def said_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("said_date"), self.cleaned_data.get("said_time")
        return london_moment(day, time) if day and time else None


class PlanForm(_ChildForm):
    language_checked_fields = ("summary", "carers_took_part")

    summary = _text("The plan", required=True, message="Enter the plan")
    child_took_part = forms.ChoiceField(
        label="Did the child take part in writing it?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the child took part"},
    )
    child_views = _text(
        "What the child said about the plan, in their words",
        required=False,
        help_text="Needed when the child took part. Not changed or checked.",
    )
    carers_took_part = forms.CharField(
        label="Carers who took part (optional)",
        help_text="Their roles, for example the home's key worker",
        max_length=500,
        required=False,
    )
    agencies = forms.ModelMultipleChoiceField(
        label="Agencies that took part (optional)",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, agencies: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if agencies is not None:
            field = self.fields["agencies"]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = agencies
        self.helper = _helper(
            Field.textarea("summary", rows=6),
            Field.radios("child_took_part", legend_size=Size.SMALL, inline=True),
            Field.textarea("child_views", rows=3),
            Field.text("carers_took_part"),
            Field.checkboxes("agencies", legend_size=Size.SMALL, small=True),
            *_language_fields(),
            submit="Save a new version of the plan",
        )


class _ParentContactFields(_ChildForm):
    language_checked_fields = ("restriction_reason",)

    contact_preference = forms.ChoiceField(
        label="How do they prefer to be contacted?",
        choices=ContactPreference.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how they prefer to be contacted"},
    )
    email = forms.EmailField(
        label="E-mail address (optional)",
        required=False,
        error_messages={"invalid": "Enter an e-mail address in the correct format"},
    )
    phone = forms.CharField(label="Phone number (optional)", max_length=30, required=False)
    restricted = forms.ChoiceField(
        label="Are they a risk to the child?",
        help_text="If yes, Sightline never contacts them and they never see anything.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether they are a risk to the child"},
    )
    restriction_reason = _text("Why (if they are a risk)", required=False)

    def contact_layout(self) -> list[Any]:
        return [
            Field.radios("contact_preference", legend_size=Size.SMALL),
            Field.text("email", field_width="two-thirds"),
            Field.text("phone", field_width=20),
            Field.radios("restricted", legend_size=Size.SMALL, inline=True),
            Field.textarea("restriction_reason", rows=3),
            *_language_fields(),
        ]


class ParentForm(_ParentContactFields):
    name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Enter their name"}
    )
    relationship = forms.ChoiceField(
        label="Relationship to the child",
        choices=Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select their relationship to the child"},
    )
    parental_responsibility = forms.ChoiceField(
        label="Do they have parental responsibility?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether they have parental responsibility"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("name", field_width="two-thirds"),
            Field.radios("relationship", legend_size=Size.SMALL),
            Field.radios("parental_responsibility", legend_size=Size.SMALL, inline=True),
            *self.contact_layout(),
            submit="Save",
        )


class ParentEditForm(_ParentContactFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(*self.contact_layout(), submit="Save changes")


class SharingForm(_ChildForm):
    language_checked_fields = ("what",)

    what = _text("What was shared", required=True, message="Enter what was shared")
    channel = forms.ChoiceField(
        label="How was it shared?",
        choices=[c for c in SharingChannel.choices if c[0] != SharingChannel.PARENT_VIEW],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how it was shared"},
    )
    shared_date = DateField(noun="date", label="Date", help_text="For example, 2 2 2026")
    shared_time = TimeField(noun="time", label="Time", help_text="For example, 4pm or 16:00")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("what", rows=4),
            Field.radios("channel", legend_size=Size.SMALL),
            Field.text("shared_date", field_width=10),
            Field.text("shared_time", field_width=5),
            *_language_fields(),
            submit="Save",
        )

    def shared_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("shared_date"), self.cleaned_data.get("shared_time")
        return london_moment(day, time) if day and time else None


class InviteForm(forms.Form):
    days = forms.IntegerField(
        label="For how many days?",
        min_value=1,
        max_value=90,
        initial=28,
        error_messages={
            "required": "Enter how many days the invitation lasts",
            "min_value": "Must be 1 day or more",
            "max_value": "Must be 90 days or fewer",
            "invalid": "Enter a whole number of days",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("days", field_width=3), Submit("invite", "Send the invitation")
        )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the e-mail",
        max_length=12,
        error_messages={"required": "Enter the code from the e-mail"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("code", field_width=5, label_size="s"), Submit("continue", "Continue")
        )
