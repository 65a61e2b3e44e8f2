"""Schemathesis against /api/v1/openapi.json, with the API keys of two unrelated councils and
of an analyst, whom the policy shows no child.

Manchester and Kent each place a child, each host a child placed by a third council (so each
has a notice in its inbox), and each has a child missing now. For every operation, Schemathesis
generates requests from the schema (valid and invalid) and sends each with each council's key:

* no answer is a server error, and every answer matches the schema (status, type, body);
* an answer without a key is 401 (``ignored_auth``);
* no 2xx answer carries the id of a record of the other council;
* the same request aimed at the other council's child, notice, episode or concern (a path
  parameter or a body field) is never 2xx; each council screened its own child (so its
  panel has a referral) and linked to it a person of concern its force shared (issue 18);
* with Manchester's analyst key, no 2xx answer names any child of either council (id, name or
  date of birth) or any missing episode, and no answer is a server error;
* Manchester's administrator key (which manages its webhook subscriptions) and each
  council's panel key (a team manager, who moves its panel's referrals on) are held to the
  same cross-organisation checks as the councils' keys.

Names the fuzzer writes into webhook addresses are never looked up (the resolver hook).

Bounded (a few examples per operation) so that it runs in well under a minute. Skipped where
schemathesis is not installed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections, transaction  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from sightline.api.services import api_key_create  # noqa: E402
from sightline.children.services import child_create  # noqa: E402
from sightline.chronology.services import chronology_entry_add  # noqa: E402
from sightline.core.timeutil import now  # noqa: E402
from sightline.exploitation.models import PanelReferral  # noqa: E402
from sightline.exploitation.services import (  # noqa: E402
    ConcernInput,
    IndicatorInput,
    concern_link,
    concern_record,
    concern_share,
    screening_record,
)
from sightline.missing.models import ReturnInterview, Task  # noqa: E402
from sightline.missing.services import (  # noqa: E402
    episode_close,
    episode_report,
    interviews_escalate_overdue,
)
from sightline.notifications.models import Delivery, Notice  # noqa: E402
from sightline.notifications.webhook_addresses import resolver_install  # noqa: E402
from sightline.notifications.webhooks import webhook_subscription_create  # noqa: E402
from sightline.organisations.models import Organisation, Role  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import seal_shared_world  # noqa: E402

# A few examples per operation keep the suite fast; set SIGHTLINE_FUZZ_EXAMPLES for a longer run.
MAX_EXAMPLES = int(os.environ.get("SIGHTLINE_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]
# Path parameters that name one organisation's records, and the body field that does.
RECORD_PARAMS = {
    "child_id": "children",
    "notice_id": "notices",
    "episode_id": "episodes",
    "chronology_entry_id": "entries",
    "interview_id": "interviews",
    "task_id": "tasks",
    "subscription_id": "subscriptions",
    "delivery_id": "deliveries",
    "concern_id": "concerns",
    "share_id": "shares",
    "referral_id": "referrals",
}
# Body fields that name one organisation's records (besides ``child_id``).
RECORD_FIELDS = {"child_id": "children", "concern_id": "concerns"}


@dataclass
class Tenant:
    org: Organisation
    key: str
    admin_key: str  # manages the webhook subscriptions; sees no child
    panel_key: str  # a team manager: sits on the council's MACE panel (moves referrals on)
    children: list[str]
    notices: list[str]
    episodes: list[str]
    entries: list[str]  # chronology entries about its own child (issue 17)
    interviews: list[str]
    tasks: list[str]
    subscriptions: list[str]
    deliveries: list[str]
    screenings: list[str]  # issue 18: its own child screened moderate, so panel referrals
    referrals: list[str]
    concerns: list[str]  # a person of concern shared with it, linked to its own child
    shares: list[str]  # the force's decision to share it (which only the force may end)

    @property
    def ids(self) -> set[str]:
        return {
            *self.children,
            *self.notices,
            *self.episodes,
            *self.entries,
            *self.interviews,
            *self.tasks,
            *self.subscriptions,
            *self.deliveries,
            *self.screenings,
            *self.referrals,
            *self.concerns,
            *self.shares,
        }


def _tenant(code: str, *, force: str, home_postcode: str, guest_from: str, ref: str) -> Tenant:
    """A council that places a child in its own area and hosts one placed by ``guest_from``;
    its own child went missing and came back (its return interview is overdue, which set the
    council a task), and is missing again now. Its partner system subscribes to missing
    alerts, so the alerts have webhook deliveries."""
    org = factories.council_org(code)
    admin = factories.user(org, Role.ADMINISTRATOR)
    subscription = webhook_subscription_create(
        actor=admin, name="Case system", url=f"http://127.0.0.1:9/{code}", kinds=["missing"]
    ).subscription
    provider = factories.provider_org(f"Provider {code}")
    home = factories.setting(provider, home_postcode)
    own = child_create(
        placing_council=factories.council(code),
        child_ref=f"{ref}1",
        first_name="Own",
        last_name=f"Child {code}",
        date_of_birth=dt.date(2011, 1, 1),
        sex="F",
    )
    guest = child_create(
        placing_council=factories.council(guest_from),
        child_ref=f"{ref}2",
        first_name="Guest",
        last_name=f"Child {code}",
        date_of_birth=dt.date(2012, 2, 2),
        sex="M",
    )
    factories.placement(own, home, home_postcode=home_postcode)
    factories.placement(guest, home, home_postcode="LS1 1UR")
    home_manager = factories.user(provider, Role.HOME_MANAGER)
    earlier = episode_report(
        actor=home_manager,
        child=own,
        kind="missing",
        last_seen_at=now() - dt.timedelta(days=5),
        last_seen_place="Near the home",
        reported_to_police=True,
    )
    episode_close(
        actor=home_manager,
        episode=earlier,
        returned_at=now() - dt.timedelta(days=4, hours=20),
        where_postcode=home_postcode,
        found_by="self",
    )
    interviews_escalate_overdue(now=now())
    episode = episode_report(
        actor=home_manager,
        child=own,
        kind="missing",
        last_seen_at=now() - dt.timedelta(hours=3),
        last_seen_place="Near the home",
        reported_to_police=True,
    )
    entry = chronology_entry_add(
        actor=factories.user(org, Role.SOCIAL_WORKER),
        child=own,
        entry_type="contact",
        significance="routine",
        occurred_at=now() - dt.timedelta(hours=1),
        text="Visited at the home",
    )
    worker = factories.user(org, Role.SOCIAL_WORKER)
    screening = screening_record(
        actor=worker,
        child=own,
        indicators=[IndicatorInput("criminal.drugs_cash", "current", "Police report")],
        danger_statement="Adults may be taking the child to other towns.",
        safety_goal="The child is home every night.",
        learning_disability=False,
    )
    # A person of concern, the force's and shared with this council by its decision (places,
    # vehicles and phones are one register open to every partner, so they are no one's).
    officer = factories.user(factories.police_org(force), Role.POLICE_MISSING_OFFICER)
    person = concern_record(
        actor=officer, data=ConcernInput(kind="person", label=f"Older man known to {ref}")
    )
    share = concern_share(
        actor=officer, concern=person, organisation=org, reason="The panel's plan"
    )
    concern_link(
        actor=worker,
        child=own,
        concern=person,
        source="intelligence",
        summary="Seen getting into the car",
        occurred_at=now() - dt.timedelta(hours=2),
    )
    _, key = api_key_create(organisation=org, role=Role.SOCIAL_WORKER, actor=None)
    _, admin_key = api_key_create(organisation=org, role=Role.ADMINISTRATOR, actor=None)
    _, panel_key = api_key_create(organisation=org, role=Role.TEAM_MANAGER, actor=None)

    def ids(rows) -> list[str]:
        return [str(pk) for pk in rows.values_list("id", flat=True)]

    return Tenant(
        org=org,
        key=key,
        admin_key=admin_key,
        panel_key=panel_key,
        children=[str(own.id), str(guest.id)],
        notices=ids(Notice.objects.filter(recipient=org)),
        episodes=[str(episode.id), str(earlier.id)],
        entries=[str(entry.id)],
        interviews=ids(ReturnInterview.objects.filter(child=own)),
        tasks=ids(Task.objects.filter(assignee=org)),
        subscriptions=[str(subscription.id)],
        deliveries=ids(Delivery.objects.filter(contact_point__subscription=subscription)),
        screenings=[str(screening.id)],
        referrals=ids(PanelReferral.objects.filter(child=own)),
        concerns=[str(person.id)],
        shares=[str(share.id)],
    )


@pytest.fixture(autouse=True)
def _no_name_resolves():
    """Webhook addresses the fuzzer writes are resolved through the code's resolver hook,
    which here answers nothing: no lookup leaves the machine."""

    def nothing(host: str, port: int) -> list:
        raise OSError("names are not resolved in this test")

    previous = resolver_install(nothing)
    yield
    resolver_install(previous)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, which closes the database connection at the
    start and end of each request; that would end the test's transaction on PostgreSQL.
    Django's own test client disconnects the same signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class World:
    tenants: tuple[Tenant, Tenant]
    analyst_key: str  # an analyst of Manchester: evidence only, never a child


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker) -> Iterator[World]:
    """One world for every operation, built once in a transaction rolled back when the module
    ends (as ``TestCase.setUpTestData`` does); each operation's test runs in a savepoint of its
    own, so what its examples write is undone before the next operation, as when each built
    its own world (which cost more than the fuzzing: about 1.5 s of the 4.5 s an operation)."""
    from sightline.geography.models import PoliceForce
    from sightline.geography.services import reference_data_load
    from sightline.missing.models import RiskGrade, RiskGradeList
    from sightline.missing.reference import risk_grade_lists_load

    with django_db_blocker.unblock(), transaction.atomic():
        # A transactional test elsewhere may have flushed the reference data.
        if not PoliceForce.objects.exists():
            reference_data_load()
        if not RiskGradeList.objects.exists():
            risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
        manchester = _tenant(
            "352", force="E23000005", home_postcode="M1 1AE", guest_from="383", ref="MANF"
        )
        kent = _tenant(
            "886", force="E23000032", home_postcode="CT1 2EH", guest_from="383", ref="KENF"
        )
        for tenant in (manchester, kent):
            assert tenant.notices and tenant.interviews and tenant.tasks and tenant.deliveries
            assert tenant.referrals
        _, analyst_key = api_key_create(organisation=manchester.org, role=Role.ANALYST, actor=None)
        seal_shared_world()
        yield World(tenants=(manchester, kent), analyst_key=analyst_key)
        transaction.set_rollback(True)


# What would name a child in an answer (a whole value, or a date-time's date): the ids of
# children and episodes, and the children's names and dates of birth as ``_tenant`` wrote them.
CHILD_WORDS = ("Own", "Guest", "Child 352", "Child 886", "2011-01-01", "2012-02-02")


# Loaded when the module is collected: the schema needs no database. (The lazy
# ``schemathesis.pytest.from_fixture`` loader does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _aimed_at(case, other: Tenant):
    """The same request, with every record id it names replaced by one of the other's."""
    changed = False
    for name, kind in RECORD_PARAMS.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = getattr(other, kind)[0]
            changed = True
    for name, kind in RECORD_FIELDS.items():
        if isinstance(case.body, dict) and name in case.body:
            case.body[name] = getattr(other, kind)[0]
            changed = True
    return changed


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_against_its_schema_with_two_organisations(case, world, db):
    tenants = world.tenants
    headers = {"Authorization": f"Bearer {world.analyst_key}"}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if 200 <= response.status_code < 300:
        named = {*CHILD_WORDS, *tenants[0].children, *tenants[0].episodes}
        named |= {*tenants[1].children, *tenants[1].episodes}
        values = set(_ids_in(response.text))
        shown = named & {part for value in values for part in (value, value[:10])}
        assert not shown, f"analyst: {case.method} {case.formatted_path}: {shown}"
    calls = [(tenants[1], tenants[0].key), (tenants[0], tenants[1].key)]
    if "/webhook-subscriptions" in case.path:  # all an administrator key can do
        calls.append((tenants[1], tenants[0].admin_key))
    if "/panel-referrals/" in case.path:  # a social worker does not sit on the panel
        calls += [(tenants[1], tenants[0].panel_key), (tenants[0], tenants[1].panel_key)]
    for other, key in calls:
        headers = {"Authorization": f"Bearer {key}"}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if 200 <= response.status_code < 300:
            leaked = other.ids & set(_ids_in(response.text))
            assert not leaked, f"{case.method} {case.formatted_path}: {leaked}"
        if _aimed_at(case, other):
            response = case.call(headers=headers)
            assert not 200 <= response.status_code < 300, (
                f"{case.method} {case.formatted_path} reached another organisation's record"
            )
            assert response.status_code < 500


def _ids_in(text: str):
    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif isinstance(node, str):
            yield node

    try:
        return walk(json.loads(text))
    except ValueError:
        return iter(())
