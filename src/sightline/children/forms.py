"""Form fields for the child record, with GOV.UK Design System error wording."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.exceptions import ValidationError

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
