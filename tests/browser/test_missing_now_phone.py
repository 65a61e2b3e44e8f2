"""Missing now on a phone: at 390 pixels wide the children are cards, nothing scrolls
sideways; at 1280 the table. axe-core clean at both widths."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from sightline.core.timeutil import now
from sightline.missing.services import episode_report
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_missing_episode import people  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_missing_now_is_cards_on_a_phone_and_a_table_on_a_desk(live_server, page, people):  # noqa: F811
    episode_report(
        actor=people["hana"],
        child=people["child"],
        kind="missing",
        last_seen_at=now() - dt.timedelta(hours=2),
        last_seen_place="Stockport bus station",
        clothing="Black puffer jacket",
        circumstances="Did not come back from school",
        reported_to_police=True,
        police_reference="GMP-1",
        risk_grade="medium",
        risk_grade_supplied_by="PC 1234",
    )
    sign_in(page, live_server.url, "pete")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/missing/")
    expect(page).to_have_title("Missing now – Sightline")
    cards = page.locator(".app-missing-cards")
    expect(cards).to_be_visible()
    expect(page.locator(".app-missing-table")).to_be_hidden()
    expect(cards.get_by_role("link", name="Robin Quillfeather")).to_be_visible()
    expect(cards.get_by_role("img", name="Photo of Robin")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert_accessible(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator(".app-missing-table table")).to_be_visible()
    expect(cards).to_be_hidden()
    assert_accessible(page)
