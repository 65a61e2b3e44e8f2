"""Every page of the web app says who may use it (the lead's suite checks the whole URLconf)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from sightline.access.policy import Action, Rule
from sightline.web import views as web_views


def patterns(module: str) -> list[URLPattern]:
    return __import__(module, fromlist=["urlpatterns"]).urlpatterns


@pytest.mark.parametrize(
    ("module", "name", "rule", "action"),
    [
        ("sightline.web.urls", "home", Rule.SIGNED_IN, None),
        ("sightline.web.urls", "login", Rule.PUBLIC, None),
        ("sightline.web.urls", "logout", Rule.PUBLIC, None),
        ("sightline.web.urls", "child_detail", Rule.CHILD, Action.VIEW),
        ("sightline.placements.urls", "placement_new", Rule.SIGNED_IN, Action.RECORD_PLACEMENT),
    ],
)
def test_view_declares_its_rule(module, name, rule, action):
    [pattern] = [p for p in patterns(module) if p.name == name]
    assert pattern.callback.sightline_access == (rule, action)


def test_every_routed_view_declares_a_rule():
    for module in ("sightline.web.urls", "sightline.placements.urls"):
        for pattern in patterns(module):
            assert hasattr(pattern.callback, "sightline_access"), pattern.name


def test_error_handlers_declare_a_rule():
    for handler in (
        web_views.page_not_found,
        web_views.permission_denied,
        web_views.server_error,
    ):
        assert handler.sightline_access == (Rule.PUBLIC, None)
