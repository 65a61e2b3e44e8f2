"""The "Record a placement" form: which child, where, from when, and what kind of placement.

The form checks that the answers are complete; the record-a-placement service checks the
rules (postcodes, dates, ages, the Ofsted URN, duplicate ids) and its messages are shown
against the field they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import (
    HTML,
    ConditionalQuestion,
    ConditionalRadios,
    Field,
    Fieldset,
    Layout,
    Size,
    Submit,
)
from django import forms

from sightline.children.forms import ChildChoiceField, DateField
from sightline.children.models import Sex
from sightline.core.timeutil import today
from sightline.geography.postcodes import EXAMPLE_POSTCODE
from sightline.language.forms import (
    LANGUAGE_CONFIRM_FIELD,
    LANGUAGE_SEEN_FIELD,
    LanguageCheckedFormMixin,
)
from sightline.organisations.models import Organisation, User
from sightline.placements.models import PLACE_CODES, PROVIDER_CODES, Sector, Setting
from sightline.placements.selectors import (
    children_for_new_placement,
    providers_for_choice,
    settings_for_choice,
)
from sightline.placements.services import postcode_entered

EXISTING = "existing"
NEW = "new"
CHILD_CHOICES = [(EXISTING, "A child already on Sightline"), (NEW, "A new child")]
SETTING_CHOICES = [(EXISTING, "A setting already on Sightline"), (NEW, "A new setting")]

# Radios built with ConditionalRadios number their options from 0, plain radios from 1;
# the error summary needs to know which to link to the first option.
CONDITIONAL_RADIOS = {"child_choice", "setting_choice"}


class SettingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Setting) -> str:
        return f"{obj.name}, {obj.postcode}"


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


def _text(label: str, **kwargs: Any) -> forms.CharField:
    """A text answer that is required or not depending on an earlier choice (see clean)."""
    return forms.CharField(label=label, required=False, **kwargs)


# The longest postcode with its space ("SW1A 1AA"); checked after spaces are tidied.
POSTCODE_MAX = 8


class PostcodeField(forms.CharField):
    """A postcode, tidied before it is checked.

    It has no ``maxlength``: a browser would silently cut " sk4   2ab" short, and the error
    would then quote text the user never typed. Spaces are trimmed and collapsed and the
    letters made capitals first; the length is checked on that; the service checks the
    format and whether the postcode exists.
    """

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label=label, required=False, **kwargs)

    def to_python(self, value: Any) -> str:
        return postcode_entered(super().to_python(value) or "")

    def validate(self, value: Any) -> None:
        super().validate(value)
        if len(value) > POSTCODE_MAX:
            raise forms.ValidationError(
                f"Enter a real postcode, like {EXAMPLE_POSTCODE}", code="max_length"
            )


class PlacementRecordForm(forms.Form):
    # The child
    child_choice = forms.ChoiceField(
        label="Which child are you placing?",
        choices=CHILD_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select which child you are placing"},
    )
    child = ChildChoiceField(
        label="Child",
        queryset=None,
        required=False,
        empty_label="Choose a child",
    )
    child_ref = _text(
        "903 CHILD id",
        max_length=10,
        help_text="Your council's id for the child in the SSDA903 return",
    )
    first_name = _text("First name", max_length=100)
    last_name = _text("Last name", max_length=100)
    date_of_birth = DateField(
        noun="child's date of birth",
        label="Date of birth",
        help_text="For example, 27 3 2012",
        required=False,
        require_all_fields=False,
    )
    sex = forms.ChoiceField(
        label="Sex", choices=Sex.choices, widget=forms.RadioSelect, required=False
    )

    # Where the child lives
    setting_choice = forms.ChoiceField(
        label="Where is the child living?",
        choices=SETTING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select where the child is living"},
    )
    setting = SettingChoiceField(
        label="Setting",
        queryset=None,
        required=False,
        empty_label="Choose a setting",
    )
    setting_name = _text("Name of the setting", max_length=200)
    setting_postcode = PostcodeField("Postcode of the setting")
    # No maxlength: a browser would cut a URN typed with spaces; the service checks it.
    setting_urn = _text(
        "Ofsted URN (optional)",
        help_text="The unique reference number on the setting's Ofsted registration, "
        "for example SC123456",
    )
    setting_sector = forms.ChoiceField(
        label="Sector",
        choices=Sector.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    setting_registered_places = forms.IntegerField(
        label="Registered places (optional)",
        required=False,
        min_value=1,
        max_value=999,
        help_text="How many children the setting is registered to look after",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Registered places must be a whole number, like 4",
            "min_value": "Registered places must be 1 or more",
            "max_value": "Registered places must be 999 or fewer",
        },
    )
    setting_provider = ProviderChoiceField(
        label="Provider (optional)",
        queryset=None,
        required=False,
        empty_label="Not on Sightline",
        help_text="The organisation that runs the setting. Its staff will see the children "
        "living there.",
    )

    # The placement
    start_date = DateField(
        noun="start date",
        label="Start date",
        help_text="For example, 6 1 2025",
        require_all_fields=False,
    )
    place_type = forms.ChoiceField(
        label="Placement type",
        help_text="The SSDA903 PLACE code",
        choices=[("", "Choose a placement type")]
        + [(code, f"{label} ({code})") for code, label in PLACE_CODES.items()],
        error_messages={"required": "Select the placement type"},
    )
    place_provider = forms.ChoiceField(
        label="Who provides the placement?",
        choices=[
            Choice(code, label, hint=f"SSDA903 PLACE_PROVIDER {code}")
            for code, label in PROVIDER_CODES.items()
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select who provides the placement"},
    )
    home_postcode = PostcodeField(
        "Child's home postcode (optional)",
        help_text="Where the child lived before coming into care. We use it to work out how "
        "far the setting is from home.",
    )
    is_emergency = forms.ChoiceField(
        label="Is this an emergency placement?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if this is an emergency placement"},
    )

    # What must be answered after each choice, and what to say when it is not. Answers under
    # the option not chosen are ignored, errors and all (the user may have typed there
    # before changing their mind).
    NEW_CHILD = {
        "child_ref": "Enter the child's 903 CHILD id",
        "first_name": "Enter the child's first name",
        "last_name": "Enter the child's last name",
        "date_of_birth": "Enter the child's date of birth",
        "sex": "Select the child's sex",
    }
    EXISTING_CHILD = {"child": "Select a child"}
    NEW_SETTING = {
        "setting_name": "Enter the name of the setting",
        "setting_postcode": "Enter the postcode of the setting",
        "setting_sector": "Select the sector",
    }
    NEW_SETTING_OPTIONAL = ("setting_urn", "setting_registered_places", "setting_provider")
    EXISTING_SETTING = {"setting": "Select a setting"}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children_for_new_placement(user=user)  # type: ignore[attr-defined]
        self.fields["setting"].queryset = settings_for_choice()  # type: ignore[attr-defined]
        self.fields["setting_provider"].queryset = providers_for_choice()  # type: ignore[attr-defined]
        self.fields["child"].error_messages["invalid_choice"] = "Select a child from the list"
        self.fields["setting"].error_messages["invalid_choice"] = "Select a setting from the list"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                ConditionalRadios(
                    "child_choice",
                    ConditionalQuestion(CHILD_CHOICES[0][1], Field.select("child")),
                    ConditionalQuestion(
                        CHILD_CHOICES[1][1],
                        Field.text("child_ref", field_width=10),
                        Field.text("first_name", field_width="two-thirds"),
                        Field.text("last_name", field_width="two-thirds"),
                        Field("date_of_birth"),
                        Field.radios("sex", inline=True),
                    ),
                ),
                legend="Child",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                ConditionalRadios(
                    "setting_choice",
                    ConditionalQuestion(SETTING_CHOICES[0][1], Field.select("setting")),
                    ConditionalQuestion(
                        SETTING_CHOICES[1][1],
                        Field.text("setting_name", field_width="two-thirds"),
                        Field.text("setting_postcode", field_width=10),
                        Field.text("setting_urn", field_width=10),
                        Field.radios("setting_sector"),
                        Field.text("setting_registered_places", field_width=3),
                        Field.select("setting_provider"),
                    ),
                ),
                legend="Setting",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                Field("start_date"),
                Field.select("place_type"),
                Field.radios("place_provider"),
                Field.text("home_postcode", field_width=10),
                Field.radios("is_emergency", inline=True),
                legend="Placement",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            HTML.p(
                "We will work out the host council, the police force and the distance "
                "from home from the postcodes."
            ),
            Submit("record", "Continue"),
        )

    def _require(self, messages: dict[str, str]) -> None:
        for name, message in messages.items():
            if name not in self.errors and not self.cleaned_data.get(name):
                self.add_error(name, message)

    def _ignore(self, names: Iterable[str]) -> None:
        for name in names:
            self.errors.pop(name, None)
            self.cleaned_data.pop(name, None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("child_choice") == EXISTING:
            self._ignore(self.NEW_CHILD)
            self._require(self.EXISTING_CHILD)
        elif data.get("child_choice") == NEW:
            self._ignore(self.EXISTING_CHILD)
            self._require(self.NEW_CHILD)
        if data.get("setting_choice") == EXISTING:
            self._ignore([*self.NEW_SETTING, *self.NEW_SETTING_OPTIONAL])
            self._require(self.EXISTING_SETTING)
        elif data.get("setting_choice") == NEW:
            self._ignore(self.EXISTING_SETTING)
            self._require(self.NEW_SETTING)
        return data


class PlacementEndForm(forms.Form):
    """When the child left the placement."""

    end_date = DateField(
        noun="end date",
        label="When did the child leave?",
        help_text="For example, 27 3 2026",
        require_all_fields=False,
    )

    def __init__(self, *args: Any, start_date: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_date = start_date
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            # One question on the page: its legend is the page heading.
            Field(
                "end_date",
                context={"legend_size": Size.for_legend(Size.LARGE), "legend_tag": "h1"},
            ),
            Submit("end", "End placement"),
        )

    def clean_end_date(self) -> Any:
        end = self.cleaned_data["end_date"]
        if end is not None and end > today():
            raise forms.ValidationError("The end date must be today or in the past")
        return end


class ContactForm(forms.Form):
    """A contact's name, telephone number and e-mail address. Saving it, changed or not,
    confirms it is right (``placements.contacts``, which checks each field)."""

    name = forms.CharField(
        label="Name of the person or team",
        max_length=200,
        error_messages={"required": "Enter the name of the person or team"},
    )
    phone = forms.CharField(
        label="Telephone number",
        max_length=30,
        error_messages={"required": "Enter a telephone number"},
    )
    email = forms.CharField(label="Email address (optional)", max_length=254, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "off"})
        self.fields["email"].widget.attrs.update(
            {"type": "email", "autocomplete": "off", "spellcheck": "false"}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("name", field_width=30),
            Field.text("phone", field_width=20),
            Field.text("email", field_width=30),
            Submit("save", "Save and confirm"),
        )


# --- The decision after the matching check (issue 18 part 3, ADR 51) -------------------------

PROCEED_CHOICES = [("yes", "Go ahead with the placement"), ("no", "Do not go ahead")]
DIRECTOR_CHOICES = [("approved", "Approved"), ("not_approved", "Not approved")]


class ApproverChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.get_role_display()})"


class PlacementDecisionForm(LanguageCheckedFormMixin, forms.Form):
    """Whether to go ahead and why; the approver of a warning; for a distant placement, the
    director's approval and the host council's consultation. Only completeness is checked
    here: the service (``exploitation.matching``) holds the rules and names the answer. The
    free text goes through the appropriate-language checker, as the screening's does."""

    language_checked_fields = ("reasons", "consultation_outcome")

    proceed = forms.ChoiceField(
        label="Do you want to go ahead with this placement?",
        choices=PROCEED_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to go ahead with the placement"},
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        help_text="Say how the findings above were weighed, and what will keep the child safe.",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    approver = ApproverChoiceField(
        label="Approver",
        help_text="A team manager or nominated officer of your council who approves going "
        "ahead despite the warnings. Not you.",
        queryset=None,
        required=False,
        empty_label="Choose the approver",
    )
    director_name = _text("Director who decided", max_length=200)
    director_decided_on = DateField(
        noun="date the director decided",
        label="Date the director decided",
        help_text="For example, 27 3 2026",
        required=False,
        require_all_fields=False,
    )
    director_outcome = forms.ChoiceField(
        label="The director's decision",
        choices=DIRECTOR_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    consulted_with = _text("Who you consulted at the host council", max_length=200)
    consulted_on = DateField(
        noun="date the host council was consulted",
        label="Date of the consultation",
        help_text="For example, 27 3 2026",
        required=False,
        require_all_fields=False,
    )
    consultation_outcome = forms.CharField(
        label="What the host council said",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, approvers: Any, warnings: bool, distant: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approvers  # type: ignore[attr-defined]
        self.fields["approver"].error_messages["invalid_choice"] = (
            "Select a team manager or nominated officer of the placing council as the approver"
        )
        parts: list[Any] = []
        if distant:
            parts += [
                Fieldset(
                    Field.text("director_name", field_width="two-thirds"),
                    Field("director_decided_on"),
                    Field.radios("director_outcome", inline=True),
                    legend="The director's approval",
                    legend_size=Size.MEDIUM,
                    legend_tag="h2",
                ),
                Fieldset(
                    Field.text("consulted_with", field_width="two-thirds"),
                    Field("consulted_on"),
                    Field.textarea("consultation_outcome"),
                    legend="Consultation with the host council",
                    legend_size=Size.MEDIUM,
                    legend_tag="h2",
                ),
            ]
        else:
            for name in (
                "director_name",
                "director_decided_on",
                "director_outcome",
                "consulted_with",
                "consulted_on",
                "consultation_outcome",
            ):
                del self.fields[name]
        if warnings:
            parts.append(Field.select("approver"))
        else:
            del self.fields["approver"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("proceed", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("reasons"),
            *parts,
            Field.checkbox(LANGUAGE_CONFIRM_FIELD),
            Field(LANGUAGE_SEEN_FIELD),
            Submit("decide", "Record the decision"),
        )
