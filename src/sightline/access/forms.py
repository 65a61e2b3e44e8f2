"""Forms for emergency access (break-glass) and its review. They parse input only: the rules
(what a reason must say, who may review) live in ``breakglass.py``, and the form shows the
service's message."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms
from django.http import QueryDict

from sightline.access.breakglass import JUSTIFICATION_EMPTY, JUSTIFICATION_MAX, NOTE_MAX
from sightline.access.models import ReviewOutcome
from sightline.audit.selectors import AUDIT_FILTER_KINDS
from sightline.children.forms import DateRangeFilterForm


class BreakGlassForm(forms.Form):
    justification = forms.CharField(
        label="Why do you need this child's record now?",
        help_text="Say what the emergency is and why it cannot wait for the council that placed "
        "the child, in at least 4 words. Your reason is shown to the senior officers who "
        "review it, not to your own organisation.",
        max_length=JUSTIFICATION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": JUSTIFICATION_EMPTY,
            "max_length": f"Your reason must be {JUSTIFICATION_MAX:,} characters or fewer",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("justification", rows=5),
            Submit("open", "Request emergency access", css_class="govuk-button--warning"),
        )


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Was the emergency access justified?",
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the emergency access was justified"},
    )
    note = forms.CharField(
        label="Note",
        help_text="What you checked and why you decided. It is kept with the record.",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter a note about your decision",
            "max_length": f"The note must be {NOTE_MAX:,} characters or fewer",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("outcome", legend_size=Size.MEDIUM),
            Field.textarea("note", rows=4),
            Submit("review", "Save the review"),
        )


class ChildAuditFilterForm(DateRangeFilterForm):
    """The who-viewed page's filters, in the query string (a GET form, so the pages keep them).

    It echoes back only what it can check, as the record's filters do: fixed choices, and a
    date part that is not a short number is dropped before the form sees it (ADR 18)."""

    organisation = forms.ChoiceField(
        label="Organisation",
        required=False,
        error_messages={"invalid_choice": "Select an organisation from the list"},
    )
    kind = forms.MultipleChoiceField(
        label="Kind of entry",
        help_text="Leave all unticked to see every kind.",
        choices=list(AUDIT_FILTER_KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select kinds of entry from the list"},
    )

    def __init__(self, data: QueryDict, *, organisations: list[tuple[Any, str]]) -> None:
        super().__init__(data)
        choice: Any = self.fields["organisation"]
        choice.choices = [("", "Every organisation")] + [(str(i), n) for i, n in organisations]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.select("organisation"),
            Field.checkboxes("kind", legend_size=Size.SMALL, small=True),
            Fieldset(Field("since"), Field("until"), legend="Dates", legend_size=Size.SMALL),
        )

    def filters(self) -> dict[str, Any]:
        """The valid filters (a field with an error is left out, not guessed)."""
        self.is_valid()
        values = self.cleaned_data or {}
        return {
            "organisation_id": values.get("organisation") or None,
            "kinds": values.get("kind") or (),
            "since": values.get("since"),
            "until": values.get("until"),
        }

    @property
    def active(self) -> bool:
        return any(v for k, v in self.data.items() if k != "page")
