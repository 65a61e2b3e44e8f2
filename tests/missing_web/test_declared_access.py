"""Every missing page declares its access rule (the global test walks the whole URLconf)."""

from __future__ import annotations

import pytest

from sightline.access.policy import Action, Rule
from sightline.missing import urls

RULES = {
    "missing_now": (Rule.SIGNED_IN, None),
    "episode_list": (Rule.SIGNED_IN, None),
    "missing_settings": (Rule.SIGNED_IN, None),
    "task_list": (Rule.SIGNED_IN, None),
    "task_detail": (Rule.CHILD, Action.VIEW_TASK),
    "episode_new": (Rule.CHILD, Action.RECORD_EPISODE),
    "episode_detail": (Rule.CHILD, Action.VIEW_EPISODE),
    "episode_update_add": (Rule.CHILD, Action.RECORD_EPISODE),
    "episode_return": (Rule.CHILD, Action.RECORD_EPISODE),
    "safety_profile": (Rule.CHILD, Action.VIEW_SAFETY_PROFILE),
    "safety_profile_edit": (Rule.CHILD, Action.EDIT_SAFETY_PROFILE),
    "safety_profile_photo": (Rule.CHILD, Action.VIEW_SAFETY_PROFILE),
    "safety_profile_print": (Rule.CHILD, Action.VIEW_SAFETY_PROFILE),
    "safety_profile_pdf": (Rule.CHILD, Action.VIEW_SAFETY_PROFILE),
    "interview_list": (Rule.SIGNED_IN, None),
    "interview_detail": (Rule.CHILD, Action.VIEW_INTERVIEW),
    "interview_offer": (Rule.CHILD, Action.RECORD_INTERVIEW),
    "interview_accept": (Rule.CHILD, Action.RECORD_INTERVIEW),
    "interview_decline": (Rule.CHILD, Action.RECORD_INTERVIEW),
    "interview_complete": (Rule.CHILD, Action.RECORD_INTERVIEW),
    "interview_information": (Rule.CHILD, Action.ADD_INTERVIEW_INFORMATION),
}


@pytest.mark.parametrize(("name", "rule"), RULES.items())
def test_view_declares_its_rule(name, rule):
    [pattern] = [p for p in urls.urlpatterns if p.name == name]
    assert pattern.callback.sightline_access == rule


def test_every_missing_view_is_listed_here():
    assert {p.name for p in urls.urlpatterns} == set(RULES)
