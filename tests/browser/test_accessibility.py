"""Every page each role can reach, checked with axe-core in a real browser: zero violations.

One world like the demo's: Southwark (210) places Robin and Sam in Larch House, a Brightwater
home in Stockport (356), so Stockport Council and Greater Manchester Police are involved too.
Robin went missing three days ago and came back (a return interview is due), and is missing
again now, graded high risk (a review task for the team manager). Kent (886) places Cat in
Canterbury; a Southwark social worker used emergency access to open Cat's record.

Each role signs in through the real pages in a context of its own (one browser for all) and
visits every page of the list: a page it may not open answers with a refusal ("page not
found", or "you cannot use this page"), each kind checked once per role. Forms with radios
that reveal a follow-up question are checked again with each such question revealed. All
violations of every role are listed together on failure.

The rules are WCAG 2.2 AA and axe's best practices (the ``region`` rule among them: all
content inside a landmark).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from sightline.access.breakglass import break_glass_open
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.exploitation.models import Concern, ConcernShare, PanelReferral
from sightline.exploitation.services import (
    ConcernInput,
    IndicatorInput,
    child_links_refresh,
    concern_link,
    concern_record,
    concern_share,
    concern_share_end,
    nrm_referral_record,
    screening_record,
)
from sightline.geography.services import reference_data_load
from sightline.missing.models import Episode, ReturnInterview, RiskGrade, RiskGradeList, Task
from sightline.missing.reference import risk_grade_lists_load
from sightline.missing.services import (
    episode_close,
    episode_report,
    episode_update,
    safety_profile_update,
)
from sightline.notifications.models import Notice
from sightline.organisations.models import Role, User
from sightline.placements.models import Placement
from tests import factories
from tests.browser.conftest import WCAG_TAGS, sign_in

# axe-core checks the pages' markup, which the database under them does not change (the
# matrix checks who sees what on both): CI walks them once, in its SQLite run.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_leg("sqlite"),
]

GMP = "E23000005"
RULE_TAGS = [*WCAG_TAGS, "best-practice"]


@dataclass
class Scene:
    robin: Child
    sam: Child
    cat: Child
    open_episode: Episode
    past_episode: Episode
    grant_id: str
    users: dict[str, User]


def _scene() -> Scene:
    reference_data_load()
    risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    southwark = factories.council_org("210")
    stockport = factories.council_org("356")
    gmp = factories.police_org(GMP)
    factories.council_org("886")  # Kent, told of the emergency access
    brightwater = factories.provider_org("Brightwater Care Ltd")
    seaview = factories.provider_org("Seaview Homes Ltd")
    larch = factories.setting(brightwater, postcode="SK4 2AB", name="Larch House")
    harbour = factories.setting(seaview, postcode="CT1 2EH", name="Harbour View")
    today = dt.date.today()

    def child(code: str, ref: str, first: str, last: str) -> Child:
        return child_create(
            placing_council=factories.council(code),
            child_ref=ref,
            first_name=first,
            last_name=last,
            date_of_birth=dt.date(2011, 3, 17),
            sex="F",
        )

    robin = child("210", "SWK100", "Robin", "Quillfeather")
    sam = child("210", "SWK101", "Sam", "Okafor")
    cat = child("886", "KNT100", "Cat", "Marlowe")
    factories.placement(robin, larch, start=today - dt.timedelta(days=60), home_postcode="SE1 0AA")
    factories.placement(sam, larch, start=today - dt.timedelta(days=30), home_postcode="SE1 0AA")
    factories.placement(cat, harbour, start=today - dt.timedelta(days=30), home_postcode="ME14 1XX")
    users = {
        "social worker": factories.user(southwark, Role.SOCIAL_WORKER),
        "coordinator": factories.user(stockport, Role.MISSING_COORDINATOR),
        "police officer": factories.user(gmp, Role.POLICE_MISSING_OFFICER),
        "home staff": factories.user(brightwater, Role.HOME_STAFF),
        "team manager": factories.user(southwark, Role.TEAM_MANAGER),
        "analyst": factories.user(southwark, Role.ANALYST),
        "administrator": factories.user(southwark, Role.ADMINISTRATOR),
    }
    home = users["home staff"]
    safety_profile_update(
        actor=factories.user(brightwater, Role.HOME_MANAGER),
        child=robin,
        description="Slim, 5 ft 2, long dark hair",
        places_frequented="Stockport bus station",
    )
    now = dt.datetime.now(dt.UTC)
    past = episode_report(
        actor=home,
        child=robin,
        kind="missing",
        last_seen_at=now - dt.timedelta(days=3),
        last_seen_place="The bus station",
        reported_to_police=True,
        risk_grade="medium",
        risk_grade_supplied_by="PC 1234, Greater Manchester Police",
    )
    episode_close(
        actor=home,
        episode=past,
        returned_at=now - dt.timedelta(days=2),
        where_postcode="SK4 2AB",
        found_by="self",
        condition="Tired and hungry",
    )
    open_episode = episode_report(
        actor=home,
        child=robin,
        kind="missing",
        last_seen_at=now - dt.timedelta(hours=2),
        last_seen_place="Leaving the home by the back gate",
        reported_to_police=True,
        risk_grade="high",
        risk_grade_supplied_by="PC 1234, Greater Manchester Police",
    )
    episode_update(
        actor=users["police officer"],
        episode=open_episode,
        kind="sighting",
        text="Seen near the bus station",
        supplied_by="A bus driver",
    )
    grant = break_glass_open(
        user=factories.user(southwark, Role.SOCIAL_WORKER),
        child_id=cat.id,
        justification="Cat's sister is with Robin and may know where they are going tonight.",
    )
    # Issue 18: Robin screened at moderate (referred to both councils' panels), NRM referred.
    screening_record(
        actor=users["social worker"],
        child=robin,
        indicators=[IndicatorInput("criminal.drugs_cash", "current", "Police intelligence")],
        danger_statement="Adults may be using Robin to carry drugs between towns.",
        safety_goal="Robin is home every night and tells staff where Robin is going.",
        learning_disability=False,
    )
    nrm_referral_record(
        actor=users["social worker"],
        child=robin,
        exploitation="criminal",
        referred_on=today - dt.timedelta(days=1),
    )
    # Issue 18 part 2: a place and a person of concern named with Robin, and the links.
    officer = users["police officer"]
    place = concern_record(
        actor=officer,
        data=ConcernInput(kind="place", label="Flat above the takeaway", postcode="SK4 2AB"),
    )
    person = concern_record(
        actor=officer, data=ConcernInput(kind="person", label="Older man known as Dee")
    )
    concern_link(actor=officer, child=robin, concern=place, source="found", source_id=past.id)
    concern_link(
        actor=officer,
        child=robin,
        concern=person,
        source="intelligence",
        summary="Seen with Robin near the bus station",
        occurred_at=now - dt.timedelta(days=2),
    )
    # Shared with Southwark, ended, and shared again: the person's page shows a standing
    # decision (with its "End sharing" page) and an ended one.
    first = concern_share(
        actor=officer, concern=person, organisation=southwark, reason="Southwark's panel plan"
    )
    concern_share_end(actor=officer, share=first, reason="The panel's plan was replaced")
    concern_share(
        actor=officer, concern=person, organisation=southwark, reason="The panel's new plan"
    )
    child_links_refresh()
    for user in users.values():
        factories.authenticator(user)  # signing in asks for a code, not the set-up pages
    return Scene(
        robin=robin,
        sam=sam,
        cat=cat,
        open_episode=open_episode,
        past_episode=past,
        grant_id=str(grant.id),
        users=users,
    )


def _pages(scene: Scene, user: User) -> list[str]:
    """Every page of the list, for this user's organisation where a page is one of its own."""
    robin, sam, cat = scene.robin.id, scene.sam.id, scene.cat.id
    interview = ReturnInterview.objects.order_by("created_at").first()
    task = Task.objects.order_by("created_at").first()
    notice = Notice.objects.filter(recipient=user.organisation).order_by("created_at").first()
    placement = Placement.objects.get(child=scene.robin)
    pages = [
        "/",
        f"/children/{robin}/",
        f"/children/{robin}/safety-profile/",
        f"/children/{robin}/audit/",
        f"/children/{sam}/",
        f"/children/{sam}/missing/new/",
        "/notices/",
        "/missing/",
        "/missing/episodes/",
        f"/episodes/{scene.open_episode.id}/",
        f"/episodes/{scene.open_episode.id}/return/",
        f"/episodes/{scene.past_episode.id}/",
        "/interviews/",
        "/casework/tasks/",
        "/compliance/",
        "/evidence/",
        "/missing/settings/",
        "/maps/placements/",
        "/maps/force/",
        "/maps/found/",
        "/account/security/",
        "/placements/new/",
        f"/children/{cat}/",
        f"/children/{cat}/emergency-access/",
        "/emergency-access/",
        f"/emergency-access/{scene.grant_id}/",
        # Issue 14: the record filtered, the who-viewed page filtered, and the contacts.
        f"/children/{robin}/?kind=notices&kind=deliveries&since-day=1&since-month=1&since-year=2020",
        f"/children/{robin}/audit/?kind=read",
        f"/placements/{placement.id}/contacts/social_worker/",
        f"/homes/{placement.setting_id}/manager/",
    ]
    if user.organisation_id:
        org = user.organisation_id
        pages += [
            "/organisations/",
            f"/organisations/{org}/people/",
            f"/organisations/{org}/people/add/",
            f"/organisations/{org}/audit/",
            f"/organisations/{org}/contacts/",
            f"/organisations/{org}/contacts/out_of_hours/",
            f"/people/{user.pk}/",
        ]
        other = User.objects.filter(organisation_id=org).exclude(pk=user.pk).first()
        if other is not None:
            pages += [
                f"/people/{other.pk}/",
                f"/people/{other.pk}/role/",
                f"/people/{other.pk}/status/",
                f"/people/{other.pk}/authenticator-app/",
            ]
    pages += [
        f"/children/{robin}/exploitation/",
        f"/children/{robin}/exploitation/new/",
        f"/children/{robin}/exploitation/nrm/",
        f"/children/{sam}/exploitation/nrm/",
        "/exploitation/panel/",
        # Issue 18 part 2: the register, a concern, the child's links, the panel's view.
        "/exploitation/concerns/",
        "/exploitation/concerns/new/",
        f"/children/{robin}/exploitation/concerns/",
        f"/children/{robin}/exploitation/concerns/link/",
        "/exploitation/panel/view/",
    ]
    pages += [f"/exploitation/concerns/{c.id}/" for c in Concern.objects.order_by("kind")]
    pages += [
        f"/exploitation/concerns/{s.concern_id}/shares/{s.id}/end/"
        for s in ConcernShare.objects.order_by("decided_at")
    ]
    referral = PanelReferral.objects.filter(panel=user.organisation_id).first()
    if referral is not None:
        pages.append(f"/exploitation/referrals/{referral.id}/")
    if notice is not None:
        pages.append(f"/notices/{notice.id}/")
    if interview is not None:
        pages += [f"/interviews/{interview.id}/", f"/interviews/{interview.id}/complete/"]
    if task is not None:
        pages.append(f"/tasks/{task.id}/")
    return pages


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": RULE_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}\n        "
        + "\n        ".join(node["html"][:200] for node in violation["nodes"])
        for violation in results.response["violations"]
    ]


def _reveal_follow_up_questions(page) -> bool:
    """Choose, in each group of radios, the first option that reveals a question, and see
    the question appear."""
    from playwright.sync_api import expect

    names = page.eval_on_selector_all(
        "input.govuk-radios__input[aria-controls]",
        "inputs => [...new Set(inputs.map(i => i.name))]",
    )
    for name in names:
        radio = page.locator(f"input.govuk-radios__input[aria-controls][name='{name}']").first
        question = page.locator(f"#{radio.get_attribute('aria-controls')}")
        radio.check()
        expect(question).to_be_visible()
    return bool(names)


def test_every_page_of_every_role_has_no_accessibility_violations(live_server, browser, scene):
    base = live_server.url
    found: list[str] = []
    reached: dict[str, list[str]] = {}
    for role, user in scene.users.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base, user.get_username())
        refusals: set[tuple[int, str]] = set()
        for path in _pages(scene, user):
            response = page.goto(base + path)
            assert response is not None
            status = response.status
            assert status in (200, 403, 404), f"{role}: {path} answered {status}"
            if status == 200:
                reached.setdefault(role, []).append(path)
            elif (status, page.title()) in refusals:
                continue  # the same refusal page: checked once for this role
            else:
                refusals.add((status, page.title()))
            found += [f"{role}, {path}: {v}" for v in _violations(page)]
            if _reveal_follow_up_questions(page):
                found += [f"{role}, {path} (revealed): {v}" for v in _violations(page)]
        context.close()

    for role in scene.users:
        assert {"/", "/notices/", "/missing/", "/account/security/"} <= set(reached[role]), role
    for role in ("social worker", "coordinator", "police officer", "home staff", "team manager"):
        assert f"/episodes/{scene.open_episode.id}/" in reached[role], role
    for role in ("social worker", "home staff", "team manager", "police officer"):
        assert f"/children/{scene.sam.id}/missing/new/" in reached[role], role
    for role in ("team manager", "administrator"):
        assert f"/emergency-access/{scene.grant_id}/" in reached[role], role
    for role in ("coordinator", "police officer", "home staff"):
        assert "/maps/found/" in reached[role], role
    assert "/maps/force/" in reached["police officer"]
    for role in ("coordinator", "team manager"):
        assert "/exploitation/panel/" in reached[role], role
    assert f"/children/{scene.robin.id}/exploitation/new/" in reached["social worker"]
    ends = [p for p in reached["police officer"] if p.endswith("/end/")]
    assert len(ends) == 2 and not any(p.endswith("/end/") for p in reached["social worker"])
    assert "/maps/placements/" in reached["social worker"]
    admin = scene.users["administrator"]
    assert f"/organisations/{admin.organisation_id}/audit/" in reached["administrator"]
    assert not any(path.startswith("/people/") for path in reached["team manager"])
    assert not found, f"{len(found)} accessibility violations:\n" + "\n".join(found)


@pytest.fixture
def scene(transactional_db, settings, tmp_path) -> Scene:
    # Transactional tests empty every table afterwards, including the reference data the
    # migrations loaded: _scene loads it again.
    settings.SIGHTLINE_PRIVATE_MEDIA_ROOT = str(tmp_path / "private-media")
    return _scene()
