"""Every page and API page that names children is a list read on the audit.

The walk: every routed page without a URL parameter (a page about one record has one) and
every API operation without a path parameter, requested by every user and API key of the
authorisation matrix's world. Whenever the answer names the world's child (its name, its 903
CHILD id or its Sightline id), that request must have written exactly one ``children listed``
event, by that user, naming the child; and a page that names no child writes none. A new list
page that forgets ``lists_children`` (or a new API list that is not ``Paged``) fails here
for the first user who can see the child in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sightline.api import main as api_main
from sightline.audit.models import AuditEvent, AuditListedChild
from sightline.audit.verbs import AuditVerb
from sightline.organisations.models import User
from tests import factories
from tests.security.world import SUBJECTS, SURNAME, Subject, World

pytestmark = pytest.mark.django_db

# Routes outside the walk: Django's admin (administrators only; see test_declarations).
EXEMPT_PREFIXES = ("admin/",)


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Any]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p, namespace


def list_pages() -> dict[str, Any]:
    """URL name -> view, for every web page without a URL parameter."""
    return {
        p.name: p.callback
        for route, p, namespace in _walk(get_resolver().url_patterns)
        if namespace != api_main.NAMESPACE
        and not p.pattern.converters
        and not route.startswith(EXEMPT_PREFIXES)
    }


def list_operations() -> list[str]:
    return sorted(
        path for method, path, _ in api_main.operations() if method == "GET" and "{" not in path
    )


# Every role of the organisations involved without a grant (and the interview service, which
# holds its interviews through one), and one role for every other kind of organisation and
# involvement: the roles that see lists, and a sample of those that should see none.
_STANDING = {"PLACING_COUNCIL", "HOST_COUNCIL", "HOST_POLICE", "PROVIDER"}


def _sample() -> list[Subject]:
    chosen: list[Subject] = []
    seen: set[tuple[str, Any]] = set()
    for s in SUBJECTS:
        key = (s.kind, s.involvement)
        name = s.involvement.name if s.involvement else ""
        interviews = s.kind == "provider" and name == "INTERVIEW_GRANT"
        if name in _STANDING or interviews or key not in seen:
            chosen.append(s)
        seen.add(key)
    return chosen


SAMPLE = _sample()


def _markers(world: World) -> list[str]:
    child = world.child
    return [SURNAME, child.child_ref, str(child.id), f"{child.first_name} {SURNAME[0]}"]


def _named(response: Any, world: World) -> bool:
    body = response.content.decode(errors="replace")
    return any(marker in body for marker in _markers(world))


def _check(request: Any, user: User, world: World, where: str) -> str | None:
    """Make the request inside a transaction that is undone; say what is wrong, if anything."""
    with transaction.atomic():
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        response = request()
        events = list(
            AuditEvent.objects.filter(seq__gt=last, verb=AuditVerb.CHILDREN_LISTED).order_by("seq")
        )
        named = {
            c
            for e in events
            for c in AuditListedChild.objects.filter(event=e).values_list("child_id", flat=True)
        }
        transaction.set_rollback(True)
    shown = response.status_code == 200 and _named(response, world)
    if len(events) > 1:
        return f"{where}: {len(events)} list-read events for one request (expected one)"
    if shown and not events:
        return f"{where}: names the child but wrote no list-read event"
    if shown and (events[0].user_id != user.pk or world.child.id not in named):
        return f"{where}: the list-read event does not name the child and the reader"
    if events and not shown:
        return f"{where}: wrote a list-read event but named no child"
    return None


def test_the_walk_finds_the_list_pages_and_operations() -> None:
    pages = list_pages()
    for name in (
        "home",
        "notice_inbox",
        "missing_now",
        "episode_list",
        "interview_list",
        "compliance",
        "placement_new",
        "map_placements",
        "map_force",
        "map_found",
        "your_tasks",
        "overdue_tasks",
        "panel_queue",
        "panel_view",
    ):
        assert getattr(pages[name], "sightline_lists_children", None), name
    assert list_operations() == [
        "/case-tasks",
        "/children",
        "/concerns",
        "/missing-episodes",
        "/missing-now",
        "/notices",
        "/panel-referrals",
        "/return-interviews",
        "/tasks",
        "/webhook-subscriptions",
    ]


@pytest.mark.parametrize("subject", SAMPLE, ids=[s.id for s in SAMPLE])
def test_every_page_naming_children_is_one_audited_list_read(
    matrix_world: World, subject: Subject
) -> None:
    user = matrix_world.users[subject]
    client = factories.signed_in(user)
    wrong = []
    for name in sorted(list_pages()):
        url = reverse(name)
        problem = _check(lambda url=url: client.get(url), user, matrix_world, name)  # type: ignore[misc]
        if problem:
            wrong.append(problem)
    if subject in matrix_world.keys:
        key = matrix_world.keys[subject]
        key_user = _key_user(key)
        api = Client(headers={"Authorization": f"Bearer {key}"})
        for path in list_operations():
            problem = _check(
                lambda path=path: api.get("/api/v1" + path),  # type: ignore[misc]
                key_user,
                matrix_world,
                f"GET {path}",
            )
            if problem:
                wrong.append(problem)
    assert wrong == []


def _key_user(key: str) -> User:
    from sightline.api.services import api_key_authenticate

    user = api_key_authenticate(token=key)
    assert user is not None
    return user


def test_the_walk_sees_the_child_on_every_declared_list_page(matrix_world: World) -> None:
    """The walk above proves something only if the world's child shows on each list page for
    someone: otherwise a page could skip the audit and pass for want of data."""
    declared = {
        n for n, view in list_pages().items() if getattr(view, "sightline_lists_children", None)
    }
    unseen = set(declared)
    for subject in SAMPLE:
        if not unseen:
            break
        client = factories.signed_in(matrix_world.users[subject])
        for name in sorted(unseen):
            with transaction.atomic():
                response = client.get(reverse(name))
                transaction.set_rollback(True)
            if response.status_code == 200 and _named(response, matrix_world):
                unseen.discard(name)
    assert unseen == set(), f"No user of the world sees the child on {sorted(unseen)}"
