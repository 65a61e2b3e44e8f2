"""Placement notices in a real browser: a placing council's social worker records an
out-of-area placement; the host council's missing coordinator finds the notice in the inbox
and acknowledges it; the placing council's compliance view shows it acknowledged. Every page
is checked with axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sightline.geography.services import reference_data_load
from sightline.notifications.models import Notice
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    # Transactional tests empty every table afterwards, including the reference data.
    reference_data_load()
    factories.provider_org("Brightwater Care Ltd")
    return {
        "sam": factories.user(factories.council_org("352"), Role.SOCIAL_WORKER, username="sam"),
        "mia": factories.user(
            factories.council_org("356"), Role.MISSING_COORDINATOR, username="mia"
        ),
    }


def test_host_council_acknowledges_a_placement_notice(live_server, page, people):
    from playwright.sync_api import expect

    base = live_server.url
    start = dt.date.today() + dt.timedelta(days=7)

    # 1. Manchester's social worker places a child in a Stockport home.
    sign_in(page, base, "sam")
    page.get_by_role("link", name="Record a placement").first.click()
    expect(page).to_have_title("Record a placement – Sightline")
    page.get_by_label("A new child").check()
    page.get_by_label("903 CHILD id").fill("MAN901")
    page.get_by_label("First name").fill("Eli")
    page.get_by_label("Last name").fill("Marsh")
    birth = page.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day").fill("9")
    birth.get_by_label("Month").fill("11")
    birth.get_by_label("Year").fill("2011")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("A new setting").check()
    page.get_by_label("Name of the setting").fill("Willow Lodge")
    page.get_by_label("Postcode of the setting").fill("SK4 2AB")
    page.get_by_label("Private", exact=True).check()
    page.get_by_label("Provider (optional)").select_option(label="Brightwater Care Ltd")
    group = page.get_by_role("group", name="Start date")
    group.get_by_label("Day").fill(str(start.day))
    group.get_by_label("Month").fill(str(start.month))
    group.get_by_label("Year").fill(str(start.year))
    page.get_by_label("Placement type").select_option("K2")
    page.get_by_label("Private provision").check()
    page.get_by_label("Child's home postcode (optional)").fill("M1 1AE")
    page.get_by_role("group", name="Is this an emergency placement?").get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    # The matching check before the placement is recorded (ADR 51): go ahead.
    expect(page).to_have_title("Check the placement – matching check – Sightline")
    page.get_by_label("Go ahead with the placement").check()
    page.get_by_label("Reasons for the decision").fill("The home meets the care plan.")
    page.get_by_role("button", name="Record the decision").click()

    expect(page).to_have_title("Eli Marsh – Sightline")
    timeline = page.locator(".app-timeline")
    expect(timeline).to_contain_text("Placement notice sent to Stockport Council")
    expect(timeline).to_contain_text("Placement notice sent to Greater Manchester Police")
    assert_accessible(page)
    notice = Notice.objects.get(child__child_ref="MAN901", recipient__council__dfe_code="356")
    sign_out(page)

    # 2. Stockport's missing coordinator sees it in the inbox and acknowledges it.
    sign_in(page, base, "mia")
    inbox_link = page.get_by_role("link", name=re.compile(r"^Inbox"))
    expect(inbox_link).to_contain_text("1")
    inbox_link.click()
    expect(page).to_have_title("Notices – Sightline")
    received = page.locator("table", has_text="Notices received")
    row = received.get_by_role("row", name=re.compile(notice.reference))
    expect(row).to_contain_text("Placement notice")
    expect(row).to_contain_text("Eli M.")
    expect(row).to_contain_text("New")
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-inbox.png", full_page=True)
    row.get_by_role("link", name=notice.reference).click()

    expect(page).to_have_title(f"Placement notice {notice.reference} – Sightline")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("Willow Lodge, SK4 2AB (Stockport)")
    expect(summary).to_contain_text("Not yet")
    expect(page.locator("table", has_text="Delivery")).to_contain_text("Sightline inbox")
    assert_accessible(page)
    page.get_by_role("button", name="Acknowledge").click()

    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Notice acknowledged")
    expect(banner).to_contain_text("Acknowledged by Test User mia")
    expect(summary).to_contain_text("By Test User mia")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-notice.png", full_page=True)
    expect(page.get_by_role("link", name=re.compile(r"^Inbox"))).to_have_text("Inbox")
    sign_out(page)

    # 3. Manchester's compliance view shows the notice acknowledged.
    sign_in(page, base, "sam")
    page.get_by_role("link", name="Compliance").click()
    expect(page).to_have_title("Compliance – Sightline")
    placed = page.locator("table", has_text="Children we placed outside our area")
    row = placed.get_by_role("row", name=re.compile("MAN901"))
    expect(row).to_contain_text("Stockport")
    expect(row.locator("td").nth(6)).to_have_text("Acknowledged")
    expect(row.locator("td").nth(7)).to_have_text("New")  # the police have not, yet
    assert_accessible(page)
    page.screenshot(path="/tmp/sightline-compliance.png", full_page=True)

    # The inbox's Sent tab says the same.
    page.get_by_role("link", name=re.compile(r"^Inbox")).click()
    page.get_by_role("tab", name="Sent").click()
    sent = page.locator("table", has_text="Notices sent")
    expect(sent.get_by_role("row", name=re.compile(notice.reference))).to_contain_text(
        "Acknowledged"
    )
    assert_accessible(page)
