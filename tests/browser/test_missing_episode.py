"""A child goes missing, in a real browser: the home's staff report it; a police officer signs
in, finds the alert in the inbox and in Missing now, and opens the safety profile the report
made visible; the home records the return. Every page is checked with axe-core (WCAG 2.2 AA).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sightline.children.services import child_create
from sightline.core.calendar import LONDON
from sightline.geography.services import reference_data_load
from sightline.missing.models import Episode, RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.missing.services import safety_profile_update
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in, sign_out
from tests.missing_web.conftest import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EPISODE_SCREENSHOT = "/tmp/sightline-episode.png"
RETURNED_SCREENSHOT = "/tmp/sightline-episode-returned.png"
GMP = "E23000005"


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    # Transactional tests empty every table afterwards, including the reference data the
    # migrations loaded, so load it again for each test.
    reference_data_load()
    risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    settings.SIGHTLINE_PRIVATE_MEDIA_ROOT = str(tmp_path / "private-media")
    factories.council_org("210")
    factories.council_org("356")
    police = factories.police_org(GMP)
    provider = factories.provider_org("Brightwater Care Ltd")
    setting = factories.setting(provider, postcode="SK4 2AB", name="Larch House")
    child = child_create(
        placing_council=factories.council("210"),
        child_ref="SWK100",
        first_name="Robin",
        last_name="Quillfeather",
        date_of_birth=dt.date(2011, 3, 17),
        sex="F",
    )
    factories.placement(
        child, setting, start=dt.date.today() - dt.timedelta(days=30), home_postcode="SE1 0AA"
    )
    hana = factories.user(provider, Role.HOME_STAFF, username="hana")
    safety_profile_update(
        actor=factories.user(provider, Role.HOME_MANAGER),
        child=child,
        description="Slim, 5 ft 2, long dark hair, scar above the left eyebrow",
        places_frequented="Stockport bus station; the skate park on Didsbury Road",
        medical_needs="Asthma: blue inhaler",
        photo=SimpleUploadedFile("robin.png", png(96, 120), content_type="image/png"),
    )
    return {
        "hana": hana,
        "pete": factories.user(police, Role.POLICE_MISSING_OFFICER, username="pete"),
        "child": child,
    }


def fill_moment(page, group: str, time_label: str, at: dt.datetime) -> None:
    local = at.astimezone(LONDON)
    date = page.get_by_role("group", name=group)
    date.get_by_label("Day").fill(str(local.day))
    date.get_by_label("Month").fill(str(local.month))
    date.get_by_label("Year").fill(str(local.year))
    page.get_by_label(time_label).fill(local.strftime("%H:%M"))


def test_a_child_reported_missing_reaches_the_police_and_returns(live_server, page, people):
    from playwright.sync_api import expect

    base = live_server.url
    now = dt.datetime.now(dt.UTC)

    # 1. The home's staff report Robin missing from the child's record.
    sign_in(page, base, "hana")
    assert_accessible(page)
    page.get_by_role("link", name="Robin Quillfeather").click()
    expect(page).to_have_title("Robin Quillfeather – Sightline")
    assert_accessible(page)
    page.get_by_role("button", name="Report missing or away").click()

    expect(page).to_have_title("Report missing or away – Sightline")
    assert_accessible(page)
    page.get_by_role("button", name="Report and send alerts").click()
    # Nothing filled in: the error summary lists what to answer, and takes focus.
    expect(page).to_have_title("Error: Report missing or away – Sightline")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-report-errors.png", full_page=True)

    page.get_by_label("Missing", exact=True).check()
    fill_moment(page, "Date last seen", "Time last seen", now - dt.timedelta(hours=1))
    page.get_by_label("Where was the child last seen?").fill("Leaving the home by the back gate")
    page.get_by_label("What was the child wearing? (optional)").fill(
        "Black puffer jacket, grey joggers, white trainers"
    )
    page.get_by_label("What happened? (optional)").fill(
        "Did not come back from school. Staff saw a grey car waiting outside at lunchtime."
    )
    police = page.get_by_role("group", name="Have you reported this to the police?")
    police.get_by_label("Yes").check()
    page.get_by_label("Police reference (optional)").fill("GMP-0202-1234")
    page.get_by_label("Medium risk").check()
    page.get_by_label("Who gave the risk grade?").fill("PC 1234, Greater Manchester Police")
    page.get_by_role("button", name="Report and send alerts").click()

    expect(page).to_have_title("Missing episode: Robin Quillfeather – Sightline")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Robin Quillfeather reported missing")
    expect(banner).to_contain_text(
        "Alerts sent to: Southwark Council (placing council), Stockport Council (host "
        "council), Greater Manchester Police (police)."
    )
    summary = page.locator(".govuk-summary-list").first
    expect(summary).to_contain_text("Medium risk (2021 list), given by PC 1234")
    expect(summary).to_contain_text("so far")
    assert_accessible(page)
    page.screenshot(path=EPISODE_SCREENSHOT, full_page=True)
    episode = Episode.objects.get()
    sign_out(page)

    # 2. A Greater Manchester Police officer sees the alert and opens the safety profile.
    sign_in(page, base, "pete")
    expect(
        page.locator(".govuk-service-navigation").get_by_role(
            "link", name=re.compile(r"^Missing now")
        )
    ).to_contain_text("1")
    inbox = page.get_by_role("link", name=re.compile(r"^Inbox"))
    expect(inbox).to_contain_text("2")  # the placement notice, and the missing alert
    inbox.click()
    expect(page).to_have_title("Notices – Sightline")
    row = page.locator("table", has_text="Notices received").get_by_role(
        "row", name=re.compile("Missing alert")
    )
    expect(row).to_contain_text("Robin Q.")
    assert_accessible(page)

    page.locator(".govuk-service-navigation").get_by_role(
        "link", name=re.compile(r"^Missing now")
    ).click()
    expect(page).to_have_title("Missing now – Sightline")
    expect(page.get_by_role("heading", name="Missing in our force area now")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Robin Quillfeather").click()

    expect(page).to_have_title("Missing episode: Robin Quillfeather – Sightline")
    assert_accessible(page)
    page.get_by_role("button", name="Safety profile").click()
    expect(page).to_have_title("Safety profile: Robin Quillfeather – Sightline")
    expect(page.locator(".govuk-inset-text")).to_contain_text(
        "You can see this profile because Robin was reported missing or away"
    )
    expect(page.locator(".govuk-summary-list")).to_contain_text("scar above the left eyebrow")
    photo = page.get_by_role("img", name="Photo of Robin")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 96
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-safety-profile.png", full_page=True)
    sign_out(page)

    # 3. The home records the return.
    sign_in(page, base, "hana")
    page.locator(".govuk-service-navigation").get_by_role(
        "link", name=re.compile(r"^Missing now")
    ).click()
    page.get_by_role("link", name="Robin Quillfeather").click()
    page.get_by_role("button", name="Record the return").click()
    expect(page).to_have_title("Record the return – Sightline")
    assert_accessible(page)
    fill_moment(
        page, "Date found or returned", "Time found or returned", now - dt.timedelta(minutes=5)
    )
    page.get_by_label("Postcode (optional)").fill("SW1A 1AA")
    page.get_by_label("Place (optional)").fill("Outside a station")
    page.get_by_label("Found by the police").check()
    page.get_by_label("The child's condition on return (optional)").fill("Cold and hungry")
    page.get_by_role("button", name="Record the return").click()

    expect(page).to_have_title("Missing episode: Robin Quillfeather – Sightline")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Return recorded")
    expect(banner).to_contain_text("Found in another force area.")
    expect(page.get_by_text("Found outside the host area").first).to_be_visible()
    card = page.locator(".govuk-summary-card", has_text="Return home interview")
    expect(card).to_contain_text("To be offered")
    assert_accessible(page)
    page.screenshot(path=RETURNED_SCREENSHOT, full_page=True)
    episode.refresh_from_db()
    assert episode.found_in_other_force_area is True


def test_the_home_keeps_the_profile_and_the_council_holds_the_interview(live_server, page, people):
    """The pages around an episode: editing the profile, the interview and its forms."""
    from playwright.sync_api import expect

    from sightline.missing.services import episode_close, episode_report

    base = live_server.url
    now = dt.datetime.now(dt.UTC)
    factories.user(factories.council_org("210"), Role.SOCIAL_WORKER, username="sam")
    episode = episode_report(
        actor=people["hana"],
        child=people["child"],
        kind="away",
        last_seen_at=now - dt.timedelta(hours=3),
        last_seen_place="At her aunt's house",
        reported_to_police=False,
    )
    episode_close(
        actor=people["hana"],
        episode=episode,
        returned_at=now - dt.timedelta(hours=1),
        where_postcode="SK4 2AB",
        found_by="carers",
    )

    # The home updates the safety profile.
    sign_in(page, base, "hana")
    page.get_by_role("link", name="Robin Quillfeather").click()
    page.get_by_role("button", name="Safety profile").click()
    expect(page).to_have_title("Safety profile: Robin Quillfeather – Sightline")
    assert_accessible(page)
    page.get_by_role("button", name="Edit the safety profile").click()
    expect(page).to_have_title("Edit the safety profile – Sightline")
    assert_accessible(page)
    page.get_by_label("Known risks").fill("Adults in a grey car have approached her")
    page.get_by_role("button", name="Save the safety profile").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("version 2")
    assert_accessible(page)
    sign_out(page)

    # The placing council's social worker holds the interview.
    sign_in(page, base, "sam")
    page.get_by_role("link", name="Interviews").click()
    expect(page).to_have_title("Return home interviews – Sightline")
    assert_accessible(page)
    page.get_by_role("link", name="Robin Quillfeather").click()
    expect(page).to_have_title("Return home interview: Robin Quillfeather – Sightline")
    assert_accessible(page)
    page.get_by_role("button", name="Record that it was offered").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Interview offered")
    page.get_by_role("button", name="Record the interview").click()
    expect(page).to_have_title("Record the interview – Sightline")
    assert_accessible(page)
    # Times are typed to the minute; the offer was recorded a few seconds ago.
    held_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    fill_moment(page, "Date of the interview", "Time of the interview", held_at)
    page.get_by_role("group", name=re.compile("independent")).get_by_label("No", exact=True).check()
    page.get_by_label("Why not?").fill("She asked for her key worker, a trusted adult")
    page.get_by_label("The child's own words (optional)").fill(
        "I only went to my auntie's. I wanted some quiet."
    )
    page.get_by_label("Push factors (optional)").fill("Noise at the home")
    page.get_by_role("button", name="Save the interview").click()

    expect(page).to_have_title("Return home interview: Robin Quillfeather – Sightline")
    words = page.locator(".app-child-words")
    expect(words).to_have_text("I only went to my auntie's. I wanted some quiet.")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Completed")
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-interview.png", full_page=True)

    page.goto(f"{base}/missing/")
    expect(page).to_have_title("Missing now – Sightline")
    assert_accessible(page)
