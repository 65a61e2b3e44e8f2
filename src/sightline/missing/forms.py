"""Forms for missing and away episodes, safety profiles and return home interviews.

The forms check that answers are complete and well formed; the services check the rules,
and their messages are shown against the field they name. Every free-text field is checked
against the appropriate-language list before anything is saved
(``LanguageCheckedFormMixin``): flagged phrases come back with suggestions, and the user
changes the wording or confirms it.
"""

from __future__ import annotations

import datetime as dt
import re
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

from sightline.children.forms import DateField
from sightline.core.calendar import LONDON
from sightline.geography.models import Council, PoliceForce
from sightline.language.forms import (
    LANGUAGE_CONFIRM_FIELD,
    LANGUAGE_SEEN_FIELD,
    LanguageCheckedFormMixin,
)
from sightline.missing.models import (
    EpisodeKind,
    FoundBy,
    RiskGradeList,
    SafetyProfileVersion,
    UpdateKind,
)
from sightline.missing.services import PersonInput, PlaceInput

NOT_GRADED = "not_graded"
YES_NO = [("yes", "Yes"), ("no", "No")]
TEXT_MAX = 10_000

# Statutory guidance on children who run away or go missing from home or care (2014).
KIND_CHOICES = [
    Choice(
        EpisodeKind.MISSING.value,
        "Missing",
        hint="Not at the placement or where they are expected to be, and nobody knows "
        "where they are.",
    ),
    Choice(
        EpisodeKind.AWAY.value,
        "Away from placement without authorisation",
        hint="Not at the placement or where they are expected to be, but you know or "
        "believe you know where they are.",
    ),
]

# --- Times ---------------------------------------------------------------------------------

_TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*([ap])?\.?\s*(?:m\.?)?$")


def parse_time(text: str) -> dt.time | None:
    """A time as people type it: 21:30, 9:30pm, 9.30 pm, 9pm, midday, midnight."""
    value = " ".join(text.lower().split())
    if value in ("midday", "noon", "12 midday", "12 noon"):
        return dt.time(12, 0)
    if value in ("midnight", "12 midnight"):
        return dt.time(0, 0)
    match = _TIME.match(value)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = match.group(3)
    if half is None and match.group(2) is None:
        return None  # "9" alone: say am or pm, or give minutes
    if minute > 59:
        return None
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif hour > 23:
        return None
    return dt.time(hour, minute)


class TimeField(forms.CharField):
    """A time typed into a text input (the GOV.UK Design System has no time component)."""

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.noun = noun
        self.error_messages["required"] = f"Enter the {noun}"
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean(self, value: Any) -> dt.time | None:
        text = super().clean(value)
        if not text:
            return None
        parsed = parse_time(text)
        if parsed is None:
            raise forms.ValidationError(
                f"The {self.noun} must be a real time, like 9:30pm or 21:30", code="invalid"
            )
        return parsed


def london_moment(day: dt.date, time: dt.time) -> dt.datetime:
    """A date and a time as read on a clock in England."""
    return dt.datetime.combine(day, time, tzinfo=LONDON)


def _textarea(
    label: str,
    help_text: str = "",
    *,
    required: bool = False,
    rows: int = 3,
    required_message: str = "",
) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "max_length": f"{label.removesuffix(' (optional)')} must be {TEXT_MAX:,} characters "
            "or fewer",
            **({"required": required_message} if required_message else {}),
        },
    )


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _language_fields() -> list[Any]:
    """The confirmation box (a hidden input until there is something to confirm)."""
    return [Field.checkbox(LANGUAGE_CONFIRM_FIELD), Field(LANGUAGE_SEEN_FIELD)]


class _MomentMixin(forms.Form):
    """Combines a date field and a time field into one London time."""

    def moment(self, date_field: str, time_field: str) -> dt.datetime | None:
        day = self.cleaned_data.get(date_field)
        time = self.cleaned_data.get(time_field)
        if day is None or time is None:
            return None
        return london_moment(day, time)


class ChildAgeMixin(LanguageCheckedFormMixin):
    """Age-specific language advice ("sexually active" about a child under 13).

    ``conditional_radios``: radios built with ConditionalRadios number their options from 0,
    plain radios from 1; the error summary needs to know which to link to. ``field_errors``:
    which form field shows an error that a service reports against its own field name.
    """

    child_age: int | None = None
    conditional_radios: frozenset[str] = frozenset()
    field_errors: dict[str, str] = {}

    def language_child_age(self) -> int | None:
        return self.child_age


# --- Reporting an episode ------------------------------------------------------------------


class EpisodeReportForm(ChildAgeMixin, _MomentMixin, forms.Form):
    language_checked_fields = ("last_seen_place", "clothing", "circumstances")
    conditional_radios = frozenset({"reported_to_police"})

    kind = forms.ChoiceField(
        label="Is the child missing or away?",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the child is missing or away"},
    )
    last_seen_date = DateField(
        noun="date last seen",
        label="Date last seen",
        help_text="For example, 2 2 2026",
        require_all_fields=False,
    )
    last_seen_time = TimeField(
        noun="time last seen",
        label="Time last seen",
        help_text="For example, 9:30pm or 21:30",
    )
    last_seen_place = _textarea(
        "Where was the child last seen?",
        required=True,
        help_text="For example, leaving the home by the back gate",
        rows=2,
        required_message="Enter where the child was last seen",
    )
    clothing = _textarea(
        "What was the child wearing? (optional)",
        help_text="Clothes, shoes, bags and anything else that would help someone recognise them",
    )
    circumstances = _textarea(
        "What happened? (optional)",
        help_text="What happened before the child went, who they may be with, and anything "
        "that worries you",
        rows=5,
    )
    reported_to_police = forms.ChoiceField(
        label="Have you reported this to the police?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you have reported this to the police"},
    )
    police_reference = forms.CharField(
        label="Police reference (optional)", required=False, max_length=50
    )
    risk_grade = forms.ChoiceField(
        label="Police risk grade",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the police risk grade, or not graded yet"},
    )
    risk_grade_supplied_by = forms.CharField(
        label="Who gave the risk grade? (optional if not graded yet)",
        required=False,
        max_length=200,
        help_text="For example, PC 1234, Greater Manchester Police",
    )

    field_errors = {"last_seen_at": "last_seen_date"}

    def __init__(
        self, *args: Any, grade_list: RiskGradeList, child_age: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        grades = list(grade_list.grades.order_by("order"))
        choice_field(self, "risk_grade").choices = [
            *[Choice(g.code, g.label) for g in grades[:-1]],
            *[Choice(g.code, g.label, divider="or") for g in grades[-1:]],
            Choice(NOT_GRADED, "Not graded yet"),
        ]
        self.fields["risk_grade"].help_text = (
            f"From the list in force: {grade_list.name}, version {grade_list.version}. "
            "Sightline keeps the version with the grade."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field.radios("kind"),
                legend="Missing or away",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                Field("last_seen_date"),
                Field.text("last_seen_time", field_width=10),
                Field.textarea("last_seen_place", rows=2),
                Field.textarea("clothing", rows=3),
                Field.textarea("circumstances", rows=5),
                legend="Last seen",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                ConditionalRadios(
                    "reported_to_police",
                    ConditionalQuestion("Yes", Field.text("police_reference", field_width=20)),
                    "No",
                ),
                Field.radios("risk_grade"),
                Field.text("risk_grade_supplied_by", field_width="two-thirds"),
                legend="Police",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            *_language_fields(),
            HTML.p(
                "When you save, Sightline alerts the placing council, the host council and "
                "the police force for the area of the home at once. Alerts carry the child's "
                "first name and the first letter of their surname, never what you write here."
            ),
            Submit("report", "Report and send alerts"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reported_to_police") != "yes":
            data["police_reference"] = ""
        grade = data.get("risk_grade")
        # The rule is the service's (``episode_report``); said here too so that it is listed
        # with the form's other problems at once.
        if grade and grade != NOT_GRADED and not (data.get("risk_grade_supplied_by") or ""):
            self.add_error("risk_grade_supplied_by", "Enter who gave the risk grade")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        grade = data["risk_grade"]
        return {
            "kind": data["kind"],
            "last_seen_at": self.moment("last_seen_date", "last_seen_time"),
            "last_seen_place": data["last_seen_place"],
            "clothing": data.get("clothing") or "",
            "circumstances": data.get("circumstances") or "",
            "reported_to_police": data["reported_to_police"] == "yes",
            "police_reference": data.get("police_reference") or "",
            "risk_grade": None if grade == NOT_GRADED else grade,
            "risk_grade_supplied_by": ""
            if grade == NOT_GRADED
            else data.get("risk_grade_supplied_by") or "",
        }


# --- Updates -------------------------------------------------------------------------------


class EpisodeUpdateForm(ChildAgeMixin, _MomentMixin, forms.Form):
    """A sighting, a change of risk grade or information received: appended, never edited."""

    language_checked_fields = ("text",)
    conditional_radios = frozenset({"kind"})

    kind = forms.ChoiceField(
        label="What are you adding?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you are adding"},
    )
    risk_grade = forms.ChoiceField(label="New risk grade", required=False, widget=forms.RadioSelect)
    text = _textarea(
        "Details",
        help_text="For a sighting: where, when and who with. For a change of risk grade: why "
        "(optional).",
        rows=4,
    )
    supplied_by = forms.CharField(
        label="Who supplied this?",
        max_length=200,
        help_text="For example, PC 1234, Greater Manchester Police, or a carer at the home",
        error_messages={"required": "Enter who supplied this"},
    )
    supplied_date = DateField(
        noun="date it was supplied",
        label="Date supplied (optional)",
        help_text="For example, 2 2 2026",
        required=False,
        require_all_fields=False,
    )
    supplied_time = TimeField(
        noun="time it was supplied",
        label="Time supplied (optional)",
        help_text="For example, 9:30pm or 21:30",
        required=False,
    )

    field_errors = {"supplied_at": "supplied_date"}

    def __init__(
        self,
        *args: Any,
        grade_list: RiskGradeList | None,
        episode_open: bool,
        child_age: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        grades = list(grade_list.grades.order_by("order")) if grade_list else []
        choice_field(self, "risk_grade").choices = [Choice(g.code, g.label) for g in grades]
        if grade_list is not None:
            self.fields["risk_grade"].help_text = f"{grade_list.name}, version {grade_list.version}"
        self.helper = FormHelper()
        self.helper.form_tag = False
        if episode_open:
            choice_field(self, "kind").choices = [
                Choice(UpdateKind.SIGHTING.value, "A sighting"),
                Choice(UpdateKind.RISK_CHANGE.value, "A change of police risk grade"),
                Choice(UpdateKind.INFORMATION.value, "Information received"),
            ]
            kind_layout: Any = ConditionalRadios(
                "kind",
                "A sighting",
                ConditionalQuestion("A change of police risk grade", Field.radios("risk_grade")),
                "Information received",
            )
        else:
            # After the return only information can be added (the service says so if a page
            # opened before the return sends anything else).
            choice_field(self, "kind").choices = UpdateKind.choices
            self.fields["kind"].initial = UpdateKind.INFORMATION.value
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["text"].label = "Information received"
            self.fields["text"].help_text = ""
            kind_layout = Field("kind")
        self.helper.layout = Layout(
            kind_layout,
            Field.textarea("text", rows=4),
            Field.text("supplied_by", field_width="two-thirds"),
            HTML.p("Leave the date and time empty if it was supplied just now."),
            Field("supplied_date"),
            Field.text("supplied_time", field_width=10),
            *_language_fields(),
            Submit("add_update", "Add to the episode" if episode_open else "Add information"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == UpdateKind.RISK_CHANGE and not data.get("risk_grade"):
            self.add_error("risk_grade", "Select the new risk grade")
        if kind != UpdateKind.RISK_CHANGE:
            data["risk_grade"] = ""
            if kind and not data.get("text") and "text" not in self.errors:
                self.add_error("text", "Enter what was seen or learned")
        day, time = data.get("supplied_date"), data.get("supplied_time")
        if day is not None and time is None and "supplied_time" not in self.errors:
            self.add_error("supplied_time", "Enter the time it was supplied")
        if time is not None and day is None and "supplied_date" not in self.errors:
            self.add_error("supplied_date", "Enter the date it was supplied")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "text": data.get("text") or "",
            "risk_grade": data.get("risk_grade") or None,
            "supplied_by": data["supplied_by"],
            "supplied_at": self.moment("supplied_date", "supplied_time"),
        }


# --- The return ----------------------------------------------------------------------------


class CouncilChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Council) -> str:
        return obj.name


class PoliceForceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PoliceForce) -> str:
        return obj.name


class EpisodeReturnForm(ChildAgeMixin, _MomentMixin, forms.Form):
    language_checked_fields = ("place", "found_by_detail", "condition")
    conditional_radios = frozenset({"found_by"})

    returned_date = DateField(
        noun="date the child was found or returned",
        label="Date found or returned",
        help_text="For example, 3 2 2026",
        require_all_fields=False,
    )
    returned_time = TimeField(
        noun="time the child was found or returned",
        label="Time found or returned",
        help_text="For example, 9:30pm or 21:30",
    )
    where_postcode = forms.CharField(
        label="Postcode (optional)",
        required=False,
        max_length=10,
        help_text="Sightline works out the council and police force area from it",
    )
    place = _textarea(
        "Place (optional)",
        help_text="For example, the bus station, Piccadilly Gardens, Manchester",
        rows=2,
    )
    found_council = CouncilChoiceField(
        label="Council area (optional)",
        queryset=Council.objects.none(),
        required=False,
        empty_label="Not known",
        help_text="Only if there is no postcode and you know the area",
    )
    found_police_force = PoliceForceChoiceField(
        label="Police force area (optional)",
        queryset=PoliceForce.objects.none(),
        required=False,
        empty_label="Not known",
        help_text="Only if there is no postcode and you know the area",
    )
    found_by = forms.ChoiceField(
        label="Who found the child, or how did they return?",
        choices=FoundBy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who found the child or how they returned"},
    )
    found_by_detail = forms.CharField(label="Who was it?", required=False, max_length=200)
    condition = _textarea(
        "The child's condition on return (optional)",
        help_text="For example, injuries, signs of drink or drugs, hunger or tiredness",
        rows=4,
    )

    field_errors = {
        "returned_at": "returned_date",
        "where_postcode": "where_postcode",
        "found_by": "found_by",
    }

    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.fields["found_council"].queryset = Council.objects.filter(  # type: ignore[attr-defined]
            is_current=True
        ).order_by("name")
        self.fields["found_police_force"].queryset = PoliceForce.objects.order_by("name")  # type: ignore[attr-defined]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field("returned_date"),
                Field.text("returned_time", field_width=10),
                legend="When",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                HTML.p("Enter a postcode, a place, or both."),
                Field.text("where_postcode", field_width=10),
                Field.textarea("place", rows=2),
                Field.select("found_council"),
                Field.select("found_police_force"),
                legend="Where",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                ConditionalRadios(
                    "found_by",
                    *[
                        ConditionalQuestion(
                            label, Field.text("found_by_detail", field_width="two-thirds")
                        )
                        if value == FoundBy.OTHER
                        else label
                        for value, label in FoundBy.choices
                    ],
                ),
                Field.textarea("condition", rows=4),
                legend="Who and how",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            *_language_fields(),
            HTML.p(
                "When you save, Sightline sends a child safe notice to every organisation "
                "that was alerted, and creates the return home interview, due within 72 "
                "hours."
            ),
            Submit("record_return", "Record the return"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        no_place = not (data.get("where_postcode") or "").strip() and not data.get("place")
        if no_place and "where_postcode" not in self.errors:
            self.add_error(
                "where_postcode",
                "Enter where the child was found or returned to: a postcode or a place",
            )
        if data.get("found_by") == FoundBy.OTHER and not data.get("found_by_detail"):
            self.add_error("found_by_detail", "Enter who found the child")
        if data.get("found_by") != FoundBy.OTHER:
            data["found_by_detail"] = ""
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        postcode = (data.get("where_postcode") or "").strip()
        return {
            "returned_at": self.moment("returned_date", "returned_time"),
            "where_postcode": postcode,
            "place": data.get("place") or "",
            "found_by": data["found_by"],
            "found_by_detail": data.get("found_by_detail") or "",
            "condition": data.get("condition") or "",
            # A postcode says where; the areas chosen by hand count only without one.
            "found_council": None if postcode else data.get("found_council"),
            "found_police_force": None if postcode else data.get("found_police_force"),
        }


# --- Safety profile ------------------------------------------------------------------------

PROFILE_FIELDS: dict[str, tuple[str, str]] = {
    "description": (
        "Description",
        "Height, build, hair, eye colour, scars, tattoos and other marks",
    ),
    "associates": (
        "Associates",
        "People the child may be with: names, descriptions, where they live",
    ),
    "places_frequented": ("Places the child goes", "Addresses, areas, shops, transport hubs"),
    "phones_and_social_media": (
        "Phones and social media",
        "Phone numbers, and social media names or handles",
    ),
    "medical_needs": ("Medical needs", "Conditions, medication and when it is due"),
    "known_risks": ("Known risks", "What the child may be at risk of, and from whom"),
}


class SafetyProfileForm(ChildAgeMixin, forms.Form):
    """The Philomena Protocol profile. Each save that changes something is a new version."""

    language_checked_fields = tuple(PROFILE_FIELDS)

    description = _textarea(*PROFILE_FIELDS["description"])
    associates = _textarea(*PROFILE_FIELDS["associates"])
    places_frequented = _textarea(*PROFILE_FIELDS["places_frequented"])
    phones_and_social_media = _textarea(*PROFILE_FIELDS["phones_and_social_media"])
    medical_needs = _textarea(*PROFILE_FIELDS["medical_needs"])
    known_risks = _textarea(*PROFILE_FIELDS["known_risks"])
    photo = forms.FileField(
        label="Upload a new photo (optional)",
        required=False,
        help_text="A recent photo of the child's face, as a JPG or PNG, smaller than 10 MB",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    photo_taken_on = DateField(
        noun="date the photo was taken",
        label="Date the photo was taken (optional)",
        help_text="For example, 12 1 2026",
        required=False,
        require_all_fields=False,
    )
    remove_photo = forms.BooleanField(label="Remove the current photo", required=False)

    field_errors = {"photo": "photo"}

    def __init__(
        self,
        *args: Any,
        current: SafetyProfileVersion | None,
        child_age: int | None = None,
        **kwargs: Any,
    ) -> None:
        if current is not None:
            kwargs.setdefault("initial", {name: getattr(current, name) for name in PROFILE_FIELDS})
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        has_photo = bool(current and current.photo)
        if not has_photo:
            del self.fields["remove_photo"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *[Field.textarea(name, rows=3) for name in PROFILE_FIELDS],
            Fieldset(
                Field("photo"),
                Field("photo_taken_on"),
                *([Field.checkbox("remove_photo")] if has_photo else []),
                legend="Photo",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            *_language_fields(),
            Submit("save", "Save the safety profile"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("photo") and data.get("remove_photo"):
            self.add_error("remove_photo", "Either upload a new photo or remove it, not both")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data.get(name) or "" for name in PROFILE_FIELDS},
            "photo": data.get("photo") or None,
            "photo_taken_on": data.get("photo_taken_on"),
            "remove_photo": bool(data.get("remove_photo")),
        }


# --- Return home interviews ----------------------------------------------------------------


class InterviewDeclineForm(ChildAgeMixin, forms.Form):
    language_checked_fields = ("reason",)

    reason = _textarea(
        "Why did the child decline? (optional)",
        help_text="In the child's own words if you can. Carers and agencies can still add "
        "what they know.",
        rows=4,
    )

    field_errors = {"at": "reason", "status": "reason"}

    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("reason", rows=4),
            *_language_fields(),
            Submit("decline", "Record that the child declined"),
        )


PEOPLE = 3
PLACES = 3
FINDINGS: dict[str, tuple[str, str]] = {
    "child_words": (
        "The child's own words",
        "What the child said about the episode, as they said it. Shown first on the interview.",
    ),
    "push_factors": ("Push factors", "What made the child leave"),
    "pull_factors": ("Pull factors", "What drew the child away, and to whom"),
    "harm": ("Harm", "Any harm the child suffered or was at risk of while away"),
    "where_and_with_whom": ("Where and with whom", "Where the child went and who with"),
    "disclosures": ("Disclosures", "Anything the child disclosed"),
    "follow_up_actions": ("Follow-up actions", "What will happen next, and who will do it"),
}


class InterviewCompleteForm(ChildAgeMixin, _MomentMixin, forms.Form):
    language_checked_fields = (
        "not_independent_reason",
        *FINDINGS,
        *[
            f"person_{n}_{part}"
            for n in range(1, PEOPLE + 1)
            for part in ("description", "relationship")
        ],
        *[f"place_{n}_description" for n in range(1, PLACES + 1)],
    )
    conditional_radios = frozenset({"independent"})

    completed_date = DateField(
        noun="date of the interview",
        label="Date of the interview",
        help_text="For example, 4 2 2026",
        require_all_fields=False,
    )
    completed_time = TimeField(
        noun="time of the interview",
        label="Time of the interview",
        help_text="For example, 4pm or 16:00",
    )
    interviewer_name = forms.CharField(
        label="Who held the interview?",
        max_length=200,
        error_messages={"required": "Enter who held the interview"},
    )
    independent = forms.ChoiceField(
        label="Was the interviewer independent of the placement and the placing council?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if the interviewer was independent"},
    )
    not_independent_reason = _textarea(
        "Why not?",
        help_text="For example, the child asked for a trusted adult",
        rows=2,
    )

    field_errors = {
        "at": "completed_date",
        "status": "completed_date",
        "interviewer": "interviewer_name",
        "not_independent_reason": "not_independent_reason",
        "people": "person_1_description",
        "places": "place_1_description",
    }

    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        for name, (label, hint) in FINDINGS.items():
            self.fields[name] = _textarea(f"{label} (optional)", help_text=hint, rows=4)
        person_layout = []
        for n in range(1, PEOPLE + 1):
            self.fields[f"person_{n}_description"] = forms.CharField(
                label="Name or description", required=False, max_length=200
            )
            self.fields[f"person_{n}_relationship"] = forms.CharField(
                label="Relationship to the child",
                required=False,
                max_length=100,
                help_text="For example, friend, older man met online, relative",
            )
            self.fields[f"person_{n}_age"] = forms.CharField(
                label="Approximate age", required=False, max_length=30
            )
            person_layout.append(
                Fieldset(
                    Field.text(f"person_{n}_description", field_width="two-thirds"),
                    Field.text(f"person_{n}_relationship", field_width="two-thirds"),
                    Field.text(f"person_{n}_age", field_width=10),
                    legend=f"Person {n} (optional)",
                    legend_size=Size.SMALL,
                )
            )
        place_layout = []
        for n in range(1, PLACES + 1):
            self.fields[f"place_{n}_description"] = forms.CharField(
                label="Description", required=False, max_length=200
            )
            self.fields[f"place_{n}_postcode"] = forms.CharField(
                label="Postcode (optional)", required=False, max_length=10
            )
            place_layout.append(
                Fieldset(
                    Field.text(f"place_{n}_description", field_width="two-thirds"),
                    Field.text(f"place_{n}_postcode", field_width=10),
                    legend=f"Place {n} (optional)",
                    legend_size=Size.SMALL,
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field("completed_date"),
                Field.text("completed_time", field_width=10),
                Field.text("interviewer_name", field_width="two-thirds"),
                ConditionalRadios(
                    "independent",
                    "Yes",
                    ConditionalQuestion("No", Field.textarea("not_independent_reason", rows=2)),
                ),
                legend="The interview",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                *[Field.textarea(name, rows=4) for name in FINDINGS],
                legend="What the child told you",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                HTML.p("People the child was with, or who are linked to the episode."),
                *person_layout,
                legend="People",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                HTML.p("Places the child went or was taken to."),
                *place_layout,
                legend="Places",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            *_language_fields(),
            Submit("complete", "Save the interview"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("independent") == "no" and not data.get("not_independent_reason"):
            self.add_error(
                "not_independent_reason",
                "Enter why the interviewer was not independent",
            )
        if data.get("independent") == "yes":
            data["not_independent_reason"] = ""
        for n in range(1, PEOPLE + 1):
            rest = data.get(f"person_{n}_relationship") or data.get(f"person_{n}_age")
            if rest and not data.get(f"person_{n}_description"):
                self.add_error(
                    f"person_{n}_description", f"Enter a name or description of person {n}"
                )
        for n in range(1, PLACES + 1):
            if data.get(f"place_{n}_postcode") and not data.get(f"place_{n}_description"):
                self.add_error(f"place_{n}_description", f"Describe place {n}")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        people = [
            PersonInput(
                description=data[f"person_{n}_description"],
                relationship=data.get(f"person_{n}_relationship") or "",
                approximate_age=data.get(f"person_{n}_age") or "",
            )
            for n in range(1, PEOPLE + 1)
            if data.get(f"person_{n}_description")
        ]
        places = [
            PlaceInput(
                description=data[f"place_{n}_description"],
                postcode=data.get(f"place_{n}_postcode") or "",
            )
            for n in range(1, PLACES + 1)
            if data.get(f"place_{n}_description")
        ]
        return {
            "completed_at": self.moment("completed_date", "completed_time"),
            "independent": data["independent"] == "yes",
            "interviewer_name": data["interviewer_name"],
            "not_independent_reason": data.get("not_independent_reason") or "",
            **{name: data.get(name) or "" for name in FINDINGS},
            "people": people,
            "places": places,
        }


class InterviewInformationForm(ChildAgeMixin, forms.Form):
    """What a carer or an agency knows, added at any time, even after a refusal."""

    language_checked_fields = ("text",)

    text = _textarea("Information", required=True, rows=4, required_message="Enter the information")
    supplied_by = forms.CharField(
        label="Who supplied it?",
        max_length=200,
        help_text="For example, a carer at the home, or the child's school",
        error_messages={"required": "Enter who supplied the information"},
    )

    field_errors = {"text": "text", "supplied_by": "supplied_by"}

    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("text", rows=4),
            Field.text("supplied_by", field_width="two-thirds"),
            *_language_fields(),
            Submit("add_information", "Add information", css_class="govuk-button--secondary"),
        )


# --- Tasks ---------------------------------------------------------------------------------


class TaskCompleteForm(ChildAgeMixin, forms.Form):
    """Close a task: what was done (or why it is no longer needed)."""

    language_checked_fields = ("outcome",)

    status = forms.ChoiceField(
        label="What happened?",
        choices=[
            ("done", "Done"),
            ("cancelled", "No longer needed"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the task is done or no longer needed"},
    )
    outcome = _textarea(
        "What was done, or why it is no longer needed",
        "For example, the date of the strategy discussion and what was agreed.",
        required=True,
        rows=5,
        required_message="Enter what was done, or why the task is no longer needed",
    )

    field_errors = {"status": "status", "outcome": "outcome"}

    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("status", legend_size=Size.MEDIUM),
            Field.textarea("outcome", rows=5),
            *_language_fields(),
            Submit("complete", "Close the task"),
        )


# --- Settings ------------------------------------------------------------------------------


def _whole_number(label: str, *, low: int, high: int, help_text: str = "") -> forms.IntegerField:
    noun = label.removeprefix("How many ").removesuffix("?")
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": f"Enter {noun}",
            "invalid": f"Enter {noun} as a whole number, like {low + 2}",
            "min_value": f"Enter {noun} from {low} to {high}",
            "max_value": f"Enter {noun} from {low} to {high}",
        },
    )


YES_NO = [("yes", "Yes"), ("no", "No")]


class CouncilMissingSettingsForm(forms.Form):
    """A council's triggers and who holds its return home interviews."""

    episodes = _whole_number(
        "How many episodes?",
        low=1,
        high=100,
        help_text="A strategy discussion is needed when a child has this many episodes ...",
    )
    days = _whole_number(
        "How many days?", low=1, high=366, help_text="... within this many days. Default: 3 in 30."
    )
    include_away = forms.ChoiceField(
        label="Count away episodes as well as missing ones?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether away episodes count"},
    )
    high_risk_task = forms.ChoiceField(
        label="Set a review task when the police grade a child high risk?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether a high risk grade sets a review task"},
    )
    exploitation_prompt = forms.ChoiceField(
        label="Prompt an exploitation screening when a child is found in another force area?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to prompt an exploitation screening"},
    )
    task_due_working_days = _whole_number(
        "How many working days to complete a task?",
        low=0,
        high=30,
        help_text="Working days in England, from when the task is set.",
    )
    service = forms.ChoiceField(
        label="Who holds your return home interviews?",
        help_text="Interviews should be held by someone independent of the child's placement.",
        error_messages={"required": "Select who holds your return home interviews"},
    )
    use_host_service_out_of_area = forms.ChoiceField(
        label="For children you place in another council's area, does that council's service "
        "hold the interview?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who holds interviews for children placed away"},
    )

    def __init__(self, *args: Any, services: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.ChoiceField)
        service.choices = [("", "Our own council"), *services]
        service.required = False
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field.text("episodes", field_width=4),
                Field.text("days", field_width=4),
                Field.radios("include_away", legend_size=Size.SMALL, inline=True),
                legend="When to set a strategy discussion",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.radios("high_risk_task", legend_size=Size.SMALL, inline=True),
                Field.radios("exploitation_prompt", legend_size=Size.SMALL, inline=True),
                Field.text("task_due_working_days", field_width=4),
                legend="Other tasks",
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.select("service"),
                Field.radios("use_host_service_out_of_area", legend_size=Size.SMALL, inline=True),
                legend="Return home interviews",
                legend_size=Size.MEDIUM,
            ),
            Submit("save", "Save settings"),
        )


class PoliceAlertSettingsForm(forms.Form):
    receives_away_alerts = forms.ChoiceField(
        label="Do you want alerts when a child is away from their placement?",
        help_text="Away means the child's whereabouts are known but they are not where they "
        "should be. You always get alerts for children who are missing, and for away episodes "
        "the home has reported to you.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you want alerts for children who are away"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("receives_away_alerts", legend_size=Size.MEDIUM),
            Submit("save", "Save settings"),
        )
