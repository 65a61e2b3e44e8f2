"""``LanguageCheckedFormMixin``: suggestions first, the user's wording saved when confirmed."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.template import Context, Template

from sightline.language.forms import (
    CONFIRM_LABEL,
    CONFIRM_MESSAGE,
    LANGUAGE_CONFIRM_FIELD,
    LANGUAGE_SEEN_FIELD,
    LANGUAGE_WARNING_CODE,
)
from tests.language.episode_form import FLAGGED, EpisodeForm, resubmit, submit


def test_clean_text_is_valid_first_time():
    form = submit({"circumstances": "She went missing at 21:00 and was found at 23:10."})
    assert form.is_valid()
    assert form.language_flags == {}
    assert form.language_warning is False


def test_first_submission_shows_the_suggestions_against_the_field():
    form = submit({"circumstances": FLAGGED, "police_reference": "GMP-1"})
    assert not form.is_valid()
    assert form.language_warning is True
    assert [f.phrase_id for f in form.language_flags["circumstances"]] == [
        "absconded",
        "putting-themselves-at-risk",
    ]
    errors = form.errors.as_data()
    assert [e.code for e in errors["circumstances"]] == [LANGUAGE_WARNING_CODE] * 2
    assert form.errors["circumstances"] == [
        "“absconded”: consider “went missing, or was away from placement without "
        "authorisation”. 'Absconding' is a word for escaping custody and treats the child as "
        "an offender. The statutory guidance speaks of 'missing' and 'away from placement "
        "without authorisation'.",
        "“putting herself at risk”: consider “may have been groomed, or is at risk of being "
        "exploited”. It suggests the child is responsible for the harm. Children cannot "
        "protect themselves from adults who set out to exploit them.",
    ]
    assert form.errors[LANGUAGE_CONFIRM_FIELD] == [CONFIRM_MESSAGE]
    # Only language warnings: nothing else is wrong with the form.
    assert all(e.code == LANGUAGE_WARNING_CODE for es in errors.values() for e in es)


def test_confirming_saves_the_wording_and_returns_the_flags():
    first = submit({"circumstances": FLAGGED})
    second = resubmit(first, **{LANGUAGE_CONFIRM_FIELD: "on"})
    assert second.is_valid(), second.errors
    assert second.cleaned_data["circumstances"] == FLAGGED
    assert [f.phrase_id for f in second.language_flags["circumstances"]] == [
        "absconded",
        "putting-themselves-at-risk",
    ]
    assert second.language_warning is False


def test_not_ticking_the_box_shows_the_suggestions_again():
    first = submit({"circumstances": FLAGGED})
    second = resubmit(first)
    assert not second.is_valid()
    assert second.language_warning is True


def test_changing_the_wording_needs_no_confirmation():
    first = submit({"circumstances": FLAGGED})
    second = resubmit(first, circumstances="She went missing again; she may have been groomed.")
    assert second.is_valid(), second.errors
    assert second.language_flags == {}


def test_a_new_flagged_phrase_after_confirming_is_shown_before_saving():
    first = submit({"circumstances": FLAGGED})
    second = resubmit(
        first,
        **{LANGUAGE_CONFIRM_FIELD: "on", "clothing": "Dressed like a child prostitute."},
    )
    assert not second.is_valid()
    assert second.language_warning is True
    assert second[LANGUAGE_CONFIRM_FIELD].value() in (None, False)
    third = resubmit(second, **{LANGUAGE_CONFIRM_FIELD: "on"})
    assert third.is_valid(), third.errors
    assert set(third.language_flags) == {"circumstances", "clothing"}


def test_ticking_the_box_without_having_seen_the_suggestions_is_not_enough():
    form = submit({"circumstances": FLAGGED, LANGUAGE_CONFIRM_FIELD: "on"})
    assert not form.is_valid()
    assert form.language_warning is True


def test_moving_a_flagged_phrase_keeps_the_confirmation():
    first = submit({"circumstances": FLAGGED})
    second = resubmit(
        first,
        **{LANGUAGE_CONFIRM_FIELD: "on", "circumstances": "Update: " + FLAGGED.upper()},
    )
    assert second.is_valid(), second.errors


def test_other_errors_are_reported_alongside():
    form = submit({"clothing": "Streetwise clothes"})
    assert form.errors["circumstances"] == ["This field is required."]
    assert "clothing" in form.language_flags


def test_the_childs_age_changes_the_advice():
    form = submit({"circumstances": "She is sexually active."}, child_age=12)
    assert form.language_flags["circumstances"][0].suggestion == "raped"


def test_a_prefixed_form():
    data = QueryDict(mutable=True)
    data["ep-circumstances"] = FLAGGED
    first = EpisodeForm(data=data, prefix="ep")
    assert not first.is_valid()
    seen = first[LANGUAGE_SEEN_FIELD].value()
    assert seen
    second = EpisodeForm(
        data={"ep-circumstances": FLAGGED, "ep-language_confirmed": "on", "ep-language_seen": seen},
        prefix="ep",
    )
    assert second.is_valid(), second.errors


def render(form: EpisodeForm) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


def test_the_confirm_box_appears_only_when_there_is_something_to_confirm():
    blank = render(EpisodeForm())
    assert CONFIRM_LABEL not in blank
    assert 'type="hidden" name="language_confirmed"' in blank

    warned = render(submit({"circumstances": FLAGGED}))
    assert CONFIRM_LABEL in warned
    assert 'type="checkbox" name="language_confirmed"' in warned
    assert "checked" not in warned
    assert "govuk-checkboxes" in warned
    assert "putting herself at risk" in warned


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_text_is_not_checked(value: str):
    form = EpisodeForm(data={"circumstances": "Found safe.", "clothing": value})
    assert form.is_valid()
