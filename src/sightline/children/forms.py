"""Form fields for the child record, with GOV.UK Design System error wording."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from sightline.children.models import Child


class DateField(DateInputField):
    """A GOV.UK date input (day, month, year) whose errors name the date they are about.

    ``noun`` completes the sentences of the GOV.UK pattern: "Enter the {noun}",
    "The {noun} must be a real date".
    """

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.noun = noun
        self.error_messages["required"] = f"Enter the {noun}"
        self.error_messages["incomplete"] = f"Enter the {noun}"
        for sub, part in zip(self.fields, ("day", "month", "year"), strict=True):
            sub.error_messages["incomplete"] = f"The {noun} must include a {part}"
            sub.validators = []
            sub.widget.attrs["inputmode"] = "numeric"

    def clean(self, value: Any) -> dt.date | None:
        for sub in self.fields:
            sub.widget.errors = []
        if isinstance(value, list | tuple):
            value = [str(v).strip() if v is not None else v for v in value]
            for part in value:
                if part and not part.isdigit():
                    raise ValidationError(f"The {self.noun} must be a real date", code="invalid")
            if len(value) == 3 and value[2] and len(value[2]) != 4:
                raise ValidationError(
                    f"The year of the {self.noun} must include 4 numbers", code="invalid"
                )
        return super().clean(value)

    def compress(self, data_list: Any) -> dt.date | None:
        try:
            return super().compress(data_list)
        except ValidationError as exc:
            raise ValidationError(f"The {self.noun} must be a real date", code="invalid") from exc


class ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return f"{obj.full_name} (CHILD id {obj.child_ref})"


DATE_PARTS = ("-day", "-month", "-year")
_SHORT_NUMBER = re.compile(r"\d{1,4}")


class DateRangeFilterForm(forms.Form):
    """A GET filter's "From" and "To" dates (the record's timeline, who viewed a record).

    It echoes back only what it can check: a date part that is not a short number is dropped
    before the form sees it (ADR 18), and a "To" before the "From" is an error on "To"."""

    since = DateField(
        noun="from date",
        label="From",
        help_text="For example, 2 2 2026",
        required=False,
        require_all_fields=False,
    )
    until = DateField(
        noun="to date",
        label="To",
        help_text="For example, 27 3 2026",
        required=False,
        require_all_fields=False,
    )

    def __init__(self, data: QueryDict, *args: Any, **kwargs: Any) -> None:
        clean = data.copy()
        for name in ("since", "until"):
            for part in DATE_PARTS:
                value = clean.get(name + part, "").strip()
                if value and not _SHORT_NUMBER.fullmatch(value):
                    clean[name + part] = ""
        super().__init__(clean, *args, **kwargs)
        for name in ("since", "until"):
            self.fields[name].widget.widgets_names = list(DATE_PARTS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The to date must be the same as or after the from date")
        return cleaned
