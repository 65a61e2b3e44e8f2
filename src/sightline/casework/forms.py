"""Forms for the child's tasks and strategy meetings. They check that answers are complete and
well formed; the services check the rules (duplicates, owners, involvement) and their messages
are shown against the field they name. Free text goes through the language checker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms
from django.http import QueryDict

from sightline.casework.models import CaseTaskKind, CaseTaskStatus
from sightline.children.forms import DateField
from sightline.language.forms import LANGUAGE_CONFIRM_FIELD, LANGUAGE_SEEN_FIELD
from sightline.missing.forms import ChildAgeMixin, TimeField, london_moment
from sightline.organisations.models import Organisation, Role, User

TEXT_MAX = 10_000
ACTION_ROWS = 5
ROLE_LABELS: dict[str, str] = {value: str(label) for value, label in Role.choices}
CONFIRM_DUPLICATE = "confirm_duplicate"


def person_label(person: User) -> str:
    name = person.get_full_name() or person.username
    role = ROLE_LABELS.get(person.role, "No role")
    org = person.organisation.name if person.organisation else "No organisation"
    return f"{name}, {role.lower()} — {org}"


def _language_fields() -> list[Any]:
    return [Field.checkbox(LANGUAGE_CONFIRM_FIELD), Field(LANGUAGE_SEEN_FIELD)]


def _text(label: str, *, required: bool, message: str = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "max_length": f"{label.removesuffix(' (optional)')} must be {TEXT_MAX:,} characters "
            "or fewer",
            **({"required": message} if message else {}),
        },
    )


def _owner_field(people: list[User], *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Who owns it?",
        help_text="A person in an agency involved with the child. Their agency owns the task.",
        choices=[("", "Choose a person")] + [(str(p.pk), person_label(p)) for p in people],
        required=required,
        error_messages={"required": "Choose who owns the task"},
    )


class CaseTaskForm(ChildAgeMixin, forms.Form):
    """Set a task for the child. A likely duplicate comes back with a box to confirm."""

    language_checked_fields = ("title", "detail")
    field_errors = {"organisation": "owner", "owner": "owner"}

    kind = forms.ChoiceField(
        label="What kind of task is it?",
        choices=[("", "Choose a kind"), *list(CaseTaskKind.choices)],
        error_messages={"required": "Choose what kind of task it is"},
    )
    title = forms.CharField(
        label="What needs to be done?",
        max_length=200,
        error_messages={
            "required": "Enter what needs to be done",
            "max_length": "What needs to be done must be 200 characters or fewer",
        },
    )
    detail = _text("More detail (optional)", required=False)
    due_date = DateField(noun="due date", label="Due date", help_text="For example, 27 3 2026")

    def __init__(self, *args: Any, people: list[User], child_age: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.people = {str(p.pk): p for p in people}
        self.fields["owner"] = _owner_field(people)
        self.fields[CONFIRM_DUPLICATE] = forms.BooleanField(
            label="It is a different task: save it anyway", required=False, widget=forms.HiddenInput
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.select("kind"),
            Field.text("title"),
            Field.textarea("detail", rows=3),
            Field.select("owner"),
            Field("due_date"),
            Field.checkbox(CONFIRM_DUPLICATE),
            *_language_fields(),
            Submit("save", "Save the task"),
        )

    def ask_to_confirm(self) -> None:
        """Show the box that confirms a likely duplicate, unticked."""
        self.fields[CONFIRM_DUPLICATE].widget = forms.CheckboxInput()
        data = QueryDict(mutable=True)
        data.update(self.data)
        data.pop(CONFIRM_DUPLICATE, None)
        self.data = data

    def owner(self) -> User:
        return self.people[self.cleaned_data["owner"]]


class CaseTaskStatusForm(ChildAgeMixin, forms.Form):
    language_checked_fields = ("outcome",)

    status = forms.ChoiceField(
        label="What is the task's status now?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the task's status"},
    )
    outcome = _text(
        "What was done, or why it is no longer needed",
        required=False,
        rows=4,
    )

    def __init__(self, *args: Any, current: str, child_age: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [
            (value, label) for value, label in CaseTaskStatus.choices if value != current
        ]
        self.fields["outcome"].help_text = "Needed for done or cancelled."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("status", legend_size=Size.MEDIUM),
            Field.textarea("outcome", rows=4),
            *_language_fields(),
            Submit("update", "Update the task"),
        )


class MeetingForm(ChildAgeMixin, forms.Form):
    """Record a strategy meeting: when, who came, what was decided, the minutes, and up to
    five actions, each owned by a person in an involved agency."""

    language_checked_fields = (
        "decisions",
        "minutes",
        *(f"action_{n}_title" for n in range(ACTION_ROWS)),
    )

    held_date = DateField(
        noun="date of the meeting", label="Date", help_text="For example, 3 2 2026"
    )
    held_time = TimeField(noun="time of the meeting", label="Time", help_text="For example, 10am")
    decisions = _text(
        "What did the meeting decide?", required=True, message="Enter what the meeting decided"
    )
    minutes = _text("Minutes (optional)", required=False, rows=8)

    def __init__(
        self,
        *args: Any,
        people: list[User],
        organisations: list[Organisation],
        child_age: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.people = {str(p.pk): p for p in people}
        self.organisations = {str(o.pk): o for o in organisations}
        self.fields["attendee_people"] = forms.MultipleChoiceField(
            label="Who came?",
            help_text="Each person came for their agency.",
            choices=[(str(p.pk), person_label(p)) for p in people],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        self.fields["attendee_organisations"] = forms.MultipleChoiceField(
            label="Agencies that came with nobody on Sightline (optional)",
            choices=[(str(o.pk), o.name) for o in organisations],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        rows = []
        for n in range(ACTION_ROWS):
            self.fields[f"action_{n}_title"] = forms.CharField(
                label="Action", max_length=200, required=False
            )
            self.fields[f"action_{n}_kind"] = forms.ChoiceField(
                label="Kind",
                choices=[("", "Choose a kind"), *list(CaseTaskKind.choices)],
                required=False,
            )
            self.fields[f"action_{n}_owner"] = _owner_field(people, required=False)
            self.fields[f"action_{n}_due"] = DateField(
                noun=f"due date of action {n + 1}", label="Due date", required=False
            )
            rows.append(
                Fieldset(
                    Field.text(f"action_{n}_title"),
                    Field.select(f"action_{n}_kind"),
                    Field.select(f"action_{n}_owner"),
                    Field(f"action_{n}_due"),
                    legend=f"Action {n + 1}",
                    legend_size=Size.SMALL,
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field("held_date"),
                Field.text("held_time", field_width=10),
                legend="When was it held?",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Field.checkboxes("attendee_people", legend_size=Size.MEDIUM),
            Field.checkboxes("attendee_organisations", legend_size=Size.SMALL),
            Field.textarea("decisions", rows=4),
            Field.textarea("minutes", rows=8),
            Fieldset(
                *rows,
                legend="Actions: each becomes a task",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            *_language_fields(),
            Submit("save", "Save the meeting"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("attendee_people") and not data.get("attendee_organisations"):
            self.add_error("attendee_people", "Choose who came to the meeting")
        for n in range(ACTION_ROWS):
            parts = [data.get(f"action_{n}_{p}") for p in ("title", "kind", "owner", "due")]
            if any(parts) and not all(parts):
                for part, value in zip(("title", "kind", "owner", "due"), parts, strict=True):
                    if not value:
                        what = {
                            "title": "what the action is",
                            "kind": "the kind of action",
                            "owner": "who owns the action",
                            "due": "the due date of the action",
                        }[part]
                        self.add_error(f"action_{n}_{part}", f"Enter {what} (action {n + 1})")
        return data

    def held_at(self) -> dt.datetime:
        return london_moment(self.cleaned_data["held_date"], self.cleaned_data["held_time"])

    def actions(self) -> list[dict[str, Any]]:
        found = []
        for n in range(ACTION_ROWS):
            title = self.cleaned_data.get(f"action_{n}_title")
            if title:
                found.append(
                    {
                        "title": title,
                        "kind": self.cleaned_data[f"action_{n}_kind"],
                        "owner": self.people[self.cleaned_data[f"action_{n}_owner"]],
                        "due_date": self.cleaned_data[f"action_{n}_due"],
                        "row": n,
                    }
                )
        return found
