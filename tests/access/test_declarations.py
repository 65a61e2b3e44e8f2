"""Every routed view declares its access rule; a new view without one fails here."""

from django.urls import URLPattern, URLResolver, get_resolver

from sightline.access.policy import POLICY, Action, Rule

# Django's admin checks is_staff itself and shows no child data outside the access policy
# except to administrators; it is the one routed area outside the declarations.
EXEMPT_PREFIXES = ("admin/",)


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _rule(callback):
    for target in (callback, getattr(callback, "view_class", None)):
        rule = getattr(target, "sightline_access", None)
        if rule is not None:
            return rule
    return None


def test_every_view_declares_an_access_rule():
    missing = [
        route
        for route, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(EXEMPT_PREFIXES) and _rule(callback) is None
    ]
    assert missing == [], f"Views without a declared access rule: {missing}"


def test_child_views_name_a_declared_action():
    for route, callback in _walk(get_resolver().url_patterns):
        rule = _rule(callback)
        if rule and rule[0] is Rule.CHILD:
            assert rule[1] in POLICY, route


def test_the_declaration_is_enforced_for_undeclared_views():
    # The check itself must be able to fail.
    def undeclared(request):
        return None

    assert _rule(undeclared) is None
    assert Action.VIEW in POLICY
