"""An example form with checked free-text fields, and helpers to submit it as a browser does."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms

from sightline.language.forms import (
    LANGUAGE_CONFIRM_FIELD,
    LANGUAGE_SEEN_FIELD,
    LanguageCheckedFormMixin,
)


class EpisodeForm(LanguageCheckedFormMixin, forms.Form):
    language_checked_fields = ("circumstances", "clothing")

    circumstances = forms.CharField(widget=forms.Textarea)
    clothing = forms.CharField(required=False)
    police_reference = forms.CharField(required=False)

    def __init__(self, *args: Any, child_age: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.child_age = child_age
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("circumstances"),
            Field.text("clothing"),
            Field.text("police_reference"),
            Field.checkbox(LANGUAGE_CONFIRM_FIELD),
            Field(LANGUAGE_SEEN_FIELD),
        )

    def language_child_age(self) -> int | None:
        return self.child_age


FLAGGED = "She absconded again and is putting herself at risk."


def submit(data: dict[str, str], **kwargs: Any) -> EpisodeForm:
    form = EpisodeForm(data=data, **kwargs)
    form.is_valid()
    return form


def resubmit(form: EpisodeForm, **changes: str) -> EpisodeForm:
    """What the browser sends back: the form as rendered, with the user's changes."""
    data = {name: str(form[name].value() or "") for name in form.fields}
    data = {k: v for k, v in data.items() if v and v != "False"}
    data.update(changes)
    return submit(data)
