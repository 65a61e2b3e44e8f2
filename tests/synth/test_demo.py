"""The demo data set: reproducible, calibrated, synthetic, and usable by every sign-in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from sightline.access.policy import (
    POLICY,
    Action,
    access_child,
    children_visible_to,
    is_platform_operator,
    may,
)
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.errors import SightlineError
from sightline.core.timeutil import now, today
from sightline.geography.selectors import postcode_place
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Placement, Setting
from sightline.synth import names
from sightline.synth.demo import (
    DEFAULT_PASSWORD,
    PASSWORD_ENV,
    demo_fingerprint,
    demo_load,
    format_sign_ins,
    format_summary,
    reference_date_for,
)
from sightline.synth.models import DemoDataset

pytestmark = pytest.mark.django_db

REFERENCE_DIR = Path("/work/shared/reference")


def _counts() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "placements": Placement.objects.count(),
        "settings": Setting.objects.count(),
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "datasets": DemoDataset.objects.count(),
    }


def _share(values: list[bool]) -> float:
    return sum(values) / len(values)


# --- Same seed, same data ------------------------------------------------------------------


def test_loading_the_same_seed_again_keeps_the_data_set():
    first = demo_load(seed=7)
    counts = _counts()

    again = demo_load(seed=7)

    assert first.created and not again.created
    assert again.fingerprint == first.fingerprint == demo_fingerprint()
    assert _counts() == counts
    assert again.calibration == first.calibration


def test_another_seed_replaces_the_data_set_and_the_first_comes_back_identical():
    first = demo_load(seed=7)
    counts = _counts()

    other = demo_load(seed=8)
    assert other.fingerprint != first.fingerprint
    # Replaced, not added to: every row left is the new data set's.
    records = DemoDataset.objects.get().records
    for model, label in [
        (Child, "children.child"),
        (Placement, "placements.placement"),
        (Setting, "placements.setting"),
        (User, "organisations.user"),
    ]:
        assert {str(pk) for pk in model.objects.values_list("pk", flat=True)} == set(records[label])
    providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER)
    assert {str(pk) for pk in providers.values_list("pk", flat=True)} == set(
        records["organisations.organisation"]
    )
    names_now = set(Child.objects.values_list("first_name", "last_name"))

    back = demo_load(seed=7)
    assert back.created
    assert back.fingerprint == first.fingerprint
    assert _counts() == counts
    assert set(Child.objects.values_list("first_name", "last_name")) != names_now


def test_child_refs_are_unique_and_marked_as_demo():
    demo_load(seed=3)
    refs = list(Child.objects.values_list("child_ref", flat=True))
    assert len(refs) == len(set(refs))
    assert all(re.fullmatch(r"DEMO\d{4}", ref) for ref in refs)


# --- Calibration ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [2019, 11])
def test_calibrated_to_the_brief(seed):
    summary = demo_load(seed=seed)

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


def test_geography_is_the_real_one():
    demo_load(seed=5)
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


def test_placement_history_is_non_trivial_and_consistent():
    summary = demo_load(seed=6)
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
            assert placement.start_date <= today()
            assert placement.start_date >= child.date_of_birth
    assert summary.reference_date == reference_date_for(6) == today()
    # Nobody in a home has turned 18 by the reference date.
    for placement in Placement.objects.filter(end_date__isnull=True).select_related("child"):
        assert (summary.reference_date - placement.child.date_of_birth).days < 18 * 365


@pytest.mark.parametrize("seed", [2019, 11])
def test_missing_history_is_consistent_calibrated_and_quiet(seed):
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

    summary = demo_load(seed=seed)
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
    assert {i.due_at.astimezone(LONDON).date() for i in due_today} == {today()}
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
    # Written as records, and on the audit: one event per child with history.
    from sightline.audit.models import AuditEvent

    audited = AuditEvent.objects.filter(verb="demo history recorded")
    assert sorted(str(c) for c in audited.values_list("child_id", flat=True)) == sorted(by_child)
    # History sends nothing: the only alerts are those of the children missing now.
    alerted = Notice.objects.filter(kind__in=["missing", "away", "found"])
    assert {n.child_id for n in alerted} == {e.child_id for e in open_now}
    # Tasks overdue at start.
    from sightline.missing.models import Task, TaskStatus

    assert Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=now()).exists()


# --- Sign-ins ------------------------------------------------------------------------------


def test_every_sign_in_works_and_sees_what_its_role_should(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    summary = demo_load(seed=2019)
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


def test_the_password_comes_from_the_environment_and_follows_it(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "a different demo phrase")
    summary = demo_load(seed=2)
    assert {s.password for s in summary.sign_ins} == {"a different demo phrase"}
    assert authenticate(username="police.gmp", password="a different demo phrase")

    monkeypatch.setenv(PASSWORD_ENV, "and another one again")
    kept = demo_load(seed=2)
    assert not kept.created
    assert authenticate(username="police.gmp", password="and another one again")
    assert authenticate(username="police.gmp", password="a different demo phrase") is None


def test_format_sign_ins_and_summary():
    """Also what a coordinator sees at start (one load of the default seed for both): real
    compliance rates, a safety profile for every child in a home."""
    summary = demo_load(seed=2019)
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
            organisation=org, period=period_ending(today()), now=now()
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


# --- Synthetic only ------------------------------------------------------------------------


def test_no_real_people_homes_or_providers():
    demo_load(seed=9)
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


@pytest.mark.skipif(
    not (REFERENCE_DIR / "ofsted_provider_level_with_inspections_at_31_march_2023.csv").exists(),
    reason="the Ofsted reference file is not on this machine",
)
def test_invented_providers_and_urns_are_not_on_the_ofsted_register():
    path = REFERENCE_DIR / "ofsted_provider_level_with_inspections_at_31_march_2023.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    owners = {row["Organisation which owns the provider"].lower() for row in rows}
    urns = {row["URN"] for row in rows}
    invented = [names.LEAD_PROVIDER, *names.OTHER_PRIVATE_PROVIDERS, *names.VOLUNTARY_PROVIDERS]
    assert not {name.lower() for name in invented} & owners
    assert not any(urn.startswith("SC9") for urn in urns)


# --- Safety --------------------------------------------------------------------------------


def test_refuses_to_load_in_production(settings):
    settings.MODE = "production"
    with pytest.raises(SightlineError, match="production"):
        demo_load(seed=1)
    assert not Child.objects.exists()


def test_refuses_a_reference_date_in_the_future():
    with pytest.raises(SightlineError, match="future"):
        demo_load(seed=1, reference_date=today() + dt.timedelta(days=1))


def test_a_used_data_set_is_replaced_with_what_was_recorded_about_it():
    from sightline.access.models import AccessRecord
    from tests import factories

    demo_load(seed=1)
    user = User.objects.get(username="coordinator.stockport")
    child = children_visible_to(user).first()
    access_child(user, child.id, action=Action.VIEW, purpose="demo")
    assert not demo_load(seed=1).created  # the same seed is kept, used or not

    # Someone else's records, outside the demo data set, survive a replacement.
    own_home = factories.setting(factories.provider_org("Not A Demo Provider Ltd"))
    own_child = factories.child("352", ref="OWN1")
    factories.placement(own_child, own_home)

    replaced = demo_load(seed=2)

    assert replaced.created
    assert not AccessRecord.objects.filter(child_id=child.id).exists()
    assert not Child.objects.filter(pk=child.pk).exists()
    assert Child.objects.filter(pk=own_child.pk).exists()
    assert Placement.objects.filter(child=own_child).count() == 1
    assert Organisation.objects.filter(name="Not A Demo Provider Ltd").exists()
    assert Organisation.objects.filter(council__dfe_code="356").count() == 1


def test_demo_usernames_taken_by_real_users_stop_the_load():
    User.objects.create_user(username="police.gmp", password="x" * 16)
    with pytest.raises(SightlineError, match=r"police\.gmp"):
        demo_load(seed=1)
    assert not Child.objects.exists()


# --- The management command ----------------------------------------------------------------


def test_command_prints_summary_and_sign_ins():
    out = io.StringIO()
    call_command("demo_data", "--seed", "12", stdout=out)
    text = out.getvalue()
    assert "Demo sign-ins" in text
    assert "coordinator.stockport" in text
    assert "Calibration" in text


def test_command_json():
    out = io.StringIO()
    call_command("demo_data", "--seed", "12", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["seed"] == 12
    assert data["created"] is True
    assert len(data["sign_ins"]) == len(Role.values)
    assert {"username", "password", "role", "role_label", "organisation_name"} <= set(
        data["sign_ins"][0]
    )
    assert {c["measure"] for c in data["calibration"]} >= {
        "Children in homes placed outside their council",
        "Placements more than 20 miles from home",
    }
