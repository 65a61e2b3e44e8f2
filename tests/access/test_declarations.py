"""Every routed view and every API operation declares its access rule; a new one without a
rule fails here."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from sightline.access.declaring import access_kinds
from sightline.access.policy import ORGANISATION_POLICY, POLICY, Action, Rule, declare
from sightline.api import main as api_main
from sightline.api.access import declare_operation

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
        if rule and rule[0] is Rule.RECORD:
            assert rule[1] in POLICY or rule[1] in ORGANISATION_POLICY, route


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


# --- The declaration is enforced: a child view receives the record, never the id -----------

RESOLVED_RULES = (Rule.CHILD, Rule.RECORD)


def _not_resolving(route, pattern, callback):
    """Why a view declared about one record does not receive it resolved, or None."""
    kind = getattr(callback, "sightline_resolves", None)
    if kind is None:
        return f"{route}: declared {_rule(callback)[0]} but never receives a resolved record"
    kinds = access_kinds()
    if kind not in kinds:
        return f"{route}: resolves {kind!r}, which no app registered"
    if kinds[kind].param not in pattern.pattern.converters:
        return f"{route}: resolves {kind!r} but its URL has no {kinds[kind].param}"
    return None


def _resolution_failures(items):
    return [
        why
        for route, pattern, callback in items
        if (_rule(callback) or (None,))[0] in RESOLVED_RULES
        and (why := _not_resolving(route, pattern, callback)) is not None
    ]


def _routed():
    for route, pattern, namespace in _walk(get_resolver().url_patterns):
        if namespace != api_main.NAMESPACE and not route.startswith(EXEMPT_PREFIXES):
            yield route, pattern, pattern.callback


def test_every_child_view_receives_its_record_resolved_by_its_access_function():
    assert [r for r, _, c in _routed() if (_rule(c) or (None,))[0] in RESOLVED_RULES]
    assert _resolution_failures(_routed()) == []


def test_a_child_view_that_only_marks_itself_fails_the_check():
    """The old ``declare`` set an attribute and nothing else: such a view fails here."""

    def marked_only(request, child_id):
        return None

    marked_only.sightline_access = (Rule.CHILD, Action.VIEW)
    [(route, pattern, _)] = [(r, p, c) for r, p, c in _routed() if p.name == "child_detail"]
    assert _resolution_failures([(route, pattern, marked_only)]) != []
    # And a view declared properly passes.
    assert _resolution_failures([(route, pattern, pattern.callback)]) == []


def test_declare_refuses_a_child_view_that_cannot_take_the_record():
    def takes_the_id(request, child_id):
        return None

    with pytest.raises(TypeError):
        declare(Rule.CHILD, action=Action.VIEW)(takes_the_id)
    with pytest.raises(TypeError):
        declare_operation(Action.VIEW, purpose="Test")(takes_the_id)


def test_every_child_api_operation_receives_its_record_resolved():
    kinds = access_kinds()
    for method, path, func in api_main.operations():
        rule = getattr(func, "sightline_access", (None,))[0]
        if rule in RESOLVED_RULES:
            kind = getattr(func, "sightline_resolves", None)
            assert kind in kinds, f"{method} {path} never receives a resolved record"


def test_the_api_schema_still_names_the_path_parameter():
    """``declare_operation`` shows ninja the id in place of ``access``."""
    schema = api_main.api.get_openapi_schema()
    post = schema["paths"]["/api/v1/missing-episodes/{episode_id}/close"]["post"]
    assert [p["name"] for p in post["parameters"] if p["in"] == "path"] == ["episode_id"]
