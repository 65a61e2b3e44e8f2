"""Every routed view and every API operation declares its access rule; a new one without a
rule fails here."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

from sightline.access.policy import POLICY, Action, Rule
from sightline.api import main as api_main

# Django's admin checks is_staff itself and shows no child data outside the access policy
# except to administrators; it is the one routed area outside the declarations.
EXEMPT_PREFIXES = ("admin/",)


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p, namespace


def _rule(callback):
    for target in (callback, getattr(callback, "view_class", None)):
        rule = getattr(target, "sightline_access", None)
        if rule is not None:
            return rule
    return None


def _views():
    """Routed views outside the API, whose callbacks carry their rule."""
    for route, pattern, namespace in _walk(get_resolver().url_patterns):
        if namespace != api_main.NAMESPACE and not route.startswith(EXEMPT_PREFIXES):
            yield route, pattern.callback


def _api_routes():
    """Routes of the API. Ninja routes every operation through one view per path, so the
    rule is declared on each operation's function instead (checked below)."""
    for route, pattern, namespace in _walk(get_resolver().url_patterns):
        if namespace == api_main.NAMESPACE:
            yield route, pattern


def test_every_view_declares_an_access_rule():
    missing = [route for route, callback in _views() if _rule(callback) is None]
    assert missing == [], f"Views without a declared access rule: {missing}"


def test_child_views_name_a_declared_action():
    for route, callback in _views():
        rule = _rule(callback)
        if rule and rule[0] is Rule.CHILD:
            assert rule[1] in POLICY, route


def test_every_api_operation_declares_an_access_rule():
    rules = api_main.declared_rules()
    assert rules, "The API has no operations"
    missing = [f"{method} {path}" for (method, path), rule in rules.items() if rule is None]
    assert missing == [], f"API operations without a declared access rule: {missing}"
    for (method, path), (rule, action) in rules.items():
        assert isinstance(rule, Rule), f"{method} {path}"
        if rule is Rule.CHILD:
            assert action in POLICY, f"{method} {path}"


def test_every_api_route_is_a_declared_operation_or_public():
    """Nothing is routed under the API without going through the check above."""
    operations = {func.__name__: path for _, path, func in api_main.operations()}
    routes = list(_api_routes())
    assert len(routes) > len(api_main.PUBLIC_ROUTES), "The API is not routed"
    for route, pattern in routes:
        if pattern.name in api_main.PUBLIC_ROUTES:
            continue
        assert pattern.name in operations, f"API route {route} is not a known operation"
        expected = re.sub(r"\{(\w+)\}", r"<\1>", operations[pattern.name]).lstrip("/")
        assert route.endswith(expected), route


def test_the_declaration_is_enforced_for_undeclared_views():
    # The check itself must be able to fail.
    def undeclared(request):
        return None

    assert _rule(undeclared) is None
    assert Action.VIEW in POLICY
