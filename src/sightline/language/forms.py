"""Show appropriate-language suggestions on a form before it is saved.

A form lists its free-text fields in ``language_checked_fields``. When the text has flagged
phrases, the first submission comes back with the suggestions, shown against each field, and a
box to tick: "I have read the suggestions and want to save my wording". Change the wording, or
tick the box, and the form is valid. The flags the user saved anyway are in
``form.language_flags``, to be kept with ``services.language_flags_record``::

    class EpisodeForm(LanguageCheckedFormMixin, forms.Form):
        language_checked_fields = ("circumstances",)
        circumstances = forms.CharField(widget=forms.Textarea)

    if form.is_valid():
        with transaction.atomic():
            episode = missing_episode_report(actor=user, ...)
            for field, flags in form.language_flags.items():
                language_flags_record(actor=user, record_kind="missing.episode",
                                      record_id=episode.pk, field=field, flags=flags)

With crispy forms, put ``Field.checkbox(LANGUAGE_CONFIRM_FIELD)`` after the checked fields:
the box is a hidden input until there is something to confirm.

The confirmation covers the suggestions the user was shown. Adding another flagged phrase
after ticking the box brings the suggestions back, with the box cleared.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from django import forms
from django.http import QueryDict

from sightline.language.checker import LANGUAGE_LIST_VERSION, Flag, check_text

LANGUAGE_CONFIRM_FIELD = "language_confirmed"
LANGUAGE_SEEN_FIELD = "language_seen"
LANGUAGE_WARNING_CODE = "language"
CONFIRM_LABEL = "I have read the suggestions and want to save my wording"
CONFIRM_MESSAGE = "Change the wording, or confirm that you want to save it as it is"


class LanguageCheckedFormMixin(forms.BaseForm):
    """Checks ``language_checked_fields`` against the phrase list when the form is cleaned."""

    language_checked_fields: ClassVar[tuple[str, ...]] = ()
    language_list_version: ClassVar[str] = LANGUAGE_LIST_VERSION

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[LANGUAGE_CONFIRM_FIELD] = forms.BooleanField(
            label=CONFIRM_LABEL, required=False, widget=forms.HiddenInput
        )
        self.fields[LANGUAGE_SEEN_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)
        # Field name -> the flags in it, filled in by clean().
        self.language_flags: dict[str, list[Flag]] = {}
        # True when this submission came back with suggestions to read.
        self.language_warning = False

    def language_child_age(self) -> int | None:
        """The child's age in whole years, if the form knows it: it changes some advice."""
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        data = self.cleaned_data if cleaned is None else cleaned
        child_age = self.language_child_age()
        self.language_flags = {}
        for name in self.language_checked_fields:
            value = data.get(name)
            if isinstance(value, str) and value:
                flags = check_text(
                    value, list_version=self.language_list_version, child_age=child_age
                )
                if flags:
                    self.language_flags[name] = flags
        if not self.language_flags:
            return data
        self.fields[LANGUAGE_CONFIRM_FIELD].widget = forms.CheckboxInput()
        seen = _digest(self.language_flags)
        if data.get(LANGUAGE_CONFIRM_FIELD) and data.get(LANGUAGE_SEEN_FIELD) == seen:
            return data
        self.language_warning = True
        self._language_set_data(LANGUAGE_SEEN_FIELD, seen)
        self._language_set_data(LANGUAGE_CONFIRM_FIELD, None)
        for name, flags in self.language_flags.items():
            for flag in flags:
                self.add_error(
                    name, forms.ValidationError(_message(flag), code=LANGUAGE_WARNING_CODE)
                )
        self.add_error(
            LANGUAGE_CONFIRM_FIELD,
            forms.ValidationError(CONFIRM_MESSAGE, code=LANGUAGE_WARNING_CODE),
        )
        return data

    def _language_set_data(self, name: str, value: str | None) -> None:
        """Change what the form shows when it is rendered again."""
        data: QueryDict | dict[str, Any] = (
            self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        )
        key = self.add_prefix(name)
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self.data = data


def _message(flag: Flag) -> str:
    matched = " ".join(flag.matched_text.split())
    return f"“{matched}”: consider “{flag.suggestion}”. {flag.reason}"


def _digest(flags: dict[str, list[Flag]]) -> str:
    """What the user was shown: the flagged phrases in each field, wherever they are."""
    shown = sorted(
        (name, f.list_version, f.phrase_id, " ".join(f.matched_text.casefold().split()))
        for name, found in flags.items()
        for f in found
    )
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16]
