"""The maps draw with no internet: every request that is not to the test server is blocked,
and none is attempted; the base map and the points are drawn; axe-core clean at 1280 and 390
pixels wide."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from sightline.core.timeutil import now
from sightline.missing.services import episode_report
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_missing_episode import people  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL = {"localhost", "127.0.0.1", "::1"}


def _offline(page) -> list[str]:
    """Block every request to anywhere but the test server; return the list of those tried."""
    attempted: list[str] = []

    def handle(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    page.route("**/*", handle)
    return attempted


def _drawn(page, points: int) -> None:
    """The map has drawn its base image (loaded, not broken) and ``points`` points."""
    expect(page.locator("#app-map")).to_have_attribute("data-drawn", str(points))
    base = page.locator("#app-map img.app-map__base")
    expect(base).to_have_count(1)
    assert base.evaluate("img => img.complete && img.naturalWidth") == 660
    expect(page.locator("#app-map path.leaflet-interactive")).to_have_count(points)


def test_the_force_map_draws_offline_and_is_accessible(live_server, page, people):  # noqa: F811
    episode_report(
        actor=people["hana"],
        child=people["child"],
        kind="missing",
        last_seen_at=now() - dt.timedelta(hours=2),
        last_seen_place="Stockport bus station",
        reported_to_police=True,
    )
    attempted = _offline(page)
    sign_in(page, live_server.url, "pete")
    page.get_by_role("link", name="Map of children's homes in our force area").click()
    expect(page).to_have_title("Map of children's homes in our force area – Sightline")
    _drawn(page, 1)
    table = page.get_by_role("table", name="The places on the map")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("Larch House")
    expect(table.get_by_role("link", name="Robin Quillfeather")).to_be_visible()
    # The point's tooltip says what the table says.
    page.locator("#app-map path.leaflet-interactive").hover()
    expect(page.locator(".leaflet-tooltip")).to_have_text(
        "Larch House: 1 child, 1 missing or away now"
    )
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#app-map")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert_accessible(page)
    assert attempted == []


def test_the_council_map_draws_offline_from_the_home_page(live_server, page, people):  # noqa: F811
    factories.user(factories.council_org("210"), Role.SOCIAL_WORKER, username="sam")
    attempted = _offline(page)
    sign_in(page, live_server.url, "sam")
    page.get_by_role("link", name="Map of where our children are placed").click()
    expect(page).to_have_title("Map of where our children are placed – Sightline")
    _drawn(page, 1)
    # The councils' names come from the shipped index, on the same server.
    expect(page.locator(".app-map__name", has_text="Stockport")).to_be_visible()
    page.screenshot(path="/tmp/map-council.png")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    assert attempted == []
