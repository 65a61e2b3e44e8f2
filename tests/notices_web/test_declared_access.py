"""The notice pages and the placement actions declare their access rule."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from sightline.access.policy import Action, Rule


def patterns(module: str) -> list[URLPattern]:
    return __import__(module, fromlist=["urlpatterns"]).urlpatterns


@pytest.mark.parametrize(
    ("module", "name", "rule", "action"),
    [
        ("sightline.notifications.urls", "notice_inbox", Rule.SIGNED_IN, None),
        ("sightline.notifications.urls", "notice_detail", Rule.RECORD, Action.VIEW_NOTICE),
        (
            "sightline.notifications.urls",
            "notice_acknowledge",
            Rule.RECORD,
            Action.ACKNOWLEDGE_NOTICE,
        ),
        ("sightline.placements.urls", "compliance", Rule.SIGNED_IN, None),
        ("sightline.placements.urls", "placement_admission", Rule.CHILD, Action.VIEW),
        ("sightline.placements.urls", "placement_end", Rule.CHILD, Action.RECORD_PLACEMENT),
    ],
)
def test_view_declares_its_rule(module, name, rule, action):
    [pattern] = [p for p in patterns(module) if p.name == name]
    assert pattern.callback.sightline_access == (rule, action)


def test_every_notice_view_declares_a_rule():
    for pattern in patterns("sightline.notifications.urls"):
        assert hasattr(pattern.callback, "sightline_access"), pattern.name
