"""The chronology's forms: an entry (or a correction), the filters, and the audience of a
printed chronology.

The entry form checks that answers are complete and well formed and shows the
appropriate-language suggestions (``LanguageCheckedFormMixin``); the rules are the service's
(``services.chronology_entry_add``), and its messages are shown against the field they name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import (
    ConditionalQuestion,
    ConditionalRadios,
    Field,
    Fieldset,
    Layout,
    Size,
    Submit,
)
from django import forms
from django.http import QueryDict

from sightline.children.forms import DateField, DateRangeFilterForm
from sightline.chronology.models import EntryType, Significance
from sightline.chronology.selectors import ChronologyFilter
from sightline.chronology.services import AUDIENCE_MAX, TEXT_MAX
from sightline.language.forms import LANGUAGE_CONFIRM_FIELD, LANGUAGE_SEEN_FIELD
from sightline.missing.forms import ChildAgeMixin, TimeField, london_moment
from sightline.organisations.models import Organisation

EVERYONE, NAMED = "everyone", "named"

TYPE_HINTS: dict[str, str] = {
    EntryType.CONTACT: "A visit, call or meeting with the child or their family",
    EntryType.CONCERN: "Something that worries you about the child's safety or welfare",
    EntryType.MEETING: "A strategy meeting, review or multi-agency meeting",
    EntryType.DECISION: "A decision about the child, and who made it",
    EntryType.INFORMATION_SHARED: "Information passed to or received from another agency",
    EntryType.INTELLIGENCE_SUMMARY: "A summary of police or partner intelligence",
}


class EntryForm(ChildAgeMixin, forms.Form):
    language_checked_fields = ("text",)
    conditional_radios = frozenset({"visibility"})
    # The service's field names, as its messages name them, and the form's field that shows
    # each.
    field_errors = {"occurred_at": "occurred_date", "visible_to": "visible_to"}

    entry_type = forms.ChoiceField(
        label="Type of entry",
        choices=[
            Choice(value, label, hint=TYPE_HINTS[value]) for value, label in EntryType.choices
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of entry"},
    )
    occurred_date = DateField(
        noun="date of the event",
        label="Date of the event",
        help_text="When it happened, not when you are writing. For example, 2 2 2026",
        require_all_fields=False,
    )
    occurred_time = TimeField(
        noun="time of the event", label="Time of the event", help_text="For example, 2:30pm"
    )
    significance = forms.ChoiceField(
        label="How significant is it?",
        choices=[
            Choice(Significance.ROUTINE, "Routine"),
            Choice(Significance.SIGNIFICANT, "Significant", hint="Others should know soon"),
            Choice(
                Significance.CRITICAL,
                "Critical",
                hint="A risk of serious harm: others must act on it now",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how significant the event is"},
    )
    text = forms.CharField(
        label="What happened",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter what happened",
            "max_length": f"What happened must be {TEXT_MAX:,} characters or fewer",
        },
    )
    visibility = forms.ChoiceField(
        label="Who may read it?",
        choices=[
            (EVERYONE, "Every agency involved with the child"),
            (NAMED, "Only named organisations"),
        ],
        widget=forms.RadioSelect,
        initial=EVERYONE,
        error_messages={"required": "Select who may read the entry"},
    )
    visible_to = forms.MultipleChoiceField(
        label="Organisations that may read it",
        help_text="Your organisation always can. The others see that an entry exists, its "
        "date and whom to ask, never what it says.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select organisations from the list"},
    )

    def __init__(
        self,
        *args: Any,
        audience: list[Organisation],
        child_age: int | None = None,
        submit: str = "Add the entry",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        named: Any = self.fields["visible_to"]
        named.choices = [(str(o.pk), o.name) for o in audience]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("entry_type", legend_size=Size.MEDIUM, legend_tag="h2"),
            Fieldset(
                Field("occurred_date"),
                Field.text("occurred_time", field_width=10),
                legend="When it happened",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Field.radios("significance", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("text", rows=6),
            ConditionalRadios(
                "visibility",
                "Every agency involved with the child",
                ConditionalQuestion(
                    "Only named organisations", Field.checkboxes("visible_to", small=True)
                ),
            ),
            Field.checkbox(LANGUAGE_CONFIRM_FIELD),
            Field(LANGUAGE_SEEN_FIELD),
            Submit("save", submit),
        )

    @property
    def occurred_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("occurred_date"), self.cleaned_data.get("occurred_time")
        return london_moment(day, time) if day and time else None

    @property
    def restricted(self) -> bool:
        return self.cleaned_data.get("visibility") == NAMED

    @property
    def named(self) -> list[str]:
        return list(self.cleaned_data.get("visible_to") or ()) if self.restricted else []


class ChronologyFilterForm(DateRangeFilterForm):
    """A GET form: the filters live in the query string (bookmarkable, kept by the page
    links). Fixed choices and checked date parts only: the page reflects no free text."""

    agency = forms.MultipleChoiceField(
        label="Agencies",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select agencies from the list"},
    )
    kind = forms.MultipleChoiceField(
        label="Types of entry",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select types of entry from the list"},
    )
    significance = forms.MultipleChoiceField(
        label="Significance",
        choices=Significance.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select routine, significant or critical"},
    )

    def __init__(
        self,
        data: QueryDict,
        *args: Any,
        agencies: list[tuple[str, str]],
        kinds: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, *args, **kwargs)
        agency: Any = self.fields["agency"]
        agency.choices = agencies
        kind: Any = self.fields["kind"]
        kind.choices = list(kinds.items())
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(Field("since"), Field("until"), legend="Dates", legend_size=Size.SMALL),
            Field.checkboxes("agency", legend_size=Size.SMALL, small=True),
            Field.checkboxes("kind", legend_size=Size.SMALL, small=True),
            Field.checkboxes("significance", legend_size=Size.SMALL, small=True),
        )

    def chronology_filter(self) -> ChronologyFilter:
        """The filters that are valid: a field with an error is left out, not guessed."""
        self.is_valid()
        values = self.cleaned_data or {}
        return ChronologyFilter(
            agencies=frozenset(values.get("agency") or ()),
            kinds=frozenset(values.get("kind") or ()),
            significances=frozenset(values.get("significance") or ()),
            since=values.get("since"),
            until=values.get("until"),
        )

    @property
    def active(self) -> bool:
        return any(v for k, v in self.data.items() if k not in {"page", "audience"})


class AudienceForm(forms.Form):
    """Whom a printed chronology is for: asked before it is printed, kept on the audit
    (the rules are ``services.chronology_printed_record``'s)."""

    audience = forms.CharField(
        label="Who is this chronology for?",
        help_text="For example, strategy meeting on 8 December: Southwark Council, Greater "
        "Manchester Police, Brightwater Care. Sightline records it with the printing.",
        max_length=AUDIENCE_MAX,
        error_messages={
            "required": "Enter who the chronology is for",
            "max_length": f"Who the chronology is for must be {AUDIENCE_MAX} characters or fewer",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.text("audience"))
