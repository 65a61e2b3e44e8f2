"""The demo data set as loaded: calibrated, consistent, synthetic, usable by every sign-in.

Every test here only reads a loaded demo, so each seed is loaded once for the module (see
``loaded``); the tests that load, reload or refuse to load are in ``test_demo.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate

from sightline.access.policy import (
    POLICY,
    Action,
    children_visible_to,
    is_platform_operator,
    may,
)
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.timeutil import now, today
from sightline.geography.selectors import postcode_place
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Placement, Setting
from sightline.synth import names
from sightline.synth.demo import (
    DEFAULT_PASSWORD,
    PASSWORD_ENV,
    demo_load,
    format_sign_ins,
    format_summary,
    reference_date_for,
)

pytestmark = pytest.mark.django_db


def _share(values: list[bool]) -> float:
    return sum(values) / len(values)


# The day each seed was loaded: the tests compare with it, not with today, since a module's
# tests may run on past midnight.
LOADED_ON: dict[int, dt.date] = {}


@pytest.fixture(scope="module", params=[2019, 11], ids=["seed2019", "seed11"])
def loaded(request, django_db_setup, django_db_blocker, _pii_hooks):
    """The demo of one seed, loaded once for every test that only reads it (a load takes
    about 6 s of CPU; the module used to make 19 of them), in a transaction rolled back when
    the module is done with the seed; each test runs in a savepoint of its own, so what a
    test writes is undone before the next. Loaded with the default password, and its logs
    and e-mails held to the same personal-data check as each test's."""
    import os

    from django.db import transaction

    from tests.conftest import seal_shared_world
    from tests.security.pii import CAPTURE, findings

    password = os.environ.pop(PASSWORD_ENV, None)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            CAPTURE.clear()
            LOADED_ON[request.param] = today()
            summary = demo_load(seed=request.param)
            seal_shared_world()
            problems = findings([*CAPTURE.logs, *CAPTURE.mails], CAPTURE.children)
            CAPTURE.clear()
            assert not problems, problems[:10]
            yield summary
            transaction.set_rollback(True)
    finally:
        if password is not None:
            os.environ[PASSWORD_ENV] = password


# The tests of one seed only: the default seed, whose figures the README's tour quotes.
DEFAULT_SEED = pytest.mark.parametrize("loaded", [2019], ids=["seed2019"], indirect=True)


@DEFAULT_SEED
def test_child_refs_are_unique_and_marked_as_demo(loaded):
    refs = list(Child.objects.values_list("child_ref", flat=True))
    assert len(refs) == len(set(refs))
    assert all(re.fullmatch(r"DEMO\d{4}", ref) for ref in refs)


def test_calibrated_to_the_brief(loaded):
    summary = loaded

    assert 60 <= Child.objects.count() <= 120
    homes = list(Setting.objects.filter(place_type="K2"))
    assert 25 <= len(homes) <= 40
    assert all(1 <= home.registered_places <= 6 for home in homes)
    assert 3.2 <= sum(h.registered_places for h in homes) / len(homes) <= 4.0
    assert 0.78 <= _share([h.sector == "private" for h in homes]) <= 0.9

    in_homes = list(
        Placement.objects.filter(end_date__isnull=True, setting__place_type="K2").select_related(
            "child"
        )
    )
    assert 0.5 <= _share([p.out_of_area for p in in_homes]) <= 0.72
    assert 0.45 <= _share([p.child.sex == "M" for p in in_homes]) <= 0.65
    ref = summary.reference_date
    ages = [(ref - p.child.date_of_birth).days / 365.25 for p in in_homes]
    assert _share([12 <= age < 18 for age in ages]) >= 0.85
    assert 0.35 <= _share([age >= 16 for age in ages]) <= 0.6
    assert all(age >= 10 for age in ages)

    everything = list(Placement.objects.all())
    assert all(p.distance_miles is not None for p in everything)
    assert 0.1 <= _share([p.distance_miles > 20 for p in everything]) <= 0.3

    # Every home is in a real place: its council and force are its postcode's.
    for setting in Setting.objects.all():
        place = postcode_place(postcode=setting.postcode)
        assert (setting.council_id, setting.police_force_id) == (
            place.council.ons_code,
            place.police_force.code,
        )
    # Home postcodes of children lie in the council that placed them.
    for placement in Placement.objects.select_related("child"):
        place = postcode_place(postcode=placement.home_postcode)
        assert place.council.ons_code == placement.child.placing_council_id

    # The summary reports the same numbers the database holds.
    figures = {figure.measure: figure for figure in summary.calibration}
    assert figures["Children in homes placed outside their council"].achieved == pytest.approx(
        _share([p.out_of_area for p in in_homes])
    )


@DEFAULT_SEED
def test_geography_is_the_real_one(loaded):
    placing = set(Child.objects.values_list("placing_council__dfe_code", flat=True))
    assert {"356", "352", "357", "358", "353", "895", "830", "888", "341", "330", "210"} <= placing
    stockport_homes = Setting.objects.filter(place_type="K2", council__dfe_code="356")
    assert stockport_homes.count() >= 5
    # One organisation per council and per force involved, linked to it.
    for council_id in placing:
        org = Organisation.objects.get(council__dfe_code=council_id)
        assert org.kind == OrganisationKind.COUNCIL
        force = org.council.police_force
        assert Organisation.objects.get(police_force=force).kind == OrganisationKind.POLICE
    assert Organisation.objects.get(police_force__code="E23000005").name == (
        "Greater Manchester Police"
    )
    providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
    assert 3 <= providers.count() <= 4
    assert {"private", "voluntary", "council"} == set(
        Setting.objects.filter(place_type="K2").values_list("sector", flat=True)
    )


def test_placement_history_is_non_trivial_and_consistent(loaded):
    summary = loaded
    assert Placement.objects.filter(end_date__isnull=False).count() >= 10
    per_child = Counter(Placement.objects.values_list("child_id", flat=True))
    assert sum(1 for n in per_child.values() if n >= 2) >= 10
    assert any(n >= 3 for n in per_child.values())
    assert Child.objects.exclude(placements__end_date__isnull=True).exists()  # left care

    for child in Child.objects.prefetch_related("placements"):
        placements = sorted(child.placements.all(), key=lambda p: p.start_date)
        assert sum(1 for p in placements if p.end_date is None) <= 1
        for earlier, later in itertools.pairwise(placements):
            assert earlier.end_date is not None and earlier.end_date <= later.start_date
        for placement in placements:
            assert placement.start_date <= summary.reference_date
            assert placement.start_date >= child.date_of_birth
    # Dated to the day it was loaded (a module's tests may run on past midnight).
    assert summary.reference_date == reference_date_for(summary.seed) == LOADED_ON[summary.seed]
    # Nobody in a home has turned 18 by the reference date.
    for placement in Placement.objects.filter(end_date__isnull=True).select_related("child"):
        assert (summary.reference_date - placement.child.date_of_birth).days < 18 * 365


def test_missing_history_is_consistent_calibrated_and_quiet(loaded):
    """The history of missing and away episodes: ended before the reference date, inside
    their placements, one at a time; calibrated to the brief; and written without alerts or
    open interviews, so the worker has nothing to send or escalate when the demo starts."""
    from sightline.missing.models import (
        OUTSTANDING_INTERVIEW,
        Episode,
        InterviewStatus,
        ReturnInterview,
    )
    from sightline.notifications.models import Notice

    summary = loaded
    ref = summary.reference_date
    every = list(Episode.objects.select_related("child", "placement", "risk_grade"))
    assert summary.missing_episodes + summary.away_episodes == len(every)
    # A week in progress: some children are missing now, reported through the service.
    open_now = [e for e in every if e.returned_at is None]
    assert open_now
    episodes = [e for e in every if e.returned_at is not None]
    assert len(episodes) >= 150
    for episode in episodes:
        # Where the child was found, and (for missing episodes) the police's grade.
        assert episode.found_place
        assert (episode.risk_grade is not None) == (episode.missing_code == "M")
        assert episode.returned_at is not None and episode.closed_at == episode.returned_at
        assert episode.last_seen_at < episode.returned_at
        assert episode.mis_end is not None and episode.mis_end < ref
        placement = episode.placement
        assert placement.start_date <= episode.mis_start
        assert placement.end_date is None or episode.mis_end <= placement.end_date
        assert episode.host_council_id == placement.host_council_id
        assert (episode.kind, episode.missing_code) in {("missing", "M"), ("away", "A")}
    by_child: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_child.setdefault(str(episode.child_id), []).append(episode)
    for own in by_child.values():
        own.sort(key=lambda e: e.last_seen_at)
        for earlier, later in itertools.pairwise(own):
            assert earlier.returned_at is not None and earlier.returned_at < later.last_seen_at

    missing = [e for e in episodes if e.missing_code == "M"]
    away = len(episodes) - len(missing)
    assert 0.05 <= away / len(episodes) <= 0.2
    short = _share(
        [
            e.returned_at is not None and e.returned_at - e.last_seen_at <= dt.timedelta(days=2)
            for e in missing
        ]
    )
    assert 0.82 <= short <= 0.97
    children = Child.objects.count()
    assert 0.2 <= len(by_child) / children <= 0.6  # a minority go missing, some very often
    assert max(len(v) for v in by_child.values()) >= 10
    figures = {figure.measure: figure for figure in summary.calibration}
    assert figures["Missing incidents lasting 2 days or less"].achieved == pytest.approx(short)
    assert 0.4 <= figures["Missing incidents of children aged 16 or over"].achieved <= 0.72

    # Interviews due today are outstanding; the history's are all closed.
    due_today = list(ReturnInterview.objects.filter(status__in=OUTSTANDING_INTERVIEW))
    assert due_today
    assert {i.due_at.astimezone(LONDON).date() for i in due_today} == {summary.reference_date}
    interviews = list(
        ReturnInterview.objects.exclude(status__in=OUTSTANDING_INTERVIEW).prefetch_related(
            "episodes", "events"
        )
    )
    assert len(interviews) >= 0.6 * len(missing)
    for interview in interviews:
        if interview.status == InterviewStatus.COMPLETED:
            assert interview.push_factors and interview.where_and_with_whom  # findings
        (episode,) = interview.episodes.all()
        assert episode.missing_code == "M"
        assert interview.offered_at is not None and interview.offered_at > episode.returned_at
        closed = interview.completed_at or interview.declined_at
        assert closed is not None and closed > interview.offered_at
        assert closed.date() <= ref
        assert [e.status for e in interview.events.all()] == [
            InterviewStatus.TO_OFFER,
            InterviewStatus.OFFERED,
            interview.status,
        ]
    in_time = _share([i.offered_at <= i.due_at for i in interviews])
    assert 0.6 <= in_time <= 0.9
    # The history's wording follows the appropriate-language guide it would be checked by.
    from sightline.language.checker import check_text

    for interview in interviews:
        for text in (interview.push_factors, interview.pull_factors, interview.declined_reason):
            assert not check_text(text), text
    for episode in episodes:
        assert not check_text(episode.last_seen_place), episode.last_seen_place
    # The exploitation network's nights out this week (synth/demo/exploitation.py) were
    # reported and closed through the services, so they alerted; their notices were sent,
    # delivered and acknowledged that night: nothing is left for the worker to send.
    from sightline.exploitation.models import ConcernLink
    from sightline.notifications.models import Delivery, DeliveryStatus

    alerted = Notice.objects.filter(kind__in=["missing", "away", "found"])
    network = set(ConcernLink.objects.values_list("child_id", flat=True))
    assert len(network) >= 2
    reported = {n.subject_id for n in alerted}
    nights = [e for e in episodes if e.id in reported]
    assert {e.child_id for e in nights} == network
    assert all(e.mis_start >= ref - dt.timedelta(days=7) for e in nights)
    sent = Delivery.objects.filter(notice__subject_id__in=[e.id for e in nights])
    assert sent.exists()
    assert not sent.exclude(status=DeliveryStatus.DELIVERED).exists()
    # History sends nothing: the only other alerts are those of the children missing now.
    assert {n.child_id for n in alerted} == {e.child_id for e in open_now} | network
    # History is written as records, and on the audit: one event per child with history.
    from sightline.audit.models import AuditEvent

    history = {str(e.child_id) for e in episodes if e.id not in reported}
    audited = AuditEvent.objects.filter(verb="demo history recorded")
    assert sorted(str(c) for c in audited.values_list("child_id", flat=True)) == sorted(history)
    # Tasks overdue at start.
    from sightline.missing.models import Task, TaskStatus

    assert Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=now()).exists()


@DEFAULT_SEED
def test_every_sign_in_works_and_sees_what_its_role_should(loaded):
    summary = loaded  # loaded without DEMO password in the environment: the default one
    roles = {sign_in.role for sign_in in summary.sign_ins}
    assert roles == set(Role.values)

    for sign_in in summary.sign_ins:
        assert sign_in.password == DEFAULT_PASSWORD
        user = authenticate(username=sign_in.username, password=sign_in.password)
        assert user is not None, sign_in.username
        assert user.organisation.name == sign_in.organisation_name
        assert not user.password.startswith(DEFAULT_PASSWORD)  # hashed
        visible = children_visible_to(user)
        if POLICY[Action.VIEW].get(user.role):
            assert visible.exists(), sign_in.username
        else:
            assert not visible.exists()

    users = {u.username: u for u in User.objects.select_related("organisation")}
    southwark = set(children_visible_to(users["sw.southwark"]))
    assert southwark == set(Child.objects.filter(placing_council__dfe_code="210"))
    assert southwark == set(children_visible_to(users["teammanager.southwark"]))

    police = users["police.gmp"]
    assert police.organisation.police_force.code == "E23000005"
    for child in children_visible_to(police):
        current = child.placements.get(end_date__isnull=True)
        assert current.host_police_force_id == "E23000005"

    manager = users["manager.brightwater"]
    assert manager.organisation.name == names.LEAD_PROVIDER
    assert Setting.objects.filter(provider=manager.organisation, council__dfe_code="356").exists()
    for child in children_visible_to(manager):
        assert child.placements.get(end_date__isnull=True).setting.provider == manager.organisation

    coordinator = children_visible_to(users["coordinator.stockport"])
    hosted = coordinator.exclude(placing_council__dfe_code="356")
    assert hosted.exists()  # children placed in Stockport by other councils

    # Issue 17's pages are not empty: one child's chronology from several agencies (police
    # intelligence for the placing council only, then corrected), a screening, a strategy
    # meeting whose tasks three agencies own, the child's words, and parents (one restricted).
    from sightline.casework.models import StrategyMeeting
    from sightline.chronology.models import ChronologyEntry
    from sightline.exploitation.models import Screening
    from sightline.family.models import ChildStatement, Parent

    meeting = StrategyMeeting.objects.get()
    child = meeting.child
    entries = ChronologyEntry.objects.filter(child=child)
    assert entries.values("organisation").distinct().count() >= 3
    corrected = entries.get(supersedes__isnull=False)
    assert corrected.restricted and corrected.supersedes.restricted
    assert {t.organisation_id for t in meeting.actions.all()} == {
        a.organisation_id for a in meeting.attendees.all()
    }
    assert meeting.actions.values("organisation").distinct().count() == 3
    assert Screening.objects.filter(child=child).exists()
    assert ChildStatement.objects.filter(child=child).count() == 3
    assert sorted(Parent.objects.filter(child=child).values_list("restricted", flat=True)) == [
        False,
        True,
    ]

    # The administrator is Stockport's, not the platform's: no superuser, no Django admin.
    admin = users["admin.stockport"]
    assert admin.role == Role.ADMINISTRATOR and admin.organisation.council.dfe_code == "356"
    assert not any(u.is_superuser or u.is_staff for u in users.values())
    assert may(admin, Action.MANAGE_PEOPLE) and not is_platform_operator(admin)


def test_an_exploitation_network_fills_the_panel_and_the_register(loaded):
    """Issue 18's pages are not empty: children of different councils in different Stockport
    homes out together this week; the police's flat, car and man (shared with Stockport, not
    with Southwark); the Manchester child screened and on Stockport's panel queue, listed for
    the next meeting; an NRM referral with its reasonable-grounds decision; and the links
    computed at the end of the load, so the panel's view shows the network."""
    from sightline.access.policy import concern_visible
    from sightline.exploitation.models import (
        ChildLink,
        Concern,
        ConcernKind,
        ConcernLink,
        NrmDecision,
        NrmOutcome,
        NrmStage,
        ReferralStatus,
        Screening,
    )
    from sightline.exploitation.selectors import (
        concerns_visible_to,
        panel_network,
        panel_queue_for,
    )
    from sightline.missing.models import InterviewStatus, ReturnInterview

    users = {u.username: u for u in User.objects.select_related("organisation")}
    police, coordinator = users["police.gmp"], users["coordinator.stockport"]
    southwark = users["sw.southwark"]

    # The register: the three concerns, recorded by the police.
    concerns = {c.kind: c for c in Concern.objects.select_related("owner")}
    assert set(concerns) == {ConcernKind.PLACE, ConcernKind.VEHICLE, ConcernKind.PERSON}
    assert {c.owner for c in concerns.values()} == {police.organisation}
    assert set(concerns_visible_to(user=police)) == set(concerns.values())
    person = concerns[ConcernKind.PERSON]
    shares = list(person.shares.filter(ended_at__isnull=True))
    assert [s.organisation for s in shares] == [coordinator.organisation]
    assert shares[0].reason and shares[0].decided_by == police
    shared_with = [s.organisation_id for s in shares]
    for user, sees in ((police, True), (coordinator, True), (southwark, False)):
        assert (
            concern_visible(
                user, kind=person.kind, owner_id=person.owner_id, shared_with_ids=shared_with
            )
            == sees
        ), user.username
        assert (person in concerns_visible_to(user=user)) == sees, user.username
    assert person.label and not re.search(r"\d{2}/\d{2}/\d{4}", person.label)

    # The children: different councils, different homes in Stockport.
    network = list(Child.objects.filter(concern_links__concern__in=concerns.values()).distinct())
    assert 2 <= len(network) <= 3
    assert len({c.placing_council_id for c in network}) == len(network)
    homes = {c.placements.get(end_date__isnull=True).setting for c in network}
    assert len(homes) == len(network)
    assert {h.council.dfe_code for h in homes} == {"356"}
    # The man and the car from a return interview that names them.
    named = ConcernLink.objects.get(concern=person)
    assert named.source == "interview"
    interview = ReturnInterview.objects.get(pk=named.source_id)
    assert interview.status == InterviewStatus.COMPLETED
    assert [p.description for p in interview.people.all()] == [person.label]
    assert ConcernLink.objects.filter(
        concern=concerns[ConcernKind.VEHICLE], source_id=interview.id
    ).exists()
    child = interview.child

    # Screened (moderate or above) by the placing council: referred to both panels; on
    # Stockport's queue, listed for the next meeting.
    screening = Screening.objects.get(child=child)
    assert screening.grade in {"moderate", "significant"}
    referrals = {r.panel: r for r in child.panel_referrals.all()}
    assert set(referrals) == {
        Organisation.objects.get(council=child.placing_council),
        coordinator.organisation,
    }
    queue = list(panel_queue_for(user=coordinator))
    ours = [r for r in queue if r.child == child]
    assert [r.status for r in ours] == [ReferralStatus.LISTED]
    # The National Referral Mechanism: a First Responder's referral and its decision.
    decision = NrmDecision.objects.get(child=child)
    assert (decision.stage, decision.outcome) == (NrmStage.REASONABLE, NrmOutcome.POSITIVE)
    assert decision.referral.first_responder == police.organisation

    # The links, computed at the end of the load: the child and another council's child.
    links = ChildLink.objects.filter(confirmed=True)
    pairs = [
        {link.child_a, link.child_b}
        for link in links.select_related("child_a", "child_b")
        if {link.child_a, link.child_b} <= set(network)
    ]
    assert any(child in pair and len({c.placing_council_id for c in pair}) == 2 for pair in pairs)
    # The panel's view draws them with the concerns the coordinator may see.
    drawn = panel_network(user=coordinator, children=[r.child for r in queue])
    nodes = set(drawn.graph.nodes)
    assert {f"child:{c.pk}" for c in network} <= nodes
    assert {f"{c.kind}:{c.pk}" for c in concerns.values()} <= nodes
    assert f"person:{person.pk}" not in panel_network(user=southwark, children=[child]).graph

    # The summary says where to look.
    assert loaded.exploitation_network == len(network)
    text = format_summary(loaded)
    assert "coordinator.stockport" in text and "police.gmp" in text


@DEFAULT_SEED
def test_format_sign_ins_and_summary(loaded):
    """Also what a coordinator sees at start: real compliance rates, a safety profile for
    every child in a home."""
    summary = loaded
    table = format_sign_ins(summary)
    for sign_in in summary.sign_ins:
        assert sign_in.username in table
        assert sign_in.organisation_name in table
    assert "Missing children coordinator" in table
    assert table.endswith(f"Password for every account: {DEFAULT_PASSWORD}\n")

    from sightline.missing.models import SafetyProfileVersion
    from sightline.placements.compliance import period_ending, placing_council_by_month

    # The compliance pages at start: notices sent on time and late, over the months.
    rows = []
    for org in Organisation.objects.filter(kind=OrganisationKind.COUNCIL):
        rows += placing_council_by_month(
            organisation=org, period=period_ending(summary.reference_date), now=now()
        ).rows
    due = sum(r["due"] for r in rows)
    on_time, late = sum(r["sent_on_time"] for r in rows), sum(r["sent_late"] for r in rows)
    assert 0 < late < on_time < due
    assert len({r["month"] for r in rows if r["due"]}) >= 6
    # Every child living in a home has a safety profile, with a drawn silhouette.
    in_homes = Placement.objects.filter(end_date__isnull=True, place_type="K2")
    profiled = set(SafetyProfileVersion.objects.values_list("child_id", flat=True))
    assert {p.child_id for p in in_homes} <= profiled
    profile = SafetyProfileVersion.objects.first()
    assert profile is not None and profile.description and profile.known_risks
    with profile.photo.open("rb") as photo:
        assert photo.read(8) == b"\x89PNG\r\n\x1a\n"
    text = format_summary(summary)
    assert "Children in homes placed outside their council" in text
    assert "61%" in text


def test_no_real_people_homes_or_providers(loaded):
    first_names = set(names.FIRST_NAMES_MALE) | set(names.FIRST_NAMES_FEMALE)
    for child in Child.objects.all():
        assert child.first_name in first_names
        assert child.last_name in names.SURNAMES
    for user in User.objects.all():
        assert user.first_name in first_names and user.last_name in names.SURNAMES
        assert user.email.endswith(".invalid")
    home_name = re.compile(
        rf"({'|'.join(names.HOME_NAME_STEMS)})({'|'.join(names.HOME_NAME_ENDINGS)}) "
        rf"({'|'.join(names.HOME_NAME_KINDS)})"
    )
    for setting in Setting.objects.all():
        if setting.place_type == "K2":
            assert home_name.fullmatch(setting.name), setting.name
            assert re.fullmatch(r"SC9\d{5}", setting.urn)
        else:
            assert setting.urn == "" and "foster household" in setting.name
    invented = {names.LEAD_PROVIDER, *names.OTHER_PRIVATE_PROVIDERS, *names.VOLUNTARY_PROVIDERS}
    for provider in Organisation.objects.filter(kind=OrganisationKind.PROVIDER):
        assert provider.name in invented
        assert provider.email.endswith(".invalid")
