"""The child record's filters: which entries of the timeline and which episodes to show.

A GET form (the filters live in the query string, so a filtered page can be bookmarked and the
pagination links keep them) that works without JavaScript. It echoes back only what it can
check: the kinds are fixed choices, and a date part that is not a number of up to four digits
is dropped before the form sees it, so the page (which is compressed) never reflects free
text a third party put in a link (ADR 18).
"""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size
from django import forms
from django.http import QueryDict

from sightline.children.forms import DateRangeFilterForm
from sightline.missing.models import EpisodeKind
from sightline.web.selectors import TIMELINE_KINDS, TimelineFilter


def _checked_only(data: QueryDict, *, views: bool) -> QueryDict:
    """The query string without the views of the record for a reader who may not see them
    (ignored, not an error); the date parts are checked by ``DateRangeFilterForm``."""
    clean = data.copy()
    if not views and "views" in clean.getlist("kind"):
        clean.setlist("kind", [k for k in clean.getlist("kind") if k != "views"])
    return clean


class RecordFilterForm(DateRangeFilterForm):
    kind = forms.MultipleChoiceField(
        label="Kinds of entry in the timeline",
        help_text="Leave all unticked to see every kind but the views, with each notice's "
        "delivery receipts folded under it.",
        choices=list(TIMELINE_KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        # Never the value given: the page would reflect a link's text (ADR 18).
        error_messages={"invalid_choice": "Select kinds of entry from the list"},
    )
    episode = forms.MultipleChoiceField(
        label="Episodes",
        help_text="Leave both unticked to see both.",
        choices=[(EpisodeKind.MISSING, "Missing"), (EpisodeKind.AWAY, "Away from placement")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select missing, away from placement or both"},
    )

    def __init__(self, data: QueryDict, *args: Any, views: bool = False, **kwargs: Any) -> None:
        """``views``: whether the reader may see who viewed the record (``VIEW_AUDIT``)."""
        super().__init__(_checked_only(data, views=views), *args, **kwargs)
        if not views:
            kinds: Any = self.fields["kind"]
            kinds.choices = [(k, v) for k, v in TIMELINE_KINDS.items() if k != "views"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                Field("since"),
                Field("until"),
                legend="Dates",
                legend_size=Size.SMALL,
            ),
            Field.checkboxes("kind", legend_size=Size.SMALL, small=True),
            Field.checkboxes("episode", legend_size=Size.SMALL, small=True),
        )

    def _valid(self) -> dict[str, Any]:
        """The filters that are valid: a field with an error is left out, not guessed."""
        self.is_valid()
        return self.cleaned_data or {}

    def timeline_filter(self) -> TimelineFilter:
        values = self._valid()
        return TimelineFilter(
            kinds=frozenset(values.get("kind") or ()),
            since=values.get("since"),
            until=values.get("until"),
        )

    def episode_kinds(self) -> list[str]:
        return list(self._valid().get("episode") or ())

    @property
    def active(self) -> bool:
        """Whether any filter narrows the page (to offer "Clear filters")."""
        return any(v for k, v in self.data.items() if k not in {"page", "episodes_page"})
