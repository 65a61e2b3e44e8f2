"""The authorisation matrix, generated from the access policy.

For every kind of organisation × role it may hold × involvement with the child (and no
involvement at all), and for every action in ``POLICY``: the policy functions, every routed
page and every API operation about one child allow exactly what ``POLICY`` declares, and a
denial looks like a child that does not exist.

Each page and operation is checked against the action its own ``declare`` names. A page or
operation about one child that this module cannot call fails ``test_every_child_route_is_in_
the_matrix``: add it to ``WEB_ROUTES`` or ``API_OPERATIONS``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

from sightline.access.models import AccessRecord
from sightline.access.policy import (
    ORGANISATION_POLICY,
    POLICY,
    Action,
    Involvement,
    Rule,
    access_child,
    children_visible_to,
    may,
    organisation_may,
    require,
    roles_that_may,
)
from sightline.api import main as api_main
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now
from sightline.exploitation.access import access_referral
from sightline.missing.access import access_episode, access_interview, access_task
from sightline.organisations.models import ROLES_BY_KIND, OrganisationKind, Role
from sightline.placements.services import placement_end
from tests import factories
from tests.security.world import KIND_INVOLVEMENTS, SUBJECTS, Subject, World

pytestmark = pytest.mark.django_db

ACTIONS = list(POLICY)

# --- The routes about one child, and how to call each ---------------------------------------

# Narrower checks some pages make on top of the declared action, stated here so that the
# matrix says exactly who gets through. Each returns whether the subject passes.
Narrowing = Callable[[Subject, World], bool]


def _holds_the_interview(subject: Subject, world: World) -> bool:
    """Recording an interview's progress: the interviewing service or the placing council
    (``missing.services._require_interviewer``)."""
    org = world.org(subject)
    return org.pk in (world.interview.service_id, world.placing.pk)


def _admits(subject: Subject, world: World) -> bool:
    """Recording an admission: the home's manager or staff (``can_record_admission``). The
    page declares ``VIEW``; only the provider of the current setting gets through."""
    return subject.involvement is Involvement.PROVIDER and subject.role in roles_that_may(
        Action.ADMIT, kind=subject.kind
    )


def _sits_on_the_panel(subject: Subject, world: World) -> bool:
    """A panel referral is its panel's (``access_referral``): the placing council's, here."""
    assert world.referral is not None
    return world.org(subject).pk == world.referral.panel_id


def _first_responder(subject: Subject, world: World) -> bool:
    """Only police forces and councils refer to the NRM (``NRM_FIRST_RESPONDER``)."""
    return subject.role in roles_that_may(Action.NRM_FIRST_RESPONDER, kind=subject.kind)


def _assigned_the_task(subject: Subject, world: World) -> bool:
    """A task is its assignee's (``task_for_user``)."""
    return world.org(subject).pk == world.task.assignee_id


def _wrote_the_entry(subject: Subject, world: World) -> bool:
    """A chronology entry is corrected by its source agency only
    (``chronology.services.chronology_entry_correctable``)."""
    assert world.entry is not None
    return world.org(subject).pk == world.entry.organisation_id


@dataclass(frozen=True)
class Call:
    method: str  # GET, or POST with ``data``: a valid form, so that the service decides
    narrowing: Narrowing | None = None
    data: dict[str, str] | None = None


WEB_ROUTES: dict[str, Call] = {
    "child_detail": Call("GET"),
    "episode_new": Call("GET"),
    "episode_detail": Call("GET"),
    "episode_update_add": Call(
        "POST", data={"kind": "information", "text": "Seen in town", "supplied_by": "Staff"}
    ),
    "episode_return": Call("GET"),
    "safety_profile": Call("GET"),
    "safety_profile_edit": Call("GET"),
    "safety_profile_photo": Call("GET"),
    "safety_profile_print": Call("GET"),
    # Printed by Chromium only for those allowed: a denial answers before it starts.
    "safety_profile_pdf": Call("GET"),
    "interview_detail": Call("GET"),
    "interview_offer": Call("POST", _holds_the_interview),
    "interview_accept": Call("POST", _holds_the_interview),
    "interview_decline": Call("GET", _holds_the_interview),
    "interview_complete": Call("GET", _holds_the_interview),
    "interview_information": Call(
        "POST", data={"text": "Came back hungry", "supplied_by": "A carer at the home"}
    ),
    # Issue 18: exploitation screening, the NRM and the MACE panel.
    "exploitation_child": Call("GET"),
    "screening_new": Call("GET"),
    "nrm_record": Call("GET", _first_responder),
    "panel_referral": Call("GET", _sits_on_the_panel),
    # Issue 18 part 2: the child's concerns and links, and linking a concern to the child.
    "child_concerns": Call("GET"),
    "concern_link_new": Call("GET"),
    "task_detail": Call("GET", _assigned_the_task),
    "child_audit": Call("GET"),
    "child_audit_csv": Call("GET"),
    "placement_admission": Call("GET", _admits),
    "placement_end": Call("GET"),
    # Issue 14: the social worker and team manager allocated in a placement.
    "placement_contact": Call("GET"),
    # chronology (issue 17): read, add, correct, print (asks the audience), PDF (without an
    # audience: sent to the page that asks it, before Chromium starts).
    "chronology": Call("GET"),
    "chronology_entry_new": Call("GET"),
    "chronology_entry_supersede": Call("GET", _wrote_the_entry),
    "chronology_print": Call("GET"),
    "chronology_pdf": Call("GET"),
    # Issue 17: the child's voice, plan and family (the parent's own view is public, by
    # signed link and code: tests/family/test_parent_view.py).
    "family_overview": Call("GET"),
    "family_statement_new": Call("GET"),
    "family_plan_new": Call("GET"),
    "family_parent_new": Call("GET"),
    "family_parent": Call("GET"),
    "family_parent_edit": Call("GET"),
    "family_parent_share": Call("GET"),
    "family_parent_invite": Call("GET"),
    "family_parent_invitation_end": Call("POST"),
    # casework (issue 17 part 2): the child's tasks and strategy meetings.
    "child_tasks": Call("GET"),
    "case_task_new": Call("GET"),
    "case_task_detail": Call("GET"),
    "meeting_new": Call("GET"),
    "meeting_detail": Call("GET"),
}

# Which record of the world each URL parameter names.
URL_RECORDS: dict[str, Callable[[World], Any]] = {
    "child_id": lambda w: w.child.id,
    "episode_id": lambda w: w.open_episode.id,
    "interview_id": lambda w: w.interview.id,
    "placement_id": lambda w: w.placement.id,
    "role": lambda w: "social_worker",
    "task_id": lambda w: w.task.id,
    "chronology_entry_id": lambda w: w.entry.id,
    "parent_id": lambda w: _family_parent(w).id,
    "case_task_id": lambda w: w.case_task.id,
    "meeting_id": lambda w: w.meeting.id,
    "referral_id": lambda w: w.referral.id if w.referral else None,
}


def _family_parent(world: World) -> Any:
    """A parent of the world's child (made once, in the world's transaction)."""
    from sightline.family.models import Parent

    parent, _ = Parent.objects.get_or_create(
        child=world.child,
        defaults={
            "name": "Matrix Parent",
            "relationship": "mother",
            "contact_preference": "email",
            "email": "matrix.parent@example.org",
            "organisation": world.placing,
            "recorded_by": next(
                u for s, u in world.users.items() if u.organisation_id == world.placing.pk
            ),
        },
    )
    return parent


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def _entry_body() -> dict[str, Any]:
    return {
        "entry_type": "contact",
        "significance": "routine",
        "occurred_at": _iso(now() - dt.timedelta(hours=1)),
        "text": "Spoke to the child on the phone",
    }


# API operations about one child: (method, path) -> a valid body for the world.
API_OPERATIONS: dict[tuple[str, str], Callable[[World], dict[str, Any] | None]] = {
    # Issue 18: exploitation screening and the NRM.
    ("GET", "/children/{child_id}/screenings"): lambda w: None,
    ("POST", "/children/{child_id}/screenings"): lambda w: {
        "indicators": [
            {"code": "online.secretive", "recency": "current", "source": "The home's log"}
        ],
        "learning_disability": False,
        "danger_statement": "Adults may be contacting the child online.",
        "safety_goal": "The child tells staff who they talk to online.",
    },
    ("POST", "/children/{child_id}/nrm-referrals"): lambda w: {
        "exploitation": "criminal",
        "referred_on": now().date().isoformat(),
    },
    # Issue 18 part 2: the child's concerns and links. The world's register is empty, so an
    # allowed key gets the operation's 422 ("no such concern"), anyone else 404.
    ("GET", "/children/{child_id}/concern-links"): lambda w: None,
    ("GET", "/children/{child_id}/links"): lambda w: None,
    ("POST", "/children/{child_id}/concern-links"): lambda w: {
        "concern_id": str(uuid.uuid4()),
        "source": "intelligence",
        "summary": "Seen with an adult near the station",
        "occurred_at": _iso(now() - dt.timedelta(days=1)),
    },
    # No referral waits for a decision in the world: allowed keys get the service's 422.
    ("POST", "/children/{child_id}/nrm-decisions"): lambda w: {
        "stage": "reasonable_grounds",
        "outcome": "positive",
        "decided_on": now().date().isoformat(),
    },
    ("GET", "/children/{child_id}"): lambda w: None,
    ("POST", "/missing-episodes"): lambda w: {
        "child_id": str(w.child.id),
        "kind": "missing",
        "last_seen_at": _iso(now() - dt.timedelta(hours=1)),
        "last_seen_place": "The park",
        "reported_to_police": True,
    },
    ("POST", "/missing-episodes/{episode_id}/updates"): lambda w: {
        "kind": "information",
        "text": "Seen near the station",
        "supplied_by": "Home staff",
    },
    ("POST", "/missing-episodes/{episode_id}/close"): lambda w: {
        "returned_at": _iso(now() - dt.timedelta(minutes=5)),
        "place": "Returned to the home",
        "found_by": "self",
    },
    # chronology (issue 17)
    ("GET", "/children/{child_id}/chronology"): lambda w: None,
    ("POST", "/children/{child_id}/chronology"): lambda w: _entry_body(),
    ("POST", "/chronology-entries/{chronology_entry_id}/supersede"): lambda w: _entry_body(),
    ("GET", "/missing-episodes/{episode_id}"): lambda w: None,
    ("GET", "/return-interviews/{interview_id}"): lambda w: None,
    ("POST", "/return-interviews/{interview_id}/offer"): lambda w: {},
    ("POST", "/return-interviews/{interview_id}/accept"): lambda w: {},
    ("POST", "/return-interviews/{interview_id}/decline"): lambda w: {"reason": "Asleep"},
    ("POST", "/return-interviews/{interview_id}/complete"): lambda w: {
        "completed_at": _iso(now() - dt.timedelta(minutes=1)),
        "interviewer_name": "An independent worker",
        "independent": True,
    },
    ("POST", "/return-interviews/{interview_id}/information"): lambda w: {
        "text": "Came back hungry",
        "supplied_by": "A carer at the home",
    },
    ("GET", "/tasks/{task_id}"): lambda w: None,
    ("POST", "/tasks/{task_id}/complete"): lambda w: {"outcome": "Discussed at the meeting"},
    ("POST", "/placements"): lambda w: {
        "child_id": str(w.child.id),
        "setting_id": str(w.setting.id),
        "start_date": now().date().isoformat(),
        "place_type": "K2",
        "place_provider": "PR4",
        "home_postcode": "SE1 2QH",
    },
    # The matching check alone and the decision not to go ahead (ADR 51, ADR 58).
    ("POST", "/placement-checks"): lambda w: {
        "child_id": str(w.child.id),
        "setting_id": str(w.setting.id),
        "start_date": now().date().isoformat(),
        "home_postcode": "SE1 2QH",
    },
    ("POST", "/placement-declines"): lambda w: {
        "child_id": str(w.child.id),
        "setting_id": str(w.setting.id),
        "start_date": now().date().isoformat(),
        "place_type": "K2",
        "home_postcode": "SE1 2QH",
        "reasons": "The home cannot meet the child's needs.",
    },
    # Issue 18: the panel moves its referral on (the placing council's panel's, here).
    ("POST", "/panel-referrals/{referral_id}/status"): lambda w: {"status": "listed"},
    # Issue 17.
    ("GET", "/children/{child_id}/statements"): lambda w: None,
    ("POST", "/children/{child_id}/statements"): lambda w: {
        "topic": "wishes",
        "occasion": "visit",
        "words": "I want to stay here",
        "said_at": _iso(now() - dt.timedelta(hours=1)),
        "said_to": "Key worker",
    },
    ("GET", "/children/{child_id}/plan"): lambda w: None,
    ("POST", "/children/{child_id}/plan"): lambda w: {
        "summary": "Stay at the home",
        "child_took_part": False,
    },
    ("GET", "/children/{child_id}/parents"): lambda w: None,
    ("POST", "/children/{child_id}/parents"): lambda w: {
        "name": "Matrix Parent",
        "relationship": "father",
        "contact_preference": "post",
    },
    # casework (issue 17 part 2)
    ("GET", "/children/{child_id}/tasks"): lambda w: None,
    ("GET", "/children/{child_id}/task-owners"): lambda w: None,
    ("POST", "/children/{child_id}/tasks"): lambda w: {
        "kind": "information",
        "title": "Share the return interview's findings",
        "owner_id": w.case_task.owner_id,
        "due_date": (now().date() + dt.timedelta(days=3)).isoformat(),
        "confirm_duplicate": True,
    },
    ("POST", "/children/{child_id}/meetings"): lambda w: {
        "held_at": _iso(now() - dt.timedelta(hours=1)),
        "decisions": "Keep the safety plan as it is.",
        "attendees": [{"organisation_id": str(w.placing.id)}],
    },
    ("POST", "/case-tasks/{case_task_id}/status"): lambda w: {"status": "in_progress"},
    ("POST", "/case-tasks/{case_task_id}/complete"): lambda w: {"outcome": "Visited today"},
}


def _owns_the_case_task(subject: Subject, world: World) -> bool:
    """A task moves on only in the organisation that owns it (``case_task_status_set``)."""
    return world.case_task is not None and world.org(subject).pk == world.case_task.organisation_id


# Narrower checks some operations make on top of the declared action, as for the pages.
API_NARROWING: dict[tuple[str, str], Narrowing] = {
    ("POST", "/panel-referrals/{referral_id}/status"): _sits_on_the_panel,
    ("POST", "/case-tasks/{case_task_id}/status"): _owns_the_case_task,
    ("POST", "/case-tasks/{case_task_id}/complete"): _owns_the_case_task,
    ("POST", "/return-interviews/{interview_id}/offer"): _holds_the_interview,
    ("POST", "/return-interviews/{interview_id}/accept"): _holds_the_interview,
    ("POST", "/return-interviews/{interview_id}/decline"): _holds_the_interview,
    ("POST", "/return-interviews/{interview_id}/complete"): _holds_the_interview,
    ("GET", "/tasks/{task_id}"): _assigned_the_task,
    ("POST", "/tasks/{task_id}/complete"): _assigned_the_task,
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Any]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p, namespace


def _declared(callback: Any) -> tuple[Rule, Action | None] | None:
    for target in (callback, getattr(callback, "view_class", None)):
        rule = getattr(target, "sightline_access", None)
        if rule is not None:
            return rule  # type: ignore[no-any-return]
    return None


def child_web_routes() -> dict[str, Action]:
    """Every routed page outside the API declared as one child's: URL name -> action."""
    found = {}
    for _, pattern, namespace in _walk(get_resolver().url_patterns):
        declared = _declared(pattern.callback)
        if namespace != api_main.NAMESPACE and declared and declared[0] is Rule.CHILD:
            assert declared[1] is not None
            found[pattern.name] = declared[1]
    return found


def child_api_operations() -> dict[tuple[str, str], Action]:
    """Every API operation about one child: declared CHILD, or naming a child action. A
    notice (``Rule.RECORD``) is checked in ``test_notices.py``; webhook subscriptions (an
    organisation's, ``ORGANISATION_POLICY``) in ``test_webhooks_matrix.py``."""
    found = {}
    for key, declared in api_main.declared_rules().items():
        if declared and declared[1] in POLICY and declared[0] is not Rule.RECORD:
            found[key] = declared[1]
    return found


WEB = child_web_routes()
API = child_api_operations()


def test_every_child_route_is_in_the_matrix() -> None:
    """A new page or API operation about one child fails here until the matrix calls it."""
    assert WEB, "No page declares a child action"
    assert sorted(set(WEB) - set(WEB_ROUTES)) == [], "Pages missing from WEB_ROUTES"
    assert sorted(set(WEB_ROUTES) - set(WEB)) == [], "WEB_ROUTES names pages that are gone"
    assert sorted(set(API) - set(API_OPERATIONS)) == [], "Operations missing from API_OPERATIONS"
    assert sorted(set(API_OPERATIONS) - set(API)) == [], "API_OPERATIONS names gone operations"


def test_the_matrix_covers_every_kind_role_and_involvement() -> None:
    assert set(KIND_INVOLVEMENTS) == set(OrganisationKind.values)
    assert set(ROLES_BY_KIND) == set(OrganisationKind.values)
    covered = {s.involvement for s in SUBJECTS} - {None}
    assert covered == set(Involvement), "An involvement no subject holds"
    assert {s.role for s in SUBJECTS} == set(Role.values)
    for action, by_role in POLICY.items():
        assert set(by_role) <= set(Role.values), action


# --- The policy functions -----------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name.lower() for a in ACTIONS])
@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_the_policy_allows_exactly_what_it_declares(
    matrix_world: World, subject: Subject, action: Action
) -> None:
    user = matrix_world.users[subject]
    child = matrix_world.child
    before = AccessRecord.objects.count()
    if subject.may(action):
        access = access_child(user, child.id, action=action, purpose="Authorisation matrix")
        assert access.involvements == {subject.involvement}
        assert require(user, child, action=action) == {subject.involvement}
        assert AccessRecord.objects.count() == before + 1
        return
    with pytest.raises(NotFoundOrNotAllowed) as denied:
        access_child(user, child.id, action=action, purpose="Authorisation matrix")
    with pytest.raises(NotFoundOrNotAllowed) as absent:
        access_child(user, uuid.uuid4(), action=action, purpose="Authorisation matrix")
    assert str(denied.value) == str(absent.value)
    with pytest.raises(NotFoundOrNotAllowed):
        require(user, child, action=action)
    assert AccessRecord.objects.count() == before


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_lists_show_the_child_exactly_when_the_policy_lets_the_role_view(
    matrix_world: World, subject: Subject
) -> None:
    visible = list(children_visible_to(matrix_world.users[subject]))
    assert visible == ([matrix_world.child] if subject.may(Action.VIEW) else [])


# --- Organisation-level rules --------------------------------------------------------------

ORGANISATION_ACTIONS = list(ORGANISATION_POLICY)


def test_every_action_has_a_rule_in_one_table_or_the_other() -> None:
    assert set(POLICY) | set(ORGANISATION_POLICY) == set(Action)
    for action, by_kind in ORGANISATION_POLICY.items():
        assert set(by_kind) <= set(OrganisationKind.values), action
        for roles in by_kind.values():
            assert roles <= set(Role.values), action


@pytest.mark.parametrize(
    "action", ORGANISATION_ACTIONS, ids=[a.name.lower() for a in ORGANISATION_ACTIONS]
)
@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_organisation_rules_allow_exactly_what_they_declare(
    matrix_world: World, subject: Subject, action: Action
) -> None:
    """Each role in each kind of organisation that holds it: allowed exactly when
    ``ORGANISATION_POLICY`` names the role for the kind, and never once the account is
    deactivated."""
    user = matrix_world.users[subject]
    declared = subject.role in ORGANISATION_POLICY[action].get(subject.kind, set())
    assert may(user, action) is declared
    assert organisation_may(user.organisation, action) is bool(
        ORGANISATION_POLICY[action].get(subject.kind)
    )
    gone = type(user).objects.get(pk=user.pk)  # the world's users are shared: not that one
    gone.is_active = False
    assert may(gone, action) is False


# --- Every page and every API operation ----------------------------------------------------


def _expected(subject: Subject, world: World, action: Action, call: Call | None) -> bool:
    allowed = subject.may(action)
    if allowed and call is not None and call.narrowing is not None:
        allowed = call.narrowing(subject, world)
    return allowed


def _web_url(world: World, name: str) -> str:
    pattern = next(p for _, p, _ in _walk(get_resolver().url_patterns) if p.name == name)
    kwargs = {k: URL_RECORDS[k](world) for k in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


def _assert_outcome(response: Any, allowed: bool, where: str) -> None:
    status = response.status_code
    if allowed:
        assert status < 500 and status not in (401, 403, 404), f"{where}: denied ({status})"
        if status == 302:
            assert "sign-in" not in response["Location"], f"{where}: sent to sign in"
    else:
        assert status == 404, f"{where}: expected 404 (not found or not allowed), got {status}"


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_each_page_allows_exactly_what_its_declared_action_allows(
    matrix_world: World, subject: Subject
) -> None:
    """Every page about one child, as one signed-in user; each request's writes undone."""
    client = factories.signed_in(matrix_world.users[subject])
    wrong = []
    for name, call in sorted(WEB_ROUTES.items()):
        url = _web_url(matrix_world, name)
        with transaction.atomic():
            if call.method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, call.data or {})
            transaction.set_rollback(True)
        allowed = _expected(subject, matrix_world, WEB[name], call)
        try:
            _assert_outcome(response, allowed, name)
        except AssertionError as exc:
            wrong.append(str(exc).splitlines()[0])
    assert wrong == []


def _api_call(world: World, subject: Subject, op: tuple[str, str]) -> Any:
    method, path = op
    params = {k: URL_RECORDS[k](world) for k in URL_RECORDS if f"{{{k}}}" in path}
    url = "/api/v1" + path.format(**params)
    client = Client()
    headers = {"Authorization": f"Bearer {world.keys[subject]}"}
    body = API_OPERATIONS[op](world)
    if method == "GET":
        return client.get(url, {"purpose": "Authorisation matrix"}, headers=headers)
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


KEYED = [s for s in SUBJECTS if s.role != Role.ADMINISTRATOR]  # a key never administers


@pytest.mark.parametrize("subject", KEYED, ids=[s.id for s in KEYED])
def test_each_api_operation_allows_exactly_what_its_declared_action_allows(
    matrix_world: World, subject: Subject
) -> None:
    """Every API operation about one child, with one key; each request's writes undone (one
    world per key rather than per operation and key: the same checks, a fraction of the
    time)."""
    wrong = []
    for op in sorted(API_OPERATIONS):
        with transaction.atomic():
            response = _api_call(matrix_world, subject, op)
            transaction.set_rollback(True)
        action = API[op]
        allowed = subject.may(action)
        narrowing = API_NARROWING.get(op)
        if allowed and narrowing is not None:
            allowed = narrowing(subject, matrix_world)
        rule, _ = api_main.declared_rules()[op] or (None, None)
        where = " ".join(op)
        try:
            if rule is Rule.SIGNED_IN and not allowed and subject.role not in POLICY[action]:
                # An operation open to some roles only answers 403 to the others, whatever the
                # record.
                assert response.status_code == 403, f"{where}: {response.status_code}"
            else:
                _assert_outcome(response, allowed, where)
        except AssertionError as exc:
            wrong.append(str(exc).splitlines()[0])
    assert wrong == []


def test_api_keys_exist_for_every_role_but_administrators(matrix_world: World) -> None:
    assert set(matrix_world.keys) == set(KEYED)


# --- Relationships change at once ----------------------------------------------------------

STANDING = (Involvement.HOST_COUNCIL, Involvement.HOST_POLICE, Involvement.PROVIDER)


def test_when_a_placement_ends_the_home_and_host_agencies_lose_access_on_their_next_request(
    matrix_world: World,
) -> None:
    w = matrix_world
    viewers = [s for s in SUBJECTS if s.may(Action.VIEW)]
    clients = {s: factories.signed_in(w.users[s]) for s in viewers}
    page = reverse("child_detail", args=[w.child.id])
    api = f"/api/v1/children/{w.child.id}"

    def api_status(s: Subject) -> int:
        headers = {"Authorization": f"Bearer {w.keys[s]}"}
        return int(Client().get(api, headers=headers).status_code)

    for s in viewers:
        assert clients[s].get(page).status_code == 200, s.id
        assert api_status(s) == 200, s.id
    placing = w.users[
        Subject(OrganisationKind.COUNCIL, Role.SOCIAL_WORKER, Involvement.PLACING_COUNCIL)
    ]
    placement_end(actor=placing, placement=w.placement, end_date=now().date())
    for s in viewers:
        expected = 404 if s.involvement in STANDING else 200
        assert clients[s].get(page).status_code == expected, s.id
        assert api_status(s) == expected, s.id
        assert (w.child in children_visible_to(w.users[s])) is (expected == 200), s.id


def test_a_new_placement_involves_the_new_host_agencies_at_once(matrix_world: World) -> None:
    """Placed again in Kent: Kent Council and Kent Police, involved with nobody before, see
    the child on their next request; Stockport and Greater Manchester Police no longer do."""
    w = matrix_world
    kent = Subject(OrganisationKind.COUNCIL, Role.MISSING_COORDINATOR, None)
    kent_police = Subject(OrganisationKind.POLICE, Role.POLICE_MISSING_OFFICER, None)
    stockport = Subject(
        OrganisationKind.COUNCIL, Role.MISSING_COORDINATOR, Involvement.HOST_COUNCIL
    )
    gmp = Subject(OrganisationKind.POLICE, Role.POLICE_MISSING_OFFICER, Involvement.HOST_POLICE)
    page = reverse("child_detail", args=[w.child.id])
    clients = {s: factories.signed_in(w.users[s]) for s in (kent, kent_police, stockport, gmp)}
    assert [clients[s].get(page).status_code for s in clients] == [404, 404, 200, 200]
    home = factories.setting(
        w.orgs[(OrganisationKind.PROVIDER, None)], postcode="CT1 2EH", name="Harbour Lodge"
    )
    placing = w.users[
        Subject(OrganisationKind.COUNCIL, Role.SOCIAL_WORKER, Involvement.PLACING_COUNCIL)
    ]
    factories.placement(w.child, home, start=now().date(), home_postcode="SE1 2QH", actor=placing)
    assert [clients[s].get(page).status_code for s in clients] == [200, 200, 404, 404]


def test_a_grant_that_has_ended_gives_no_access(matrix_world: World) -> None:
    from sightline.access.models import AccessGrant
    from sightline.access.policy import grant_end

    w = matrix_world
    subject = Subject(
        OrganisationKind.POLICE, Role.POLICE_MISSING_OFFICER, Involvement.MISSING_GRANT
    )
    client = factories.signed_in(w.users[subject])
    page = reverse("safety_profile", args=[w.child.id])
    assert client.get(page).status_code == 200
    for grant in AccessGrant.objects.filter(organisation=w.org(subject), child=w.child):
        grant_end(actor=None, grant=grant, ends_at=now() - dt.timedelta(seconds=1))
    assert client.get(page).status_code == 404
    assert list(children_visible_to(w.users[subject])) == []


def test_query_strings_do_not_widen_access(matrix_world: World) -> None:
    """The child's page ignores what a request claims about itself."""
    w = matrix_world
    outsider = Subject(OrganisationKind.COUNCIL, Role.SOCIAL_WORKER, None)
    client = factories.signed_in(w.users[outsider])
    page = reverse("child_detail", args=[w.child.id])
    query = urlencode({"purpose": "break glass", "involvement": "placing council"})
    assert client.get(f"{page}?{query}").status_code == 404


# --- The access function of each kind ------------------------------------------------------

KINDS: dict[str, tuple[Callable[..., Any], Action, Callable[[World], Any]]] = {
    "episode": (access_episode, Action.VIEW_EPISODE, lambda w: w.open_episode.id),
    "interview": (access_interview, Action.VIEW_INTERVIEW, lambda w: w.interview.id),
    "task": (access_task, Action.VIEW_TASK, lambda w: w.task.id),
    # Issue 18: a MACE panel referral, only for its panel's council.
    "referral": (
        access_referral,
        Action.MANAGE_REFERRAL,
        lambda w: w.referral.id if w.referral else None,
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_each_kinds_access_function_allows_exactly_what_the_policy_declares(
    matrix_world: World, subject: Subject, kind: str
) -> None:
    """Episodes, interviews, tasks and panel referrals: allowed exactly when ``POLICY``
    allows the kind's action (a task also only for its assignee, a referral only for its
    panel's council), recorded as one look; a denial is the same
    error as a record that does not exist, and records nothing."""
    resolve, action, ident = KINDS[kind]
    user = matrix_world.users[subject]
    allowed = subject.may(action)
    if kind == "task":
        allowed = allowed and _assigned_the_task(subject, matrix_world)
    if kind == "referral":
        allowed = allowed and _sits_on_the_panel(subject, matrix_world)
    before = AccessRecord.objects.count()
    if allowed:
        access = resolve(user, ident(matrix_world), purpose="Authorisation matrix")
        assert access.child == matrix_world.child
        assert access.involvements == {subject.involvement}
        assert AccessRecord.objects.count() == before + 1
        assert AccessRecord.objects.latest("at").action == str(action)
        return
    with pytest.raises(NotFoundOrNotAllowed) as denied:
        resolve(user, ident(matrix_world), purpose="Authorisation matrix")
    with pytest.raises(NotFoundOrNotAllowed) as absent:
        resolve(user, uuid.uuid4(), purpose="Authorisation matrix")
    assert str(denied.value) == str(absent.value)
    assert AccessRecord.objects.count() == before


# --- the register of concern (issue 18): who sees a person of concern -------------------


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_a_person_of_concern_is_seen_only_by_its_force_and_whom_it_shares_with(
    matrix_world: World, subject: Subject
) -> None:
    """A person of concern recorded by the host force and shared by its decision with the
    placing council: the access function and the page let a user see it exactly when the
    role may view the register (``ORGANISATION_POLICY``) and the organisation is the owner
    or the one shared with; a denial is the same error and page as no such person, and
    writes no audit event."""
    from sightline.audit.models import AuditEvent
    from sightline.exploitation.access import access_concern
    from sightline.exploitation.services import ConcernInput, concern_record, concern_share

    officer = matrix_world.users[
        Subject(OrganisationKind.POLICE, Role.POLICE_MISSING_OFFICER, Involvement.HOST_POLICE)
    ]
    user = matrix_world.users[subject]
    client = factories.signed_in(user)
    with transaction.atomic():
        person = concern_record(
            actor=officer, data=ConcernInput(kind="person", label="Older man called Dee")
        )
        concern_share(
            actor=officer,
            concern=person,
            organisation=matrix_world.placing,
            reason="The placing council's panel plans disruption",
        )
        allowed = may(user, Action.VIEW_CONCERNS) and user.organisation_id in (
            officer.organisation_id,
            matrix_world.placing.pk,
        )
        looks = AuditEvent.objects.count()
        page = client.get(reverse("concern_detail", args=[person.id]))
        if allowed:
            access = access_concern(user, person.id, purpose="Authorisation matrix")
            assert access.concern == person
            assert page.status_code == 200
            assert AuditEvent.objects.count() == looks + 2  # the page's look and this one
        else:
            with pytest.raises(NotFoundOrNotAllowed) as denied:
                access_concern(user, person.id, purpose="Authorisation matrix")
            with pytest.raises(NotFoundOrNotAllowed) as absent:
                access_concern(user, uuid.uuid4(), purpose="Authorisation matrix")
            assert str(denied.value) == str(absent.value)
            assert page.status_code == 404
            assert AuditEvent.objects.count() == looks
        transaction.set_rollback(True)


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_only_the_owning_forces_officers_end_a_sharing_decision(
    matrix_world: World, subject: Subject
) -> None:
    """The page that ends a decision to share a person of concern and its API operation
    (``POST /concerns/{concern_id}/shares/{share_id}/end``): a user gets through exactly when
    the role may decide the sharing (``SHARE_PERSON_OF_CONCERN``) and the organisation is the
    owner. Everyone else, the organisation shared with included, gets "not found" and the
    decision stands."""
    from sightline.exploitation.models import ConcernShare
    from sightline.exploitation.services import ConcernInput, concern_record, concern_share

    officer = matrix_world.users[
        Subject(OrganisationKind.POLICE, Role.POLICE_MISSING_OFFICER, Involvement.HOST_POLICE)
    ]
    user = matrix_world.users[subject]
    client = factories.signed_in(user)
    with transaction.atomic():
        person = concern_record(
            actor=officer, data=ConcernInput(kind="person", label="Older man called Dee")
        )
        share = concern_share(
            actor=officer,
            concern=person,
            organisation=matrix_world.placing,
            reason="The placing council's panel plans disruption",
        )
        allowed = (
            may(user, Action.SHARE_PERSON_OF_CONCERN)
            and user.organisation_id == officer.organisation_id
        )
        url = reverse("concern_share_end", args=[person.id, share.id])
        body = {"reason": "The disruption plan has ended"}
        assert client.get(url).status_code == (200 if allowed else 404)
        if subject in matrix_world.keys:
            with transaction.atomic():
                api = Client().post(
                    f"/api/v1/concerns/{person.id}/shares/{share.id}/end",
                    json.dumps(body),
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {matrix_world.keys[subject]}"},
                )
                transaction.set_rollback(True)
            assert api.status_code == (200 if allowed else 404), api.content
        assert client.post(url, body).status_code == (302 if allowed else 404)
        ended = ConcernShare.objects.get(pk=share.pk).ended_at is not None
        assert ended is allowed
        transaction.set_rollback(True)


# --- chronology (issue 17): who reads a restricted entry's text ----------------------------

RESTRICTED_TEXT = "Seen getting into a grey car with an older man near the station"


def _reads_the_restricted_text(subject: Subject, world: World) -> bool:
    """The entry is the police's of the area, marked for the placing council only."""
    assert world.entry is not None
    return world.org(subject).pk in (world.entry.organisation_id, world.placing.pk)


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_a_restricted_chronology_entry_shows_its_text_only_to_the_named_organisations(
    matrix_world: World, subject: Subject
) -> None:
    """Whoever may view the chronology sees that the entry exists, its date, its source
    agency and whom to ask; only the source agency and the named organisations read its text,
    on the page and through the API. Anyone else gets "not found", as for any child."""
    w = matrix_world
    page = factories.signed_in(w.users[subject]).get(reverse("chronology", args=[w.child.id]))
    html = page.content.decode()
    api = None
    if subject in w.keys:
        api = Client().get(
            f"/api/v1/children/{w.child.id}/chronology",
            headers={"Authorization": f"Bearer {w.keys[subject]}"},
        )
    if not subject.may(Action.VIEW_CHRONOLOGY):
        assert page.status_code == 404
        assert api is None or api.status_code == 404
        return
    assert page.status_code == 200
    reads = _reads_the_restricted_text(subject, w)
    assert (RESTRICTED_TEXT in html) is reads, subject.id
    assert ("An entry exists. Its text is shared with named organisations only" in html) is (
        not reads
    )
    if not reads:
        assert "Greater Manchester Police" in html  # the source agency and whom to ask
    if api is not None:
        assert api.status_code == 200
        (row,) = [r for r in api.json()["items"] if r["entry_id"] == str(w.entry.id)]
        assert (row["text"] == RESTRICTED_TEXT) is reads
        assert (row["text"] is None) is (not reads)
        assert bool(row["ask"]) is (not reads)
