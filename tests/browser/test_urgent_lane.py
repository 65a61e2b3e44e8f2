"""The urgent lane in a real browser: a child goes missing while the host council's missing
coordinator is on Missing now; the banner appears on the page with the count, she
acknowledges the alert from the banner and stays on the page she was on. Then she opens the
lane and sets her own alerts. axe-core clean at 1280 and 390 pixels wide."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from sightline.core.timeutil import now
from sightline.missing.services import episode_report
from sightline.notifications.models import AlertSubscription, Notice
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_missing_episode import people  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _both_widths(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page)


def test_a_coordinator_acknowledges_an_alert_from_the_page_it_arrives_on(
    live_server,
    page,
    people,  # noqa: F811
):
    factories.user(factories.council_org("356"), Role.MISSING_COORDINATOR, username="mia")
    sign_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/missing/")
    expect(page).to_have_title("Missing now – Sightline")
    expect(page.locator(".app-urgent-banner")).to_have_count(0)

    # The home reports Robin missing; the alert reaches Stockport Council.
    episode_report(
        actor=people["hana"],
        child=people["child"],
        kind="missing",
        last_seen_at=now() - dt.timedelta(minutes=20),
        last_seen_place="Stockport bus station",
        clothing="Black puffer jacket",
        circumstances="Did not come back from school",
        reported_to_police=True,
        police_reference="GMP-1",
        risk_grade="medium",
        risk_grade_supplied_by="PC 1234",
    )
    alert = Notice.objects.get(kind="missing", recipient__council__dfe_code="356")
    page.reload()
    banner = page.locator(".app-urgent-banner")
    expect(banner).to_contain_text("1 urgent alert not acknowledged")
    expect(banner).to_contain_text(alert.reference)
    expect(banner).not_to_contain_text("Quillfeather")
    _both_widths(page)

    banner.get_by_role("button", name=re.compile("^Acknowledge alert")).click()
    expect(page).to_have_title("Missing now – Sightline")
    assert page.url.endswith("/missing/")
    done = page.locator(".govuk-notification-banner--success")
    expect(done).to_contain_text("1 urgent alert acknowledged")
    expect(done).to_contain_text(alert.reference)
    expect(page.locator(".app-urgent-banner")).to_have_count(0)
    alert.refresh_from_db()
    assert alert.acknowledged_by is not None and alert.acknowledged_by.username == "mia"
    _both_widths(page)

    # The lane is empty now.
    page.goto(f"{live_server.url}/notices/urgent/")
    expect(page).to_have_title("Urgent alerts – Sightline")
    expect(page.locator("main")).to_contain_text("There are no urgent alerts to acknowledge")
    _both_widths(page)

    # Her own alerts: texts for missing children, on nights.
    page.get_by_role("link", name="Your alerts").click()
    expect(page).to_have_title("Your alerts – Sightline")
    _both_widths(page)
    sms = page.get_by_role("group", name="Which alerts do you want by text message?")
    sms.get_by_label("Missing alert").check()
    page.get_by_label("Mobile phone number").fill("07700 900 111")
    page.get_by_label("Start time").fill("22:00")
    page.get_by_label("End time").fill("7:00")
    page.get_by_role("button", name="Save your alerts").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your alerts are saved"
    )
    assert AlertSubscription.objects.filter(user__username="mia", kind="missing").exists()
    _both_widths(page)

    # A mobile that is not one is refused, with the error linked to the field.
    page.get_by_label("Mobile phone number").fill("0161 496 0000")
    page.get_by_role("button", name="Save your alerts").click()
    expect(page).to_have_title("Error: Your alerts – Sightline")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a UK mobile phone number")
    _both_widths(page)
