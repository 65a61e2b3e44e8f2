"""A social worker records a placement in a real browser, meets a postcode error, fixes it,
chooses a home where a child assessed at significant risk of exploitation lives, meets the
matching check's warning, finds that going ahead needs an approver, names one, and sees where
the child now lives. Every page is checked with axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sightline.children.services import child_create
from sightline.exploitation.services import IndicatorInput, screening_record
from sightline.geography.services import reference_data_load
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/sightline-child.png"


@pytest.fixture
def social_worker(transactional_db):
    # Transactional tests empty every table afterwards, including the reference data the
    # migration loaded, so load it again for each test.
    reference_data_load()
    provider = factories.provider_org("Brightwater Care Ltd")
    manchester = factories.council_org("352")
    # Larch House, Stockport: a Stockport child assessed at significant risk lives there.
    larch = factories.setting(provider, postcode="SK4 2AB", name="Larch House")
    stockport_child = child_create(
        placing_council=factories.council("356"),
        child_ref="STO001",
        first_name="Quinn",
        last_name="Harrow",
        date_of_birth=dt.date(2011, 3, 3),
        sex="F",
    )
    factories.placement(stockport_child, larch, start=dt.date(2024, 9, 2))
    screening_record(
        actor=factories.user(factories.council_org("356"), Role.SOCIAL_WORKER),
        child=stockport_child,
        indicators=[
            IndicatorInput("criminal.drugs_cash", "current", "Police intelligence report"),
            IndicatorInput("criminal.cars", "current", "Larch House daily log"),
        ],
        danger_statement="We are worried adults are taking the child to other towns.",
        safety_goal="The child is home every night.",
        learning_disability=False,
    )
    factories.user(manchester, Role.TEAM_MANAGER, username="tess")
    return factories.user(manchester, Role.SOCIAL_WORKER, username="sam")


def test_record_a_placement(live_server, page, social_worker):
    from playwright.sync_api import expect

    # Signing in: the home page sends a signed-out user to the sign-in page.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_title("Sign in – Sightline")
    assert_accessible(page)
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, "sam", check=assert_accessible)

    expect(page).to_have_title("Children – Sightline")
    expect(page.get_by_role("heading", name="Children we placed")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Record a placement").click()

    expect(page).to_have_title("Record a placement – Sightline")
    assert_accessible(page)
    page.get_by_label("A new child").check()
    page.get_by_label("903 CHILD id").fill("MAN900")
    page.get_by_label("First name").fill("Eli")
    page.get_by_label("Last name").fill("Marsh")
    birth = page.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day").fill("9")
    birth.get_by_label("Month").fill("11")
    birth.get_by_label("Year").fill("2011")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("A new setting").check()
    page.get_by_label("Name of the setting").fill("Willow Lodge")
    page.get_by_label("Postcode of the setting").fill("XX1 1XX")
    page.get_by_label("Private", exact=True).check()
    page.get_by_label("Provider (optional)").select_option(label="Brightwater Care Ltd")
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("6")
    start.get_by_label("Month").fill("1")
    start.get_by_label("Year").fill("2025")
    page.get_by_label("Placement type").select_option("K2")
    page.get_by_label("Private provision").check()
    page.get_by_label("Child's home postcode (optional)").fill("M1 1AE")
    page.get_by_role("group", name="Is this an emergency placement?").get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()

    # The postcode is not in the directory: the error summary says so and takes focus.
    expect(page).to_have_title("Error: Record a placement – Sightline")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text('We cannot find the postcode "XX1 1XX"')
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-form-error.png", full_page=True)
    # What was typed is still there.
    expect(page.get_by_label("First name")).to_have_value("Eli")
    expect(page.get_by_label("Name of the setting")).to_have_value("Willow Lodge")
    # The summary's link moves focus to the field to fix.
    summary.get_by_role("link", name=re.compile("We cannot find the postcode")).click()
    postcode = page.get_by_label("Postcode of the setting")
    expect(postcode).to_be_focused()
    # Instead, a home already on Sightline: Larch House.
    page.get_by_label("A setting already on Sightline").check()
    page.get_by_label("Setting", exact=True).select_option(label="Larch House, SK4 2AB")
    page.get_by_role("button", name="Continue").click()

    # The matching check: in an adjoining council, and a warning that never says who.
    expect(page).to_have_title("Check the placement – matching check – Sightline")
    check = page.locator(".govuk-summary-list")
    expect(check).to_contain_text("Out of area, in an adjoining council (Stockport)")
    expect(check).to_contain_text("miles")
    warning = page.locator(".govuk-warning-text")
    expect(warning).to_contain_text(
        "A child assessed at significant risk of exploitation lives there"
    )
    expect(page.locator("main")).not_to_contain_text("Quinn")
    expect(page.locator("main")).not_to_contain_text("STO001")
    assert_accessible(page)
    page.get_by_label("Go ahead with the placement").check()
    page.get_by_label("Reasons for the decision").fill(
        "Closest home to school; the panel reviews the placement in two weeks."
    )
    page.get_by_role("button", name="Record the decision").click()

    # Going ahead despite the warning needs an approver.
    expect(page).to_have_title("Error: Check the placement – matching check – Sightline")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the senior officer who approves going ahead")
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-matching-check.png", full_page=True)
    page.get_by_label("Approver").select_option(label="Test User tess (Team manager)")
    page.get_by_role("button", name="Record the decision").click()

    # The child's page: the banner names the host council and police force.
    expect(page).to_have_title("Eli Marsh – Sightline")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Placement recorded")
    expect(banner).to_contain_text("Host council: Stockport")
    expect(banner).to_contain_text("Police force: Greater Manchester")
    history = page.locator("table", has_text="Placement history")
    expect(history).to_contain_text("Larch House")
    expect(history).to_contain_text("Out of area")
    expect(page.locator(".app-timeline")).to_contain_text("Placed at Larch House, Stockport.")
    assert_accessible(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The child is now in the council's list, linked to the record.
    page.get_by_role("link", name="Children", exact=True).click()
    placed = page.locator("table", has_text="Children we placed")
    expect(placed.get_by_role("link", name="Eli Marsh")).to_be_visible()
    expect(placed).to_contain_text("Larch House")
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-home.png", full_page=True)

    # Signing out returns to the sign-in page.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_title("Sign in – Sightline")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert_accessible(page)
