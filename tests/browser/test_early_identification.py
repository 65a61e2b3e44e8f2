"""Early identification (issue 18's "Done when"), as ONE journey in a real browser with axe-core
on each new page: the home's staff hold Robin's return interview (the placing council has
made the home's provider its interviewing service) and name an adult and a car; the worker's
prompt asks Southwark to screen Robin, who is graded moderate; the case is on Southwark's
panel queue; the links job finds Robin and Kent's child Kit found at the same place, and the
panel's view and Robin's links show Kit only as "a child placed by another council"; moving
Robin into Kit's home, where Kit is assessed at significant risk, shows the co-location
warning, and going ahead needs an approver.

The world is built through services: Southwark (210) places Robin in Larch House, Stockport;
Kent (886) places Kit in Brixton Lodge, Lambeth (which adjoins Southwark, so the move is not a
distant placement). Both went missing on the same evening and were found at M1 1AE.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sightline.children.services import child_create
from sightline.exploitation.models import ChildLink, PanelReferral
from sightline.exploitation.prompts import screening_prompts_sweep
from sightline.exploitation.selectors import REDACTED_CHILD
from sightline.exploitation.services import IndicatorInput, child_links_refresh, screening_record
from sightline.geography.services import reference_data_load
from sightline.missing.models import (
    InterviewServiceConfig,
    ReturnInterview,
    RiskGrade,
    RiskGradeList,
    Task,
    TaskKind,
    TaskStatus,
)
from sightline.missing.reference import risk_grade_lists_load
from sightline.missing.services import episode_close, episode_report
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in, sign_out
from tests.browser.test_missing_episode import fill_moment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOUND_AT = "M1 1AE"


def _missing_and_found(*, actor, child, reference: str, out: dt.datetime) -> None:
    episode = episode_report(
        actor=actor,
        child=child,
        kind="missing",
        last_seen_at=out,
        last_seen_place="Left the home after tea",
        reported_to_police=True,
        police_reference=reference,
        risk_grade="medium",
        risk_grade_supplied_by="The police force",
    )
    episode_close(
        actor=actor,
        episode=episode,
        returned_at=out + dt.timedelta(hours=5),
        where_postcode=FOUND_AT,
        found_by="police",
    )


@pytest.fixture
def world(transactional_db):
    # Transactional tests empty every table afterwards, reference data included.
    reference_data_load()
    risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    southwark = factories.council_org("210")
    kent = factories.council_org("886")
    factories.council_org("356")
    factories.council_org("208")
    brightwater = factories.provider_org("Brightwater Care Ltd")
    seaview = factories.provider_org("Seaview Homes Ltd")
    larch = factories.setting(brightwater, postcode="SK4 2AB", name="Larch House")
    brixton = factories.setting(seaview, postcode="SW9 8QA", name="Brixton Lodge")
    # Southwark's return interviews are held by the home's provider (a time-boxed grant).
    InterviewServiceConfig.objects.create(council=factories.council("210"), service=brightwater)
    started = dt.date.today() - dt.timedelta(days=60)
    robin = child_create(
        placing_council=factories.council("210"),
        child_ref="SWK500",
        first_name="Robin",
        last_name="Ashdown",
        date_of_birth=dt.date(2011, 4, 2),
        sex="F",
    )
    factories.placement(robin, larch, start=started, home_postcode="SE1 0AA")
    kit = child_create(
        placing_council=factories.council("886"),
        child_ref="KNT500",
        first_name="Kit",
        last_name="Farrowby",
        date_of_birth=dt.date(2010, 8, 19),
        sex="M",
    )
    factories.placement(kit, brixton, start=started, home_postcode="ME14 1XX")
    hana = factories.user(brightwater, Role.HOME_STAFF, username="hana")
    kit_home = factories.user(seaview, Role.HOME_STAFF)
    # The same evening, both children out and found at the same place in Manchester.
    out = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    _missing_and_found(actor=hana, child=robin, reference="GMP-500", out=out)
    _missing_and_found(
        actor=kit_home, child=kit, reference="MET-500", out=out + dt.timedelta(minutes=40)
    )
    # Kent assesses Kit at significant risk.
    screening_record(
        actor=factories.user(kent, Role.SOCIAL_WORKER),
        child=kit,
        indicators=[
            IndicatorInput("criminal.drugs_cash", "current", "Police intelligence report"),
            IndicatorInput("criminal.cars", "current", "Brixton Lodge daily log"),
        ],
        danger_statement="We are worried adults are taking Kit to other towns.",
        safety_goal="Kit is home every night.",
        learning_disability=False,
    )
    factories.user(southwark, Role.SOCIAL_WORKER, username="sam")
    factories.user(southwark, Role.TEAM_MANAGER, username="tess")
    return {"robin": robin, "kit": kit, "brixton": brixton}


def test_early_identification(live_server, page, world):
    from playwright.sync_api import expect

    base = live_server.url
    robin, kit = world["robin"], world["kit"]
    interview = ReturnInterview.objects.get(child=robin)

    # 1. The home's staff hold the return interview and name an adult and a car.
    sign_in(page, base, "hana")
    page.goto(f"{base}/interviews/{interview.id}/")
    expect(page).to_have_title("Return home interview: Robin Ashdown – Sightline")
    page.get_by_role("button", name="Record the interview").click()
    expect(page).to_have_title("Record the interview – Sightline")
    fill_moment(
        page,
        "Date of the interview",
        "Time of the interview",
        dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
    )
    page.get_by_label("Who held the interview?").fill("Hana, key worker")
    page.get_by_role("group", name=re.compile("independent")).get_by_label("No", exact=True).check()
    page.get_by_label("Why not?").fill("Robin asked for her key worker, a trusted adult")
    page.get_by_label("Where and with whom (optional)").fill(
        "Driven to Manchester in a silver estate car, registration XY99 ZZZ"
    )
    person = page.get_by_role("group", name="Person 1 (optional)")
    person.get_by_label("Name or description").fill("Dee, who drives the silver estate")
    person.get_by_label("Relationship to the child").fill("Older man met online")
    person.get_by_label("Approximate age").fill("about 30")
    page.get_by_role("button", name="Save the interview").click()
    expect(page).to_have_title("Return home interview: Robin Ashdown – Sightline")
    expect(page.locator("main")).to_contain_text("Dee, who drives the silver estate")
    sign_out(page)

    # 2. The worker's prompt (its job's sweep) asks Southwark to screen Robin: moderate.
    assert screening_prompts_sweep(now=dt.datetime.now(dt.UTC)) == 1
    sign_in(page, base, "sam")
    page.goto(f"{base}/tasks/")
    prompt = page.locator("main tr", has_text="Complete an exploitation screening")
    expect(prompt).to_contain_text("Robin Ashdown")
    page.goto(f"{base}/children/{robin.id}/exploitation/")
    expect(page).to_have_title("Exploitation screening: Robin Ashdown – Sightline")
    page.get_by_role("button", name="Screen the child").click()
    expect(page).to_have_title("Screen for exploitation: Robin Ashdown – Sightline")
    assert_accessible(page)
    page.locator("select[name='criminal_cars_recency']").select_option("current")
    page.locator("input[name='criminal_cars_source']").fill("Return home interview")
    page.locator("select[name='criminal_controlling_associates_recency']").select_option(
        "past_six_months"
    )
    page.locator("input[name='criminal_controlling_associates_source']").fill("Larch House log")
    page.get_by_role("group", name="Does the child have a learning disability?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_label("Danger statement").fill(
        "We are worried that an older man is driving Robin to other towns to carry drugs."
    )
    page.get_by_label("Safety goal").fill("Robin is home every night and safe from the man.")
    page.get_by_role("button", name="Save the screening").click()
    expect(page).to_have_title("Exploitation screening: Robin Ashdown – Sightline")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Screening 1 saved: moderate")
    expect(banner).to_contain_text("referred to the exploitation (MACE) panels")
    assert_accessible(page)
    task = Task.objects.get(kind=TaskKind.EXPLOITATION_SCREENING, child=robin)
    assert (task.interview, task.status) == (interview, TaskStatus.DONE)  # prompt done
    sign_out(page)

    # 3. Southwark's panel: the case on the queue; then the links job, and the panel's view.
    assert PanelReferral.objects.filter(child=robin).count() == 2  # placing and host panels
    sign_in(page, base, "tess")
    page.goto(f"{base}/exploitation/panel/")
    expect(page).to_have_title("Exploitation panel – Sightline")
    expect(page.locator("main").get_by_role("table")).to_contain_text("Robin Ashdown")
    assert_accessible(page)
    refreshed = child_links_refresh()
    assert refreshed.links == 1
    link = ChildLink.objects.get()
    assert {link.child_a_id, link.child_b_id} == {robin.id, kit.id}
    assert "found_same_place" in {e["kind"] for e in link.evidence}
    page.goto(f"{base}/exploitation/panel/view/")
    expect(page).to_have_title("The panel's view – Sightline")
    main = page.locator("main")
    expect(main).to_contain_text("Child placed by another council (1)")
    for detail in ("Kit", "Farrowby", "KNT500", "Brixton Lodge"):
        expect(main).not_to_contain_text(detail)
    assert_accessible(page)
    page.goto(f"{base}/children/{robin.id}/exploitation/concerns/")
    expect(page).to_have_title("Concerns and links: Robin Ashdown – Sightline")
    expect(main).to_contain_text(REDACTED_CHILD)
    expect(main).to_contain_text("Found at the same place")
    for detail in ("Kit", "Farrowby", "KNT500", "Brixton Lodge"):
        expect(main).not_to_contain_text(detail)
    assert_accessible(page)

    # As a First Responder, the panel's member refers Robin to the National Referral
    # Mechanism; the panel's view shows the case waiting for the reasonable grounds decision.
    page.goto(f"{base}/children/{robin.id}/exploitation/")
    page.get_by_role("button", name="National Referral Mechanism").click()
    expect(page).to_have_title("National Referral Mechanism: Robin Ashdown – Sightline")
    page.get_by_label("Criminal exploitation (county lines included)").check()
    today = dt.date.today()
    referred = page.get_by_role("group", name="Date of the referral")
    referred.get_by_label("Day").fill(str(today.day))
    referred.get_by_label("Month").fill(str(today.month))
    referred.get_by_label("Year").fill(str(today.year))
    page.get_by_role("button", name="Record the referral").click()
    expect(page).to_have_title("Exploitation screening: Robin Ashdown – Sightline")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "NRM referral recorded"
    )
    page.goto(f"{base}/exploitation/panel/view/")
    cases = page.get_by_role("table", name="Cases for the next meeting")
    expect(cases).to_contain_text("Robin Ashdown")
    expect(cases).to_contain_text(f"Referred on {today:%-d %B %Y}: waiting for a decision")
    sign_out(page)

    # 4. Moving Robin into Kit's home: the co-location warning; going ahead needs an approver.
    sign_in(page, base, "sam")
    page.get_by_role("button", name="Record a placement").click()
    expect(page).to_have_title("Record a placement – Sightline")
    page.get_by_label("A child already on Sightline").check()
    page.get_by_label("Child", exact=True).select_option(str(robin.id))
    page.get_by_label("A setting already on Sightline").check()
    page.get_by_label("Setting", exact=True).select_option(str(world["brixton"].id))
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill(str(today.day))
    start.get_by_label("Month").fill(str(today.month))
    start.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Placement type").select_option("K2")
    page.get_by_label("Private provision").check()
    page.get_by_role("group", name="Is this an emergency placement?").get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title("Check the placement – matching check – Sightline")
    expect(page.locator(".govuk-summary-list")).to_contain_text("adjoining council (Lambeth)")
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "A child assessed at significant risk of exploitation lives there"
    )
    for detail in ("Kit", "KNT500"):
        expect(page.locator("main")).not_to_contain_text(detail)
    page.get_by_label("Go ahead with the placement").check()
    page.get_by_label("Reasons for the decision").fill(
        "Robin's school is nearby; the panel reviews the placement in two weeks."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_title("Error: Check the placement – matching check – Sightline")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select the senior officer who approves going ahead"
    )
    page.get_by_label("Approver").select_option(label="Test User tess (Team manager)")
    page.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_title("Robin Ashdown – Sightline")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Placement recorded"
    )
    expect(page.locator("table", has_text="Placement history")).to_contain_text("Brixton Lodge")
