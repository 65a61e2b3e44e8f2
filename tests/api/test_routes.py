"""The API's routes come first in ``config/urls.py`` (issue 13: an API request no longer walks
past every page's pattern). That changes no answer only while nothing but the API is routed
under ``api/``: a page routed there would now be shadowed by the API's own 404."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def _routes(patterns, prefix: str = ""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            assert isinstance(pattern, URLPattern)
            yield route, pattern


def test_nothing_but_the_api_is_routed_under_api():
    routes = list(_routes(get_resolver().url_patterns))
    api = [route for route, _ in routes if route.startswith("api/v1/")]
    assert api  # the API is routed
    others = [route for route, _ in routes if not route.startswith("api/v1/")]
    assert not [route for route in others if route.startswith("api")]
    # No page's pattern starts with a converter or a regular expression that could take
    # "api/..." too.
    assert not [route for route in others if route.startswith(("<", "^"))]
